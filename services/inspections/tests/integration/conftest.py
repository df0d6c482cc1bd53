"""inspections on real PostgreSQL, in-process: the service's app, and a stand-in for the
services upstream of it (planning, draws) — a schema of its own with an outbox and a relay, so
their events reach inspections as they would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from inspections.adapters import orm
from spotcheck_common.bus import InProcessBus
from spotcheck_common.clock import FixedClock
from spotcheck_common.db import Database, service_metadata
from spotcheck_common.events.envelope import Envelope, Event
from spotcheck_common.events.inspections import InspectionSubmitted
from spotcheck_common.http import build_app
from spotcheck_common.outbox import OutboxRelay
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_NOW, TEST_SECRET, auth_headers
from spotcheck_common.uow import OUTBOX, Context, UnitOfWork

CLOCK = FixedClock(TEST_NOW)


async def wait_for(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 15) -> None:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Env:
    """The running service, what it published (``submitted``: its InspectionSubmitted), and
    the upstream stand-in's ``emit``."""

    def __init__(
        self, client: httpx.AsyncClient, rt: ServiceRuntime, up: Database, relay: OutboxRelay
    ) -> None:
        self.client, self.rt, self.up, self.relay = client, rt, up, relay
        self.submitted: list[Envelope[Any]] = []

    @property
    def db(self) -> Database:
        return self.rt.db

    @property
    def district(self) -> str:
        return self.rt.district

    async def emit(self, *events: Event) -> None:
        uow = UnitOfWork(
            self.up, self.rt.district, Context(actor="upstream"), on_commit=[self.relay.wake]
        )
        async with uow:
            for event in events:
                await uow.emit(event)
            await uow.commit()

    async def rows(self, table: sa.Table) -> list[Any]:
        async with self.rt.db.sessions() as session:
            return list(
                (await session.execute(sa.select(table).order_by(*table.primary_key))).all()
            )

    async def snapshot(self) -> list[list[Any]]:
        return [
            await self.rows(t)
            for t in (
                orm.inspections,
                orm.inspection_log,
                orm.visits,
                orm.attachments,
                orm.follow_ups,
                OUTBOX,
            )
        ]

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        return [
            json.loads(r.envelope) for r in await self.rows(OUTBOX) if r.event_type == event_type
        ]

    def as_(self, user: str, *roles: str, **claims: str) -> dict[str, str]:
        return auth_headers(user, *roles, district=self.rt.district, **claims)

    def inspector(self, inspector_id: str, role: str = "inspector") -> dict[str, str]:
        return self.as_(f"user-{inspector_id}", role, inspector_id=inspector_id)

    @property
    def staff(self) -> dict[str, str]:
        return self.as_("xinyong-zhang", "credit_dept")

    async def inspection_of(self, task_id: str, uscc: str) -> str:
        rows = await self.rows(orm.inspections)
        return str(next(r.inspection_id for r in rows if r.task_id == task_id and r.uscc == uscc))


@pytest.fixture
async def env(pg_url: str, unique_district: str) -> AsyncIterator[Env]:
    bus = InProcessBus()
    settings = Settings(
        database_url=pg_url,
        district=unique_district,
        relay_interval_s=0.05,
        auth_secret=TEST_SECRET,
    )
    (inspections,) = build_runtimes([load("inspections")], settings, bus=bus, clock=CLOCK)
    up = Database(pg_url, "upstream_standin")
    async with up.engine.begin() as conn:
        await conn.execute(sa.text('CREATE SCHEMA IF NOT EXISTS "upstream_standin"'))
        await conn.run_sync(service_metadata().create_all)
    relay = OutboxRelay("upstream_standin", up, bus.publish, interval_s=0.05, max_backoff_s=0.5)
    stop = asyncio.Event()
    app = build_app([inspections], title="inspections-test")
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client,
    ):
        found = Env(client, inspections, up, relay)

        async def probe(envelope: Envelope[Any], _headers: dict[str, str]) -> None:
            found.submitted.append(envelope)

        bus.subscribe(
            InspectionSubmitted.topic(unique_district), "probe", InspectionSubmitted, probe
        )
        relay_task = asyncio.create_task(relay.run(stop))
        try:
            yield found
        finally:
            stop.set()
            relay.wake()
            await relay_task
            await up.dispose()
