"""Outbox relay and idempotent consumer on real PostgreSQL, with concurrent replicas."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict

import pytest
import sqlalchemy as sa

from spotcheck_common.consumer import PROCESSED, Subscription, deliver
from spotcheck_common.db import Database
from spotcheck_common.events import Envelope
from spotcheck_common.events.registry import ConflictDeclared
from spotcheck_common.outbox import OutboxRelay
from spotcheck_common.uow import OUTBOX, Context, UnitOfWork

from ..helpers import conflict, create_schema, notes

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(pg_url: str):
    database = Database(pg_url, "svc")
    await create_schema(database)
    yield database
    await database.dispose()


async def test_three_relay_replicas_send_every_event_once_in_aggregate_order(db: Database) -> None:
    aggregates = [f"agg{i}" for i in range(8)]
    for batch in range(20):
        async with UnitOfWork(db, "lingang", Context(actor="t")) as u:
            for i, agg in enumerate(aggregates):
                await u.emit(conflict(agg, batch * 100 + i))
            await u.commit()

    sent: dict[str, list[int]] = defaultdict(list)

    async def publish(topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        await asyncio.sleep(0)  # let the replicas interleave
        sent[key].append(int(json.loads(value)["payload"]["reason"][1:]))

    replicas = [
        OutboxRelay(f"r{i}", Database(db.url, "svc"), publish, batch_size=7) for i in range(3)
    ]

    async def drain(relay: OutboxRelay) -> None:
        idle = 0
        while idle < 3:
            idle = idle + 1 if await relay.relay_once() == 0 else 0

    await asyncio.gather(*(drain(r) for r in replicas))
    for relay in replicas:
        await relay.db.dispose()
    assert sum(len(v) for v in sent.values()) == 160
    for agg, numbers in sent.items():
        assert numbers == sorted(numbers), f"{agg} out of order: {numbers}"
        assert len(numbers) == len(set(numbers)) == 20
    async with db.sessions() as s:
        pending = (
            await s.execute(sa.select(sa.func.count()).where(OUTBOX.c.published_at.is_(None)))
        ).scalar()
    assert pending == 0


async def test_concurrent_deliveries_of_one_event_apply_it_once(db: Database) -> None:
    runs: list[int] = []

    async def handler(event: ConflictDeclared, envelope: Envelope[dict], u: UnitOfWork) -> None:
        runs.append(1)
        await asyncio.sleep(0.2)  # hold the transaction open while the twin arrives
        await u.session.execute(sa.insert(notes).values(id=envelope.event_id, n=len(runs)))

    envelope = Envelope[dict](
        event_type="registry.conflict-declared",
        schema_version=1,
        district="lingang",
        actor="u",
        aggregate_id="a",
        correlation_id="c",
        payload=conflict("a", 1).model_dump(mode="json"),
    )
    sub = Subscription(ConflictDeclared, handler)

    def new_uow(ctx: Context) -> UnitOfWork:
        return UnitOfWork(db, "lingang", ctx)

    results = await asyncio.gather(
        deliver("svc", sub, envelope, new_uow),
        deliver("svc", sub, envelope, new_uow),
        return_exceptions=True,
    )
    # One applies it; the twin waits on the key, then finds it processed (or, if it raced
    # past the claim, its insert conflicts and it rolls back, to be redelivered and dropped).
    assert results.count(True) == 1
    assert await deliver("svc", sub, envelope, new_uow) is False
    async with db.sessions() as s:
        assert (await s.execute(sa.select(sa.func.count()).select_from(notes))).scalar() == 1
        assert (await s.execute(sa.select(sa.func.count()).select_from(PROCESSED))).scalar() == 1
