"""An event the broker can never accept is parked, on real PostgreSQL (the kernel's migrations)
and a real broker (message.max.bytes at its default, 1 MiB): its aggregate's next event still
reaches a consumer, and a release under the same limit parks it again instead of looping."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from spotcheck_common import migrations, parked
from spotcheck_common.bus import KafkaBus
from spotcheck_common.db import Database
from spotcheck_common.events import Envelope
from spotcheck_common.events.registry import ConflictDeclared
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.uow import OUTBOX, Context, UnitOfWork

pytestmark = pytest.mark.integration

USCC = "914403001922038216"
BIG = "x" * 1_500_000  # an envelope of about 1.5 MB


@pytest.fixture
async def registry_url(pg_url: str) -> str:
    """A database with the registry's schema as ``spotcheck migrate`` builds it (the kernel's
    k0003 included)."""
    db = Database(pg_url, "registry")
    await migrations.upgrade(db, load("registry").migrations)
    await db.dispose()
    return pg_url


@contextlib.asynccontextmanager
async def registry(
    district: str, url: str, bootstrap: str, max_message_bytes: int
) -> AsyncIterator[tuple[ServiceRuntime, list[str]]]:
    """The registry's runtime on Kafka as the runner builds it (the setting reaching the
    producer and the relay), and the reasons a consumer group of the topic received."""
    settings = Settings(
        district=district,
        database_url=url,
        kafka_bootstrap=bootstrap,
        kafka_max_message_bytes=max_message_bytes,
    )
    bus = KafkaBus(bootstrap, max_message_bytes=settings.kafka_max_message_bytes)
    received: list[str] = []

    async def on_event(envelope: Envelope[ConflictDeclared], headers: dict[str, str]) -> None:
        received.append(envelope.payload.reason)

    topic = ConflictDeclared.topic(district)
    bus.subscribe(topic, f"{district}.probe", ConflictDeclared, on_event)
    (runtime,) = build_runtimes([load("registry")], settings, bus=bus)
    await bus.start()
    try:
        yield runtime, received
    finally:
        await bus.stop()
        await runtime.db.dispose()


async def emit(db: Database, district: str, *reasons: str) -> None:
    async with UnitOfWork(db, district, Context(actor="t")) as u:
        for reason in reasons:
            await u.emit(ConflictDeclared(inspector_id="insp-1", uscc=USCC, reason=reason))
        await u.commit()


async def relay_until(runtime: ServiceRuntime, received: list[str], reason: str) -> None:
    for _ in range(300):
        await runtime.relay.relay_once()
        if reason in received:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{reason} never arrived: {received}")


async def big_row(db: Database) -> sa.Row:
    async with db.sessions() as s:
        return (await s.execute(sa.select(OUTBOX).order_by(OUTBOX.c.id).limit(1))).one()


async def test_the_broker_refuses_for_good_the_row_is_parked_and_its_aggregate_goes_on(
    registry_url: str, kafka_bootstrap: str, unique_district: str
) -> None:
    # The relay's and producer's limit above the broker's: the broker itself refuses.
    limit = 2 * 1024 * 1024
    async with registry(unique_district, registry_url, kafka_bootstrap, limit) as (rt, received):
        await emit(rt.db, unique_district, BIG, "next")
        await relay_until(rt, received, "next")
        row = await big_row(rt.db)
        assert row.parked_at is not None and row.published_at is None
        # The broker's answer (error 10), not the producer's own check (max_request_size).
        assert row.last_error.startswith("MessageSizeTooLargeError: [Error 10]"), row.last_error
        # Released under the same limits: sent once more, refused, parked again — no loop.
        assert await parked.release(rt.db, None) == [row.event_id]
        await rt.relay.relay_once()
        [again] = await parked.parked_events(rt.db)
        assert again.event_id == row.event_id and again.parked_at > row.parked_at
        assert await rt.relay.relay_once() == 0
        assert (await big_row(rt.db)).parked_at == again.parked_at
        await emit(rt.db, unique_district, "after")
        await relay_until(rt, received, "after")
    assert received == ["next", "after"]


async def test_with_the_default_limit_the_relay_parks_it_before_sending(
    registry_url: str, kafka_bootstrap: str, unique_district: str
) -> None:
    limit = Settings.model_fields["kafka_max_message_bytes"].default
    async with registry(unique_district, registry_url, kafka_bootstrap, limit) as (rt, received):
        await emit(rt.db, unique_district, BIG, "next")
        await relay_until(rt, received, "next")
        [event] = await parked.parked_events(rt.db)
    assert event.bytes > 1_500_000
    assert event.last_error.startswith("MessageTooLarge: ")
    assert "over the bus's limit of 1048576 bytes" in event.last_error
    assert received == ["next"]
