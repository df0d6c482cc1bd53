"""One PostgreSQL role per service (issue 10): the owner (``spotcheck_owner``, owning the
database as CloudNativePG's bootstrap makes it) migrates every schema; each service runs as its
own role (``spotcheck_<service>``), which uses its own schema and can neither read, write nor
even list another service's tables, nor create anything outside its schema."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from spotcheck_common import migrations
from spotcheck_common.db import Database
from spotcheck_common.runner import load, migrate
from spotcheck_common.settings import Settings

pytestmark = pytest.mark.integration
SERVICES = ("registry", "draws")


@pytest.fixture
async def urls(pg_url: str) -> AsyncIterator[dict[str, str]]:
    """Login URLs of a fresh owner (owning the test database) and of each service's role, the
    services migrated as the owner, each granting its own role."""
    suffix = uuid.uuid4().hex[:8]  # roles are cluster-wide: one set per test
    roles = {"owner": f"spotcheck_owner_{suffix}"} | {
        s: f"spotcheck_{s}_{suffix}" for s in SERVICES
    }
    url = sa.engine.make_url(pg_url)
    admin = create_async_engine(pg_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        for role in roles.values():
            await conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        await conn.execute(sa.text(f'ALTER DATABASE "{url.database}" OWNER TO {roles["owner"]}'))
    await admin.dispose()
    found = {k: url.set(username=r).render_as_string(hide_password=False) for k, r in roles.items()}
    for service in SERVICES:
        settings = Settings(database_url=found[service], database_owner_url=found["owner"])
        await migrate(load(service), settings)
    yield found


async def refusal(db: Database, statement: str) -> str:
    with pytest.raises(sa.exc.DBAPIError) as error:
        async with db.engine.begin() as conn:
            await conn.execute(sa.text(statement))
    return str(error.value.orig)


async def scalar(db: Database, query: str) -> object:
    async with db.engine.begin() as conn:
        return (await conn.execute(sa.text(query))).scalar()


async def test_a_service_role_reaches_its_own_schema_only(urls: dict[str, str]) -> None:
    draws = Database(urls["draws"], "draws")
    try:
        await migrations.upgrade(draws, load("draws").migrations)  # what the service does at start
        for table in ("entities", "inspectors", "outbox", "processed_events"):
            denied = await refusal(draws, f"SELECT count(*) FROM registry.{table}")
            assert "permission denied for schema registry" in denied, table
        denied = await refusal(
            draws, "INSERT INTO registry.processed_events VALUES ('x', 'y', now())"
        )
        assert "permission denied for schema registry" in denied
        listed = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'registry'"
        assert await scalar(draws, listed) == 0
        assert await scalar(draws, "SELECT has_schema_privilege('registry', 'USAGE')") is False

        # Its own tables, through its search_path, as the service uses them.
        insert = "INSERT INTO processed_events VALUES ('c', 'e-1', now()) RETURNING event_id"
        assert await scalar(draws, insert) == "e-1"
        assert await scalar(draws, "SELECT count(*) FROM processed_events") == 1
        assert await scalar(draws, "SELECT count(*) FROM draws.outbox") == 0

        # Nowhere to put anything else: not in public (whose USAGE the owner revoked from
        # PUBLIC), not in a schema of its own.
        assert await scalar(draws, "SELECT has_schema_privilege('public', 'USAGE')") is False
        assert "permission denied for schema public" in await refusal(
            draws, "CREATE TABLE public.stash (i int)"
        )
        assert "permission denied for database" in await refusal(draws, "CREATE SCHEMA stash")
    finally:
        await draws.dispose()


async def test_the_other_way_round_and_the_owner_keeps_everything(urls: dict[str, str]) -> None:
    registry = Database(urls["registry"], "registry")
    owner = Database(urls["owner"], "draws")
    try:
        denied = await refusal(registry, "SELECT count(*) FROM draws.outbox")
        assert "permission denied for schema draws" in denied
        assert await scalar(registry, "SELECT count(*) FROM entities") == 0
        # The owner migrated both and owns both: it reads either schema.
        assert await scalar(owner, "SELECT count(*) FROM registry.entities") == 0
        owned = (
            "SELECT count(DISTINCT nspowner::regrole) FROM pg_namespace "
            "WHERE nspname IN ('registry', 'draws') AND nspowner = current_user::regrole"
        )
        assert await scalar(owner, owned) == 1
    finally:
        await registry.dispose()
        await owner.dispose()


async def test_every_service_grants_its_role_at_once_without_failing(pg_url: str) -> None:
    """The chart starts every service's migration at the same time: their grants (each takes
    ``public``'s rights from PUBLIC) must not fail one another ("tuple concurrently updated")."""
    import asyncio

    suffix = uuid.uuid4().hex[:8]
    schemas = [f"s{n}_{suffix}" for n in range(7)]
    admin = create_async_engine(pg_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        for schema in schemas:
            await conn.execute(sa.text(f"CREATE ROLE r_{schema} LOGIN"))
            await conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
            await conn.execute(sa.text(f"CREATE TABLE {schema}.alembic_version (v text)"))
    await admin.dispose()
    dbs = [Database(pg_url, schema) for schema in schemas]
    try:
        for _ in range(3):
            await asyncio.gather(*(migrations.grant_runtime(d, f"r_{d.schema}", ()) for d in dbs))
        grants = await scalar(
            dbs[0], f"SELECT has_schema_privilege('r_{schemas[0]}', '{schemas[0]}', 'USAGE')"
        )
        assert grants is True
    finally:
        for d in dbs:
            await d.engine.dispose()
