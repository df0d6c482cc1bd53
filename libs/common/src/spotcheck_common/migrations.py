"""Alembic, run programmatically: each service keeps its own migration scripts and version
table in its own schema. Each service's ``env.py`` only calls :func:`run_env`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import Connection

from spotcheck_common.db import Database

# Serialises concurrent migrations of one schema (several replicas starting at once).
_MIGRATION_LOCK = 0x5C07C4EC


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
    config.attributes["connection"] = connection
    return config


async def upgrade(db: Database, script_location: Path, revision: str = "head") -> None:
    async with db.engine.begin() as conn:
        if db.postgres:
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
        await conn.run_sync(lambda sync: command.upgrade(_config(script_location, sync), revision))


async def autogenerate(db: Database, script_location: Path, message: str) -> None:
    """Write a new revision from the difference between the models and ``db`` at head."""
    await upgrade(db, script_location)
    rev_id = f"{len(list((script_location / 'versions').glob('[0-9]*.py'))) + 1:04d}"
    async with db.engine.begin() as conn:
        await conn.run_sync(
            lambda sync: command.revision(
                _config(script_location, sync), message=message, autogenerate=True, rev_id=rev_id
            )
        )
