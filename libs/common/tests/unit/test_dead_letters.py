"""A consumer's retry budget and its dead letters (SQLite): a poison event is retried, then
dead-lettered so the events behind it move on, counted, and replayed once the cause is fixed;
an event waiting for another, or for the database, is never dead-lettered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from spotcheck_common import dead_letters
from spotcheck_common.consumer import FAILED, PROCESSED, Subscription, deliver
from spotcheck_common.db import Database
from spotcheck_common.errors import Unavailable
from spotcheck_common.events import Envelope
from spotcheck_common.events.registry import ConflictDeclared
from spotcheck_common.metrics import DEAD_LETTERS
from spotcheck_common.uow import Context, UnitOfWork

from ..helpers import conflict, create_schema, notes


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}", "svc")
    await create_schema(database)
    return database


def envelope_of(n: int) -> Envelope[dict[str, Any]]:
    return Envelope[dict[str, Any]](
        event_type="registry.conflict-declared",
        schema_version=1,
        district="lingang",
        actor="alice",
        aggregate_id="a",
        correlation_id=f"corr-{n}",
        payload=conflict("a", n).model_dump(mode="json"),
    )


class Handler:
    """Fails on the reasons in ``poison`` (with ``error``), records the others."""

    def __init__(self, poison: set[str], error: Exception) -> None:
        self.poison, self.error, self.calls = poison, error, 0

    async def __call__(self, event: ConflictDeclared, env: Envelope[Any], u: UnitOfWork) -> None:
        self.calls += 1
        await u.session.execute(sa.insert(notes).values(id=env.event_id, n=self.calls))
        if event.reason in self.poison:
            raise self.error


async def failures(db: Database) -> list[Any]:
    async with db.sessions() as s:
        return list((await s.execute(sa.select(FAILED))).all())


async def test_a_poison_event_is_dead_lettered_after_its_budget_and_the_next_ones_pass(
    db: Database,
) -> None:
    def new(ctx: Context) -> UnitOfWork:
        return UnitOfWork(db, "lingang", ctx)

    handler = Handler({"r1"}, ValueError("无法解析的检查结果"))
    sub = Subscription(ConflictDeclared, handler, name="on_conflict")
    poison, next_one = envelope_of(1), envelope_of(2)
    for attempt in (1, 2):
        with pytest.raises(ValueError):
            await deliver("svc", sub, poison, new, retry_budget=3)
        [row] = await failures(db)
        assert (row.attempts, row.dead_at) == (attempt, None)
    assert await deliver("svc", sub, poison, new, retry_budget=3) is False  # dead, not raised
    [row] = await failures(db)
    assert row.attempts == 3 and row.dead_at is not None
    assert row.last_error == "ValueError: 无法解析的检查结果"
    assert Envelope.from_bytes(row.envelope.encode()).event_id == poison.event_id
    assert DEAD_LETTERS.labels("svc")._value.get() == 1
    # Redelivered once more (the offset was not yet committed): a duplicate, not a 4th try.
    assert await deliver("svc", sub, poison, new, retry_budget=3) is False
    assert handler.calls == 3
    assert await deliver("svc", sub, next_one, new, retry_budget=3) is True
    async with db.sessions() as s:  # none of the poison's half-done work was kept
        kept = (await s.execute(sa.select(notes.c.id))).scalars().all()
    assert kept == [next_one.event_id]


async def test_an_event_waiting_for_another_or_for_the_database_is_never_dead_lettered(
    db: Database,
) -> None:
    def new(ctx: Context) -> UnitOfWork:
        return UnitOfWork(db, "lingang", ctx)

    outage = Subscription(
        ConflictDeclared,
        Handler({"r0"}, sa.exc.OperationalError("SELECT 1", {}, OSError())),
        name="outage",
    )
    for _ in range(4):
        with pytest.raises(sa.exc.OperationalError):
            await deliver("svc", outage, envelope_of(0), new, retry_budget=2)
    early = Subscription(
        ConflictDeclared, Handler({"r1"}, Unavailable("任务尚未批准")), name="early"
    )
    for _ in range(4):  # it waits in the waiting room (spotcheck_common.waiting), acknowledged
        assert await deliver("svc", early, envelope_of(1), new, retry_budget=2) is False
    assert await failures(db) == []


async def test_a_failure_then_a_success_leaves_nothing_behind(db: Database) -> None:
    def new(ctx: Context) -> UnitOfWork:
        return UnitOfWork(db, "lingang", ctx)

    handler = Handler({"r5"}, RuntimeError("transient"))
    sub = Subscription(ConflictDeclared, handler, name="on_conflict")
    event = envelope_of(5)
    with pytest.raises(RuntimeError):
        await deliver("svc", sub, event, new, retry_budget=5)
    handler.poison.clear()
    assert await deliver("svc", sub, event, new, retry_budget=5) is True
    assert await failures(db) == []


async def test_a_dead_letter_replayed_after_the_fix_is_handled_once_and_leaves(
    db: Database,
) -> None:
    def new(ctx: Context) -> UnitOfWork:
        return UnitOfWork(db, "lingang", ctx)

    handler = Handler({"r7"}, KeyError("unknown item"))
    sub = Subscription(ConflictDeclared, handler, name="on_conflict")
    poison = envelope_of(7)
    assert await deliver("svc", sub, poison, new, retry_budget=1) is False
    [letter] = await dead_letters.dead_letters(new)
    assert (letter.consumer, letter.event_id) == ("svc.on_conflict", poison.event_id)

    # Replayed before the fix: fails again, stays a dead letter with the new error.
    [again] = await dead_letters.replay("svc", [sub], new, None, "ops-wang")
    assert not again.ok and "unknown item" in again.error
    [row] = await failures(db)
    assert row.attempts == 2 and row.dead_at is not None

    handler.poison.clear()  # the fix is deployed
    [done] = await dead_letters.replay("svc", [sub], new, [poison.event_id], "ops-wang")
    assert done.ok
    assert await failures(db) == [] and await dead_letters.dead_letters(new) == []
    assert DEAD_LETTERS.labels("svc")._value.get() == 0
    assert await deliver("svc", sub, poison, new, retry_budget=1) is False  # processed once
    async with db.sessions() as s:
        claims = (await s.execute(sa.select(sa.func.count()).select_from(PROCESSED))).scalar()
        kept = (await s.execute(sa.select(notes.c.id))).scalars().all()
    assert claims == 1 and kept == [poison.event_id]
