"""The outbox relay and the idempotent consumer on the embedded backend (SQLite files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from spotcheck_common.consumer import PROCESSED, Subscription, deliver
from spotcheck_common.db import Database
from spotcheck_common.events import Envelope
from spotcheck_common.events.registry import ConflictDeclared
from spotcheck_common.outbox import OutboxRelay
from spotcheck_common.uow import OUTBOX, Context, UnitOfWork

from ..helpers import conflict, create_schema, notes


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}", "svc")
    await create_schema(database)
    return database


def uow(db: Database, ctx: Context | None = None) -> UnitOfWork:
    return UnitOfWork(db, "lingang", ctx or Context(actor="tester"))


async def test_events_leave_only_with_their_transaction(db: Database) -> None:
    async with uow(db) as u:
        await u.session.execute(sa.insert(notes).values(id="kept", n=1))
        await u.emit(conflict("a", 1))
        await u.commit()
    async with uow(db) as u:
        await u.session.execute(sa.insert(notes).values(id="dropped", n=2))
        await u.emit(conflict("a", 2))
        # no commit: leaving the block rolls back the state change and its event together
    async with db.sessions() as s:
        rows = (await s.execute(sa.select(OUTBOX.c.envelope))).scalars().all()
        kept = (await s.execute(sa.select(notes.c.id))).scalars().all()
    assert kept == ["kept"]
    assert [json.loads(r)["payload"]["reason"] for r in rows] == ["r1"]


async def test_relay_publishes_in_order_and_marks_rows(db: Database) -> None:
    sent: list[tuple[str, str, str]] = []

    async def publish(topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        sent.append((topic, key, json.loads(value)["payload"]["reason"]))

    async with uow(db, Context(actor="u", correlation_id="corr")) as u:
        for n in range(5):
            await u.emit(conflict("a" if n % 2 else "b", n))
        await u.commit()
    relay = OutboxRelay("svc", db, publish)
    assert await relay.relay_once() == 5
    assert await relay.relay_once() == 0
    assert [s[2] for s in sent if s[1] == "a"] == ["r1", "r3"]
    assert [s[2] for s in sent if s[1] == "b"] == ["r0", "r2", "r4"]
    assert {s[0] for s in sent} == {"lingang.registry.conflict-declared.v1"}


async def test_a_failed_row_backs_off_and_holds_back_its_aggregate(db: Database) -> None:
    sent: list[str] = []
    fail = {"r0"}

    async def publish(topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        reason = json.loads(value)["payload"]["reason"]
        if reason in fail:
            raise ConnectionError("broker unreachable")
        sent.append(reason)

    async with uow(db) as u:
        await u.emit(conflict("a", 0))
        await u.emit(conflict("a", 1))
        await u.emit(conflict("b", 2))
        await u.commit()
    relay = OutboxRelay("svc", db, publish)
    assert await relay.relay_once() == 1
    assert sent == ["r2"]  # r1 waits behind r0 of the same aggregate
    async with db.sessions() as s:
        failed = (await s.execute(sa.select(OUTBOX).where(OUTBOX.c.attempts > 0))).one()
    assert failed.attempts == 1 and "broker unreachable" in failed.last_error
    assert failed.next_attempt_at is not None and failed.published_at is None
    # Once due and the broker is back, the aggregate drains in order.
    fail.clear()
    async with db.sessions() as s:
        await s.execute(sa.update(OUTBOX).values(next_attempt_at=None))
        await s.commit()
    assert await relay.relay_once() == 2
    assert sent == ["r2", "r0", "r1"]


async def test_consumer_applies_a_redelivered_event_once(db: Database) -> None:
    calls: list[str] = []

    async def handler(event: ConflictDeclared, envelope: Envelope[dict], u: UnitOfWork) -> None:
        calls.append(event.reason)
        await u.session.execute(sa.insert(notes).values(id=envelope.event_id, n=1))
        await u.emit(conflict("downstream", 9))

    envelope = Envelope[dict](
        event_type="registry.conflict-declared",
        schema_version=1,
        district="lingang",
        actor="alice",
        aggregate_id="a",
        correlation_id="corr-1",
        payload=conflict("a", 7).model_dump(mode="json"),
    )
    sub = Subscription(ConflictDeclared, handler)
    assert await deliver("svc", sub, envelope, lambda ctx: uow(db, ctx)) is True
    assert await deliver("svc", sub, envelope, lambda ctx: uow(db, ctx)) is False
    assert calls == ["r7"]
    async with db.sessions() as s:
        out = [json.loads(r) for r in (await s.execute(sa.select(OUTBOX.c.envelope))).scalars()]
        processed = (await s.execute(sa.select(sa.func.count()).select_from(PROCESSED))).scalar()
    assert processed == 1
    # The event it caused carries the cause and the correlation of the flow, and the actor.
    assert [(o["causation_id"], o["correlation_id"], o["actor"]) for o in out] == [
        (envelope.event_id, "corr-1", "alice")
    ]


async def test_a_failing_handler_leaves_no_trace_and_can_be_retried(db: Database) -> None:
    attempts: list[int] = []

    async def handler(event: ConflictDeclared, envelope: Envelope[dict], u: UnitOfWork) -> None:
        await u.session.execute(sa.insert(notes).values(id="half", n=len(attempts)))
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("crash mid-handler")

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
    with pytest.raises(RuntimeError):
        await deliver("svc", sub, envelope, lambda ctx: uow(db, ctx))
    assert await deliver("svc", sub, envelope, lambda ctx: uow(db, ctx)) is True
    async with db.sessions() as s:
        assert (await s.execute(sa.select(notes.c.n))).scalars().all() == [1]
