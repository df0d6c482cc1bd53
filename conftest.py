"""Fixtures shared by every test suite: real PostgreSQL and Kafka for integration tests.

``make integration`` / ``make test`` start both and export ``SPOTCHECK_TEST_DATABASE_URL``
(an admin URL, e.g. ``postgresql+asyncpg://spotcheck@127.0.0.1:55432/postgres``),
``SPOTCHECK_TEST_KAFKA`` (bootstrap servers) and ``SPOTCHECK_TEST_KAFKA_ADMIN_PASSWORD`` (the
broker's super user, to set districts up). The broker has authentication and ACLs on, as in
production: a test reaches Kafka as its own district's user, never as admin. Integration tests
fail, never skip, without them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from spotcheck_common.kafka_admin import DistrictCredentials, add_district

AddDistrict = Callable[[str, Sequence[str]], Awaitable[DistrictCredentials]]


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run integration tests through `make integration`")
    return value


@pytest.fixture
async def new_database() -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """``await new_database()``: a fresh, empty PostgreSQL database (its URL), as many as a
    test needs (a district each, in a regional test); all dropped afterwards."""
    admin_url = _require("SPOTCHECK_TEST_DATABASE_URL")
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    async def new() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return sa.engine.make_url(admin_url).set(database=name).render_as_string(False)

    yield new
    async with admin.connect() as conn:
        for name in made:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
async def pg_url(new_database: Callable[[], Awaitable[str]]) -> str:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    return await new_database()


@pytest.fixture
def unique_district() -> str:
    """A district name no other test uses, so users, topics and consumer groups never collide."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def kafka_admin_password() -> str:
    """The test broker's super user: for setting districts up and inspecting the broker, never
    for what a service does."""
    return _require("SPOTCHECK_TEST_KAFKA_ADMIN_PASSWORD")


@pytest.fixture
def add_kafka_district(kafka_admin_password: str) -> AddDistrict:
    """Sets a district up on the test broker as production has it (its SCRAM user, exactly the
    model's ACLs and quotas, its topics from events.txt made by admin): ``await
    add_kafka_district(name, neighbours)`` gives its credentials."""
    bootstrap = _require("SPOTCHECK_TEST_KAFKA")

    async def add(district: str, neighbours: Sequence[str] = ()) -> DistrictCredentials:
        return await add_district(bootstrap, kafka_admin_password, district, neighbours)

    return add


@pytest.fixture
async def kafka_district(
    unique_district: str, add_kafka_district: AddDistrict, monkeypatch: pytest.MonkeyPatch
) -> DistrictCredentials:
    """The test's district on the broker; the process's settings (``SPOTCHECK_KAFKA_*``, what
    ``KafkaBus`` and ``Settings`` read) sign in as its user for the test's duration."""
    credentials = await add_kafka_district(unique_district, ())
    for name, value in credentials.env().items():
        if name != "SPOTCHECK_KAFKA_BOOTSTRAP":  # a test still chooses embedded or Kafka
            monkeypatch.setenv(name, value)
    return credentials


@pytest.fixture
def kafka_bootstrap(kafka_district: DistrictCredentials) -> str:
    """Bootstrap servers, with the test's district signed in (see ``kafka_district``)."""
    return kafka_district.bootstrap
