"""Events cross a real Kafka broker: outbox → relay → topic → consumer group → handler."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from spotcheck_common.bus import KafkaBus
from spotcheck_common.consumer import Subscription, deliver
from spotcheck_common.db import Database
from spotcheck_common.events import Envelope
from spotcheck_common.events.registry import InspectorsImported
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers
from spotcheck_common.tracing import setup_tracing
from spotcheck_common.uow import UnitOfWork

from ..helpers import create_schema

pytestmark = pytest.mark.integration

CSV = (
    "执法人员编号,姓名,科室,检查资格,可任组长,执法证有效期至,在岗\n"
    "LG0001,王伟,信用监管科,企业公示信息,是,2030-12-31,是\n"
    "LG0002,李娜,信用监管科,企业公示信息,否,2030-12-31,是\n"
).encode()


async def publish_batch(bus: KafkaBus, district: str, batch: str, key: str) -> None:
    """An inspectors-imported event of ``batch`` on the district's topic, keyed ``key``."""
    event = InspectorsImported(batch_id=batch, inspectors=[])
    envelope = Envelope[dict](
        event_type=event.event_type(),
        schema_version=1,
        district=district,
        actor="t",
        aggregate_id=key,
        correlation_id="c",
        payload=event.model_dump(mode="json"),
    )
    await bus.publish(InspectorsImported.topic(district), key, envelope.to_bytes(), {})


async def test_an_imported_batch_reaches_a_consumer_group_through_kafka_once(
    pg_url: str, kafka_bootstrap: str, unique_district: str
) -> None:
    setup_tracing("test")  # as the runner does: real trace ids even without an exporter
    settings = Settings(
        district=unique_district,
        database_url=pg_url,
        kafka_bootstrap=kafka_bootstrap,
        auth_secret=TEST_SECRET,
    )
    bus = KafkaBus(kafka_bootstrap)
    sink_db = Database(pg_url, "sink")
    await create_schema(sink_db)
    received: list[tuple[Envelope[dict], list[str]]] = []

    async def handler(event: InspectorsImported, envelope: Envelope[dict], u: UnitOfWork) -> None:
        received.append((envelope, [i.inspector_id for i in event.inspectors]))

    sub = Subscription(InspectorsImported, handler)

    async def on_event(envelope: Envelope[dict], headers: dict[str, str]) -> None:
        assert headers["event_id"] == envelope.event_id and "traceparent" in headers
        uow = lambda ctx: UnitOfWork(sink_db, unique_district, ctx)  # noqa: E731
        await deliver("sink", sub, envelope, uow, headers)
        await deliver("sink", sub, envelope, uow, headers)  # a redelivery changes nothing

    bus.subscribe(
        InspectorsImported.topic(unique_district),
        f"{unique_district}.sink",
        InspectorsImported,
        on_event,
    )
    runtimes = build_runtimes([load("registry")], settings, bus=bus)
    app = build_app(runtimes, "t")
    async with LifespanManager(app, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(
                "/api/registry/inspectors/import",
                content=CSV,
                headers={
                    "content-type": "text/csv",
                    **auth_headers("credit-1", "credit_dept", district=unique_district),
                },
            )
            assert response.status_code == 200, response.text
            for _ in range(200):
                if received:
                    break
                await asyncio.sleep(0.1)
            assert (await client.get("/healthz/bus")).json() == {"bus": "ok"}
    await sink_db.dispose()
    assert len(received) == 1
    envelope, ids = received[0]
    assert ids == ["LG0001", "LG0002"]
    assert envelope.district == unique_district and envelope.actor == "credit-1"


async def test_a_failing_consumer_gets_the_event_again_and_the_partition_waits(
    kafka_bootstrap: str, unique_district: str
) -> None:
    """A handler that fails (e.g. its task is not known yet) is redelivered the same event, and
    later events of the partition wait behind it, so nothing is skipped or reordered."""
    bus = KafkaBus(kafka_bootstrap)
    topic = InspectorsImported.topic(unique_district)
    seen: list[str] = []
    fail_once = {"first"}

    async def on_event(envelope: Envelope[dict], headers: dict[str, str]) -> None:
        batch = envelope.event().batch_id  # type: ignore[attr-defined]
        seen.append(batch)
        if batch in fail_once:
            fail_once.discard(batch)
            raise RuntimeError("task not known yet")

    bus.subscribe(topic, f"{unique_district}.probe", InspectorsImported, on_event)
    await bus.start()
    try:
        for batch in ("first", "second"):
            await publish_batch(bus, unique_district, batch, "same-key")
        for _ in range(300):
            if seen.count("second") >= 1:
                break
            await asyncio.sleep(0.1)
    finally:
        await bus.stop()
    assert seen[:3] == ["first", "first", "second"], seen


async def test_a_poison_event_is_dead_lettered_and_the_partition_moves_on(
    pg_url: str, kafka_bootstrap: str, unique_district: str
) -> None:
    """A handler that can never handle an event (a bug, bad data) gets it its retry budget's
    times through the broker; then the event is kept as a dead letter and the events behind
    it in the same partition are handled; replayed after the fix, it is handled once."""
    from spotcheck_common import dead_letters

    bus = KafkaBus(kafka_bootstrap)
    topic = InspectorsImported.topic(unique_district)
    sink_db = Database(pg_url, "sink")
    await create_schema(sink_db)
    handled: list[str] = []
    broken = {"poison"}

    async def handler(event: InspectorsImported, envelope: Envelope[dict], u: UnitOfWork) -> None:
        if event.batch_id in broken:
            raise ValueError(f"cannot handle {event.batch_id}")
        handled.append(event.batch_id)

    sub = Subscription(InspectorsImported, handler, name="probe")

    def new(ctx: Any) -> UnitOfWork:
        return UnitOfWork(sink_db, unique_district, ctx)

    async def on_event(envelope: Envelope[dict], headers: dict[str, str]) -> None:
        await deliver("sink", sub, envelope, new, headers, retry_budget=3)

    bus.subscribe(topic, f"{unique_district}.sink", InspectorsImported, on_event)
    await bus.start()
    try:
        for batch in ("poison", "behind"):
            await publish_batch(bus, unique_district, batch, "same-key")
        for _ in range(300):
            if handled:
                break
            await asyncio.sleep(0.1)
    finally:
        await bus.stop()
    assert handled == ["behind"]
    [letter] = await dead_letters.dead_letters(new)
    assert (letter.consumer, letter.attempts) == ("sink.probe", 3)
    broken.clear()
    [done] = await dead_letters.replay("sink", [sub], new, None, "ops")
    await sink_db.dispose()
    assert done.ok and handled == ["behind", "poison"]


async def test_a_groups_lag_is_measured_from_the_broker_and_falls_to_zero(
    kafka_bootstrap: str, unique_district: str
) -> None:
    """Five events behind a consumer that has not handled them: a lag of five on the topic,
    whatever the consumer believes; once it has handled and committed them, zero."""
    from spotcheck_common.metrics import CONSUMER_LAG

    bus = KafkaBus(kafka_bootstrap)
    topic = InspectorsImported.topic(unique_district)
    group = f"{unique_district}.probe.lag"
    release = asyncio.Event()
    handled: list[str] = []

    async def on_event(envelope: Envelope[dict], headers: dict[str, str]) -> None:
        await release.wait()
        handled.append(envelope.event_id)

    bus.subscribe(topic, group, InspectorsImported, on_event)
    await bus.start()
    try:
        for n in range(5):
            await publish_batch(bus, unique_district, f"b{n}", f"k{n}")
        assert (await bus.measure_lag())[(group, topic)] == 5
        assert CONSUMER_LAG.labels(group, topic)._value.get() == 5
        release.set()
        for _ in range(300):
            if len(handled) == 5 and (await bus.measure_lag())[(group, topic)] == 0:
                break
            await asyncio.sleep(0.2)
    finally:
        await bus.stop()
    assert len(handled) == 5
    assert CONSUMER_LAG.labels(group, topic)._value.get() == 0


async def test_an_undecodable_message_is_skipped_and_the_partition_moves_on(
    kafka_bootstrap: str, unique_district: str
) -> None:
    """A message that is no envelope of the topic's event can never be handled: it is skipped,
    counted and logged (it stays in the topic), and the events behind it on the same key are
    handled; a handler's own failure is still redelivered."""
    from spotcheck_common.metrics import EVENTS_UNDECODABLE

    bus = KafkaBus(kafka_bootstrap)
    topic = InspectorsImported.topic(unique_district)
    handled: list[str] = []
    failures = [RuntimeError("a handler's failure, once")]

    async def on_event(envelope: Envelope[dict], headers: dict[str, str]) -> None:
        if failures:
            raise failures.pop()
        handled.append(envelope.payload.batch_id)

    bus.subscribe(topic, f"{unique_district}.probe.undecodable", InspectorsImported, on_event)
    await bus.start()
    try:
        await bus.publish(topic, "same-key", b'{"not": "an envelope"}', {})
        await bus.publish(topic, "same-key", b"\xff\xfe not even JSON", {})
        await publish_batch(bus, unique_district, "behind", "same-key")
        for _ in range(300):
            if handled:
                break
            await asyncio.sleep(0.1)
    finally:
        await bus.stop()
    assert handled == ["behind"] and failures == []  # failed once, redelivered, then handled
    assert EVENTS_UNDECODABLE.labels(topic)._value.get() == 2
