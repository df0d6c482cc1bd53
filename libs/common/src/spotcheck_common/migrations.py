"""Alembic, run programmatically: each service keeps its own migration scripts and version
table in its own schema. Each service's ``env.py`` only calls :func:`run_env`.

Two branches share each version table: the kernel's (label ``kernel``, in
``spotcheck_common/kernel_migrations``: the outbox, the processed events, the working-day
calendar) and the service's own (labelled with the service's name; its first revision depends
on the kernel's). ``upgrade`` runs both to their heads; a new revision goes to the service's
branch."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from spotcheck_common.db import Database

# Serialises concurrent migrations of one schema (several replicas starting at once).
_MIGRATION_LOCK = 0x5C07C4EC
KERNEL_VERSIONS = Path(__file__).resolve().parent / "kernel_migrations" / "versions"


def run_env(target_metadata: sa.MetaData) -> None:
    """Body of a service's alembic ``env.py`` (online mode, connection given by the caller)."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through spotcheck_common.migrations.upgrade")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _config(script_location: Path, connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations",
        os.pathsep.join([str(script_location / "versions"), str(KERNEL_VERSIONS)]),
    )
    config.attributes["connection"] = connection
    return config


async def upgrade(db: Database, script_location: Path, revision: str = "heads") -> None:
    async with db.engine.begin() as conn:
        if db.postgres:
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            # Only when missing: a runtime role (no CREATE on the database) starts a service
            # whose schema the owner already migrated.
            exists = sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s")
            if (await conn.execute(exists, {"s": db.schema})).first() is None:
                await conn.execute(sa.text(f'CREATE SCHEMA "{db.schema}"'))
        try:
            await conn.run_sync(
                lambda sync: command.upgrade(_config(script_location, sync), revision)
            )
        except CommandError as exc:
            if "Can't locate revision" not in str(exc):
                raise
            raise RuntimeError(
                f"{db.schema}: the database was migrated by revisions this release no longer "
                "has (the migrations were squashed once before any production use, ADR 0006); "
                f"start from an empty database (make run: delete .data) — {exc}"
            ) from exc


async def grant_runtime(db: Database, role: str, append_only: Sequence[str]) -> None:
    """On PostgreSQL, let the service's runtime ``role`` (not the owner that migrated) read and
    write the service's tables, except: the tables the rules make append-only take INSERT and
    SELECT only, and the version table SELECT only. Not owning the tables, the role can neither
    TRUNCATE them nor disable their triggers (issue 12). Nobody else gets anything here: PUBLIC
    loses what it may hold on the schema, so each service's role (``spotcheck_<service>``)
    reaches only its own schema — every service has its own kernel tables (outbox, processed
    events, calendar), so no service needs another's."""
    if not db.postgres:
        return
    if not _ROLE.match(role):
        raise ValueError(f"bad role name {role!r}")
    schema = f'"{db.schema}"'
    statements = [
        f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM PUBLIC",
        f'GRANT USAGE ON SCHEMA {schema} TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO "{role}"',
        f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO "{role}"',
        f'REVOKE INSERT, UPDATE, DELETE ON {schema}.alembic_version FROM "{role}"',
        *(f'REVOKE UPDATE, DELETE ON {schema}."{t}" FROM "{role}"' for t in append_only),
    ]
    async with db.engine.begin() as conn:
        # Under the migration lock: the chart starts every service's migration at once, and two
        # transactions changing ``public``'s rights together fail one ("tuple concurrently
        # updated").
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        if await _owns_public_schema(conn):
            # PostgreSQL 15 gives PUBLIC USAGE (no longer CREATE) on ``public``; nothing of
            # ours lives there, so no role needs it.
            statements.append("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        for statement in statements:
            await conn.execute(sa.text(statement))


async def _owns_public_schema(conn: AsyncConnection) -> bool:
    """Whether the migrating role may change ``public``'s rights: it owns the database (as
    CloudNativePG's bootstrap owner does), hence the schema (``pg_database_owner``)."""
    query = sa.text(
        "SELECT pg_has_role(current_user, nspowner, 'MEMBER') FROM pg_namespace "
        "WHERE nspname = 'public'"
    )
    return bool((await conn.execute(query)).scalar())


_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _kernel_head() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(KERNEL_VERSIONS.parent), version_locations=[str(KERNEL_VERSIONS)])
    head = script.get_current_head()
    assert head is not None, "the kernel branch has no revision"
    return head


async def autogenerate(db: Database, script_location: Path, message: str) -> None:
    """Write the service's next revision from the difference between its models and ``db``
    at head (a service without revisions starts its branch, depending on the kernel's)."""
    await upgrade(db, script_location)
    versions = script_location / "versions"
    count = len(list(versions.glob("[0-9]*.py")))
    branch = db.schema
    first = count == 0
    async with db.engine.begin() as conn:
        await conn.run_sync(
            lambda sync: command.revision(
                _config(script_location, sync),
                message=message,
                autogenerate=True,
                rev_id=f"{count + 1:04d}",
                head="base" if first else f"{branch}@head",
                branch_label=branch if first else None,
                depends_on=_kernel_head() if first else None,
                version_path=str(versions),
            )
        )
