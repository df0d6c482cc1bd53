"""A Kafka outage does not make a service unready (its public pages stay on the Service): the
outbox keeps the events and the relay sends them later. /healthz/bus reports Kafka to operators."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from spotcheck_common.bus import InProcessBus
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET


class BrokerDown(InProcessBus):
    """A bus whose broker stopped answering after the process started."""

    def __init__(self) -> None:
        super().__init__()
        self.up = True

    async def ready(self) -> bool:
        return self.up


async def _get(tmp_path: Path, bus: BrokerDown, *paths: str) -> list[httpx.Response]:
    settings = Settings(data_dir=tmp_path, auth_secret=TEST_SECRET)
    app = build_app(build_runtimes([load("publication")], settings, bus=bus), "t")
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            bus.up = False
            return [await client.get(path) for path in paths]


async def test_readiness_is_the_database_not_kafka(tmp_path: Path) -> None:
    ready, bus = await _get(tmp_path, BrokerDown(), "/readyz", "/healthz/bus")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"ready": True, "checks": {"db:publication": "ok", "auth": "ok"}}
    assert (bus.status_code, bus.json()) == (503, {"bus": "error"})


async def test_a_database_outage_still_makes_it_unready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, auth_secret=TEST_SECRET)
    (runtime,) = build_runtimes([load("publication")], settings, bus=BrokerDown())
    app = build_app([runtime], "t")

    async def unreachable() -> None:
        raise ConnectionRefusedError("database down")

    async with LifespanManager(app) as manager:
        monkeypatch.setattr(runtime.db, "ping", unreachable)
        transport = httpx.ASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ready = await client.get("/readyz")
            bus = await client.get("/healthz/bus")
    assert ready.status_code == 503
    assert ready.json()["checks"]["db:publication"] == "error: database down"
    assert (bus.status_code, bus.json()) == (200, {"bus": "ok"})
