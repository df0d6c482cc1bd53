"""A service started while Kafka cannot be reached (issue 10: a Kafka outage must not take the
public sites down): it serves its HTTP API and is ready (readiness is the database), its outbox
keeps what it writes, and once the broker answers, the bus starts by itself and the relay sends
what waited. The broker is the real one, reached through a TCP gate this test opens late."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from spotcheck_common import http as kernel_http
from spotcheck_common.events.registry import InspectorsImported
from spotcheck_common.http import build_app
from spotcheck_common.kafka_admin import DistrictCredentials
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, eventually
from spotcheck_common.uow import Context

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def gate(listen: int, upstream: str) -> AsyncIterator[None]:
    """Forward 127.0.0.1:``listen`` to ``upstream`` (the broker's bootstrap) while open."""
    host, _, port = upstream.rpartition(":")

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def forward(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

    server = await asyncio.start_server(forward, "127.0.0.1", listen)
    try:
        yield
    finally:
        server.close()


async def test_a_service_started_during_an_outage_serves_then_catches_up(
    kafka_district: DistrictCredentials,
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kernel_http, "BUS_START_WAIT_S", 0.5)
    port = free_port()  # nothing listens yet: the broker is "down"
    settings = Settings(
        kafka_bootstrap=f"127.0.0.1:{port}",
        district=kafka_district.district,
        database_url=pg_url,
        relay_interval_s=0.05,
        data_dir=tmp_path,
        auth_secret=TEST_SECRET,
    )
    (runtime,) = build_runtimes([load("registry")], settings)
    app = build_app([runtime], "registry")
    async with (
        LifespanManager(app, startup_timeout=60) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url="http://t") as c,
    ):
        assert (await c.get("/readyz")).status_code == 200
        assert (await c.get("/healthz/bus")).status_code == 503
        async with runtime.uow(Context(actor="test")) as uow:
            await uow.emit(InspectorsImported(batch_id="during-outage", inspectors=[]))
            await uow.commit()

        async def sent() -> bool:
            async with runtime.db.engine.connect() as conn:
                query = "SELECT published_at FROM outbox WHERE aggregate_id = 'during-outage'"
                return (await conn.execute(sa.text(query))).scalar() is not None

        await asyncio.sleep(1.0)
        assert not await sent()  # kept, not lost, while the broker is away
        async with gate(port, kafka_district.bootstrap):

            async def bus_up() -> bool:
                return (await c.get("/healthz/bus")).status_code == 200

            await eventually(bus_up, "the bus to start by itself", seconds=90)
            await eventually(sent, "the relay to send what waited", seconds=60)
