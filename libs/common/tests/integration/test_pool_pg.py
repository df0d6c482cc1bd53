"""The connection pool on real PostgreSQL: a connection that rested is pinged before use (a
server that dropped it costs no request); one in use a moment ago is not pinged, and its
failure renews the pool for the next statement."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from spotcheck_common import db as db_module
from spotcheck_common.db import create_engine

pytestmark = pytest.mark.integration

PID = sa.text("SELECT pg_backend_pid()")


async def pid_of(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(PID)).scalar_one())


async def cut(pg_url: str, pid: int) -> None:
    """The server ends ``pid``'s session (as a restart or an idle timeout would)."""
    admin = create_engine(pg_url, "public")  # not the pool under test
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await admin.dispose()


async def test_a_rested_connection_cut_by_the_server_is_replaced_before_use(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "PING_AFTER_S", 0.0)  # every checked-in connection rested
    engine = create_engine(pg_url, "public")
    try:
        first = await pid_of(engine)
        await cut(pg_url, first)
        assert await pid_of(engine) != first  # pinged, found dead, connected again: no error
    finally:
        await engine.dispose()


async def test_a_busy_connection_is_not_pinged_and_its_loss_fails_one_statement(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "PING_AFTER_S", 3600.0)
    engine = create_engine(pg_url, "public")
    try:
        first = await pid_of(engine)
        await cut(pg_url, first)
        with pytest.raises(sa.exc.DBAPIError) as lost:
            await pid_of(engine)
        assert lost.value.connection_invalidated
        assert await pid_of(engine) not in (first, None)  # the pool was renewed
    finally:
        await engine.dispose()
