"""Fixtures shared by every test suite: real PostgreSQL and Kafka for integration tests.

``make integration`` / ``make test`` start both and export ``SPOTCHECK_TEST_DATABASE_URL``
(an admin URL, e.g. ``postgresql+asyncpg://spotcheck@127.0.0.1:55432/postgres``) and
``SPOTCHECK_TEST_KAFKA`` (bootstrap servers). Integration tests fail, never skip, without them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run integration tests through `make integration`")
    return value


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    admin_url = _require("SPOTCHECK_TEST_DATABASE_URL")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = sa.engine.make_url(admin_url)
    yield base.set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
def kafka_bootstrap() -> str:
    return _require("SPOTCHECK_TEST_KAFKA")


@pytest.fixture
def unique_district() -> str:
    """A district name no other test uses, so topics and consumer groups never collide."""
    return f"t{uuid.uuid4().hex[:10]}"
