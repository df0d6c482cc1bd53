"""An outbox row the bus can never accept is parked, not retried for ever in front of its
aggregate: over the bus's limit (checked before sending) or refused with a permanent error.
An operator lists and releases parked rows (``spotcheck parked-events``)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiokafka import errors as kafka_errors

from spotcheck_common import migrations, parked
from spotcheck_common.bus import InProcessBus, KafkaBus, refused_for_good
from spotcheck_common.db import Database
from spotcheck_common.events.registry import ConflictDeclared
from spotcheck_common.metrics import OUTBOX_OLDEST_AGE, OUTBOX_PARKED, OUTBOX_PENDING
from spotcheck_common.outbox import OutboxRelay
from spotcheck_common.runner import _parked_events_of, build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.uow import OUTBOX, Context, UnitOfWork

from ..helpers import create_schema

USCC = "914403001922038216"
LIMIT = 4096


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}", "svc")
    await create_schema(database)
    yield database
    await database.dispose()


async def emit(db: Database, *events: tuple[str, str]) -> None:
    """One conflict declaration per (inspector, reason): the inspector is the aggregate."""
    async with UnitOfWork(db, "lingang", Context(actor="t")) as u:
        for inspector, reason in events:
            await u.emit(ConflictDeclared(inspector_id=inspector, uscc=USCC, reason=reason))
        await u.commit()


class Recorder:
    """A bus's publish: records the reasons it accepted; raises ``errors[reason]`` instead."""

    def __init__(self, errors: dict[str, Exception] | None = None) -> None:
        self.sent: list[str] = []
        self.tried: list[str] = []
        self.errors = errors or {}

    async def __call__(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        reason = json.loads(value)["payload"]["reason"]
        self.tried.append(reason)
        if reason in self.errors:
            raise self.errors[reason]
        self.sent.append(reason)


async def outbox(db: Database) -> list[sa.Row]:
    async with db.sessions() as s:
        return list((await s.execute(sa.select(OUTBOX).order_by(OUTBOX.c.id))).all())


def gauges(service: str) -> tuple[float, float, float]:
    return (
        OUTBOX_PENDING.labels(service)._value.get(),
        OUTBOX_PARKED.labels(service)._value.get(),
        OUTBOX_OLDEST_AGE.labels(service)._value.get(),
    )


async def test_a_row_over_the_limit_is_parked_unsent_and_its_aggregate_goes_on(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await emit(db, ("a", "x" * LIMIT), ("a", "a2"), ("b", "b1"))
    publish = Recorder()
    relay = OutboxRelay("park-size", db, publish, max_message_bytes=LIMIT)
    with caplog.at_level(logging.ERROR, logger="spotcheck_common.outbox"):
        assert await relay.relay_once() == 2
    assert publish.tried == ["a2", "b1"]  # the big one never reached the bus
    big, a2, b1 = await outbox(db)
    assert big.parked_at is not None and big.published_at is None
    assert "over the bus's limit of 4096 bytes" in big.last_error
    assert a2.published_at is not None and b1.published_at is not None
    [record] = [r for r in caplog.records if "parked" in r.getMessage()]
    fields = record.fields  # type: ignore[attr-defined]
    assert (fields["event_id"], fields["event_type"], fields["aggregate_id"]) == (
        big.event_id,
        "registry.conflict-declared",
        "a",
    )
    assert fields["bytes"] > LIMIT
    # Parked: neither pending nor old, but counted; and never tried again.
    assert gauges("park-size") == (0, 1, 0)
    assert await relay.relay_once() == 0
    assert publish.tried == ["a2", "b1"]
    # The aggregate's events written later are not held back by the parked one either.
    await emit(db, ("a", "a3"))
    assert await relay.relay_once() == 1
    assert publish.sent == ["a2", "b1", "a3"]


@pytest.mark.parametrize("in_flight", [1, 8])
async def test_a_permanent_refusal_parks_the_row_and_its_aggregate_goes_on(
    db: Database, in_flight: int
) -> None:
    await emit(db, ("a", "a1"), ("a", "a2"), ("a", "a3"))
    publish = Recorder({"a1": kafka_errors.MessageSizeTooLargeError()})
    relay = OutboxRelay(
        "park-refused", db, publish, in_flight=in_flight, permanent=refused_for_good
    )
    assert await relay.relay_once() == 2
    assert publish.sent == ["a2", "a3"]
    a1, *_ = await outbox(db)
    assert a1.parked_at is not None and a1.published_at is None
    assert a1.last_error.startswith("MessageSizeTooLargeError")
    assert gauges("park-refused")[:2] == (0, 1)


async def test_a_transient_error_is_still_retried_and_holds_its_aggregate_back(
    db: Database,
) -> None:
    await emit(db, ("a", "a1"), ("a", "a2"))
    publish = Recorder({"a1": kafka_errors.KafkaConnectionError("broker gone")})
    relay = OutboxRelay("park-transient", db, publish, permanent=refused_for_good)
    assert await relay.relay_once() == 0
    a1, a2 = await outbox(db)
    assert a1.parked_at is None and a1.attempts == 1 and a1.next_attempt_at is not None
    assert a2.published_at is None  # waits behind a1
    assert gauges("park-transient")[:2] == (2, 0)


async def test_a_parked_row_is_no_pending_rows_age(db: Database) -> None:
    await emit(db, ("a", "a1"))
    async with db.sessions() as s:  # parked long ago
        old = datetime(2000, 1, 1, tzinfo=UTC)
        await s.execute(sa.update(OUTBOX).values(created_at=old, parked_at=old))
        await s.commit()
    relay = OutboxRelay("park-age", db, Recorder())
    assert await relay.relay_once() == 0
    assert gauges("park-age") == (0, 1, 0)


async def test_release_puts_parked_rows_back_and_the_same_limit_parks_them_again(
    db: Database,
) -> None:
    await emit(db, ("a", "x" * LIMIT), ("b", "y" * LIMIT), ("c", "c1"))
    publish = Recorder()
    relay = OutboxRelay("park-release", db, publish, max_message_bytes=LIMIT)
    assert await relay.relay_once() == 1
    listed = await parked.parked_events(db)
    assert [(p.aggregate_id, p.event_type) for p in listed] == [
        ("a", "registry.conflict-declared"),
        ("b", "registry.conflict-declared"),
    ]
    assert all(p.bytes > LIMIT and "4096" in p.last_error for p in listed)
    # Released under the same limit: tried once more, parked again, not looping.
    assert await parked.release(db, [listed[0].event_id]) == [listed[0].event_id]
    a, b, _ = await outbox(db)
    assert (a.parked_at, a.attempts, a.next_attempt_at) == (None, 0, None)
    assert b.parked_at is not None  # not named, still parked
    assert await relay.relay_once() == 0
    assert len(await parked.parked_events(db)) == 2
    # The cause mended (the limit raised): all released, both sent.
    assert sorted(await parked.release(db, None)) == sorted(p.event_id for p in listed)
    mended = OutboxRelay("park-release", db, publish, max_message_bytes=4 * LIMIT)
    assert await mended.relay_once() == 2
    assert [s[0] for s in publish.sent] == ["c", "x", "y"]
    assert await parked.parked_events(db) == []
    assert gauges("park-release")[:2] == (0, 0)


async def test_the_operator_command_lists_and_releases(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    await emit(db, ("a", "x" * LIMIT))
    await OutboxRelay("svc", db, Recorder(), max_message_bytes=LIMIT).relay_once()
    [row] = await outbox(db)
    await _parked_events_of("registry", db, None)
    line = capsys.readouterr().out.strip().split("\t")
    assert line[:5] == ["registry", str(row.id), row.event_id, "registry.conflict-declared", "a"]
    assert line[5] == f"{len(row.envelope.encode())} bytes"
    assert "over the bus's limit" in line[7]
    await _parked_events_of("registry", db, [])  # --release with no ids: all
    assert capsys.readouterr().out == f"registry\t{row.event_id}\treleased\n"
    assert await parked.parked_events(db) == []


def test_kafka_refuses_for_good_only_what_no_retry_mends() -> None:
    for error in (
        kafka_errors.MessageSizeTooLargeError(),
        kafka_errors.RecordTooLargeError(),
        kafka_errors.RecordListTooLargeError(),
        kafka_errors.InvalidTopicError(),
    ):
        assert refused_for_good(error), error
    for error in (
        kafka_errors.KafkaConnectionError(),
        kafka_errors.KafkaTimeoutError(),
        kafka_errors.NoBrokersAvailable(),
        kafka_errors.TopicAuthorizationFailedError(),
        kafka_errors.NotLeaderForPartitionError(),
        RuntimeError("subscriber failed"),
    ):
        assert not refused_for_good(error), error
    assert not InProcessBus.permanent(kafka_errors.MessageSizeTooLargeError())


def test_the_setting_reaches_the_producer_and_the_relay(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, kafka_bootstrap="127.0.0.1:9", kafka_max_message_bytes=3_000_000
    )
    (runtime,) = build_runtimes([load("registry")], settings)
    assert isinstance(runtime.bus, KafkaBus)
    assert runtime.bus.broker._connection_kwargs["max_request_size"] == 3_000_000
    assert runtime.relay.max_message_bytes == 3_000_000
    assert runtime.relay.permanent is refused_for_good
    (embedded,) = build_runtimes([load("registry")], Settings(data_dir=tmp_path), InProcessBus())
    assert embedded.relay.max_message_bytes is None
    assert not embedded.relay.permanent(kafka_errors.MessageSizeTooLargeError())


async def test_the_kernel_migration_adds_parked_at_to_a_filled_outbox(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}", "registry")
    script = load("registry").migrations
    await migrations.upgrade(db, script, "k0002")
    async with db.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO outbox (event_id, topic, aggregate_id, event_type, envelope, "
                "created_at) VALUES ('e1', 't', 'a', 'x', '{}', '2026-12-01 00:00:00')"
            )
        )
    await migrations.upgrade(db, script)
    [row] = await outbox(db)
    await db.dispose()
    assert (row.event_id, row.parked_at, row.published_at) == ("e1", None, None)
