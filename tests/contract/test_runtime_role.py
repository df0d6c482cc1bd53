"""On PostgreSQL the services run as a role that does not own their tables (issue 12): the
owner migrates (``spotcheck migrate``) and grants it what it may do. On the tables the rules
make append-only it may only insert and read; it can truncate nothing, disable no trigger and
move no migration — and a service still starts with it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from spotcheck_common import migrations
from spotcheck_common.db import Database
from spotcheck_common.runner import load, migrate
from spotcheck_common.settings import Settings

pytestmark = pytest.mark.integration
SERVICES = ["archives", "publication", "draws", "planning", "inspections", "objections"]


@pytest.fixture
async def roles(pg_url: str) -> AsyncIterator[tuple[str, str]]:
    """(owner URL, runtime URL) of two fresh login roles on the test database."""
    suffix = uuid.uuid4().hex[:8]
    owner, runtime = f"own_{suffix}", f"run_{suffix}"
    url = sa.engine.make_url(pg_url)
    admin = create_async_engine(pg_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f"CREATE ROLE {owner} LOGIN"))
        await conn.execute(sa.text(f"CREATE ROLE {runtime} LOGIN"))
        await conn.execute(sa.text(f'GRANT CREATE ON DATABASE "{url.database}" TO {owner}'))
    yield (
        url.set(username=owner).render_as_string(hide_password=False),
        url.set(username=runtime).render_as_string(hide_password=False),
    )
    await admin.dispose()


async def refused(db: Database, statement: str) -> str:
    with pytest.raises(sa.exc.DBAPIError) as error:
        async with db.engine.begin() as conn:
            await conn.execute(sa.text(statement))
    return str(error.value)


async def allowed(db: Database, table: str, privilege: str) -> bool:
    async with db.engine.connect() as conn:
        query = sa.text("SELECT has_table_privilege(current_user, :t, :p)")
        return bool((await conn.execute(query, {"t": table, "p": privilege})).scalar())


@pytest.mark.parametrize("service", SERVICES)
async def test_the_runtime_role_cannot_rewrite_history(
    roles: tuple[str, str], service: str
) -> None:
    owner_url, runtime_url = roles
    definition = load(service)
    assert definition.append_only, service
    await migrate(definition, Settings(database_url=runtime_url, database_owner_url=owner_url))
    runtime = Database(runtime_url, service)
    try:
        await migrations.upgrade(runtime, definition.migrations)  # what a service does at start
        for table in definition.append_only:
            assert await allowed(runtime, table, "INSERT") and await allowed(
                runtime, table, "SELECT"
            )
            for statement in (
                f"UPDATE {table} SET {_first(definition, table)} = NULL",
                f"DELETE FROM {table}",
                f"TRUNCATE {table}",
            ):
                assert "permission denied" in await refused(runtime, statement), statement
            disabled = await refused(runtime, f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            assert "must be owner" in disabled
        others = set(definition.metadata.tables) - set(definition.append_only)
        writable = [t for t in others if t != "alembic_version"]
        assert writable and all([await allowed(runtime, t, "UPDATE") for t in writable])
        assert "permission denied" in await refused(
            runtime, "UPDATE alembic_version SET version_num = version_num"
        )
    finally:
        await runtime.dispose()


def _first(definition: Any, table: str) -> str:
    return next(iter(definition.metadata.tables[table].columns)).name
