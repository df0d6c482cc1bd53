"""Bulk producers: the fast USCC checks agree with the reference one; events emitted from
ready-made JSON carry the envelope ``emit`` writes, byte for byte; the relay reads the trace
context without parsing the payload and, on Kafka, sends aggregates concurrently while each
aggregate keeps its order."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from spotcheck_common import uscc
from spotcheck_common.clock import FixedClock
from spotcheck_common.db import Database
from spotcheck_common.events.registry import EntitiesImported, EntitySnapshot
from spotcheck_common.outbox import OutboxRelay, trace_context
from spotcheck_common.testing import TEST_NOW, FakeUnitOfWork
from spotcheck_common.uow import OUTBOX, Context, UnitOfWork

from ..helpers import conflict, create_schema

CODES = uscc.synthetic(300, seed=5, area_code="371071")


def mutations(code: str, rng: random.Random) -> list[str]:
    i = rng.randrange(18)
    odd = rng.choice([*uscc.ALPHABET, "I", "O", "S", "V", "Z", "a", " ", "_", "+", "٣", "\x00"])
    return [
        code[:i] + odd + code[i + 1 :],
        code[:i] + code[i + 1 :] + rng.choice(uscc.ALPHABET),  # a character dropped
        code[:i] + code[i + 1 :],  # too short
        code + rng.choice(uscc.ALPHABET),  # too long
        code.lower(),
    ]


def test_the_fast_uscc_checks_agree_with_the_reference() -> None:
    rng = random.Random(7)
    assert all(uscc.is_valid(c) for c in CODES) and uscc.all_valid(CODES)
    assert uscc.all_valid([])
    for code in CODES:
        for bad in mutations(code, rng):
            expected = uscc.validate(bad) is None
            assert uscc.is_valid(bad) == expected, bad
            assert uscc.all_valid([*CODES[:3], bad, *CODES[3:6]]) == expected, bad


def _snapshot(n: int, name: str = "") -> EntitySnapshot:
    return EntitySnapshot(
        uscc=CODES[n],
        name=name or f"威海{n}号商贸有限公司",
        entity_type="有限责任公司",
        industry="批发和零售业",
        area="草庙子镇",
        risk_class="B",
        status="active",
        address="",
    )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}", "svc")
    await create_schema(database)
    yield database
    await database.dispose()


async def test_an_event_emitted_as_json_has_the_envelope_emit_writes(db: Database) -> None:
    tricky = 'a"b\\c\td\n𠀾\x01\x7f\u2028'  # every kind of character JSON may escape
    event = EntitiesImported(batch_id="b:0", entities=[_snapshot(0, tricky), _snapshot(1)])
    payload = (
        '{"batch_id":"b:0","entities":['
        + ",".join(s.model_dump_json() for s in event.entities)
        + "]}"
    )
    context = Context(actor="li", correlation_id="corr-1", causation_id="cause-1")
    async with UnitOfWork(db, "lingang", context, clock=FixedClock(TEST_NOW)) as u:
        await u.emit(event)
        await u.emit_json(EntitiesImported, [("b:0", payload)])
        await u.commit()
    async with db.sessions() as s:
        rows = (await s.execute(sa.select(OUTBOX).order_by(OUTBOX.c.id))).all()
    assert len(rows) == 2
    by_emit, by_json = rows
    assert (by_json.topic, by_json.aggregate_id, by_json.event_type) == (
        by_emit.topic,
        by_emit.aggregate_id,
        by_emit.event_type,
    )
    # Byte for byte the same, but for the event's own id.
    assert by_json.envelope.replace(by_json.event_id, "ID") == by_emit.envelope.replace(
        by_emit.event_id, "ID"
    )
    assert json.loads(by_json.envelope)["event_id"] == by_json.event_id
    fake = FakeUnitOfWork()
    await fake.emit_json(EntitiesImported, [("b:0", payload)])
    await fake.commit()
    assert fake.events == [event]


def test_the_trace_context_is_read_without_the_payload() -> None:
    head = '{"event_id":"e","traceparent":"00-abc-def-01","tracestate":"k=v","payload":'
    payload = '{"traceparent":"not this","x":"' + "y" * 100_000 + '"}'
    assert trace_context(head + payload + "}") == ("00-abc-def-01", "k=v")
    assert trace_context('{"event_id":"e","traceparent":null,"payload":{}}') == (None, None)
    # Laid out otherwise (payload first, spaces): the whole envelope is read.
    other = '{"payload": {"a": 1}, "traceparent": "00-x-y-01", "tracestate": null}'
    assert trace_context(other) == ("00-x-y-01", None)


async def test_concurrent_sends_keep_each_aggregates_order_and_hold_back_a_failure(
    db: Database,
) -> None:
    sent: list[tuple[str, str]] = []
    in_flight = 0
    most = 0
    fail = {"r7"}

    async def publish(topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        nonlocal in_flight, most
        reason = json.loads(value)["payload"]["reason"]
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.001 * (hash(reason) % 5))  # out of step, like a broker
        in_flight -= 1
        if reason in fail:
            raise ConnectionError("broker unreachable")
        sent.append((key, reason))

    async with UnitOfWork(db, "lingang", Context(actor="u")) as u:
        for n in range(30):
            await u.emit(conflict(f"agg{n % 6}", n))  # six aggregates, five rows each
        await u.commit()
    relay = OutboxRelay("svc", db, publish, in_flight=4)
    assert await relay.relay_once() == 26  # agg1 stops at r7: r13, r19, r25 wait behind it
    assert most > 1  # aggregates went concurrently
    for aggregate in {key for key, _ in sent}:
        numbers = [int(r[1:]) for key, r in sent if key == aggregate]
        assert numbers == sorted(numbers)  # each aggregate in its own order
    assert [r for key, r in sent if key == "agg1"] == ["r1"]
    fail.clear()
    async with db.sessions() as s:
        await s.execute(sa.update(OUTBOX).values(next_attempt_at=None))
        await s.commit()
    assert await relay.relay_once() == 4
    assert [r for key, r in sent if key == "agg1"] == ["r1", "r7", "r13", "r19", "r25"]


async def test_one_at_a_time_the_relay_keeps_the_outboxs_order(db: Database) -> None:
    sent: list[str] = []

    async def publish(topic: str, key: str, value: bytes, headers: dict[str, str]) -> Any:
        sent.append(json.loads(value)["payload"]["reason"])

    async with UnitOfWork(db, "lingang", Context(actor="u")) as u:
        for n in range(8):
            await u.emit(conflict(f"agg{n % 3}", n))
        await u.commit()
    assert await OutboxRelay("svc", db, publish).relay_once() == 8
    assert sent == [f"r{n}" for n in range(8)]  # across aggregates too (in-process delivery)
