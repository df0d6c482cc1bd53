"""The waiting room (SQLite): an event received before what it depends on waits, and every
later event of its aggregate waits behind it, while other aggregates' events pass; once what it
waited for is there, the room handles them in arrival order, exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from spotcheck_common.consumer import FAILED, Subscription, deliver
from spotcheck_common.db import Database
from spotcheck_common.errors import Unavailable
from spotcheck_common.events import Envelope
from spotcheck_common.events.registry import ConflictDeclared
from spotcheck_common.metrics import WAITING_EVENTS
from spotcheck_common.uow import Context, UnitOfWork
from spotcheck_common.waiting import WAITING, WaitingRoom

from ..helpers import conflict, create_schema


class Ordered:
    """Handles conflicts once the ``known`` inspectors are known; records the order handled."""

    def __init__(self) -> None:
        self.known: set[str] = set()
        self.handled: list[str] = []
        self.broken: set[str] = set()

    async def __call__(self, event: ConflictDeclared, env: Envelope[Any], u: UnitOfWork) -> None:
        if event.inspector_id not in self.known:
            raise Unavailable(f"检查人员 {event.inspector_id} 尚未导入")
        if event.reason in self.broken:
            raise ValueError("无法处理")
        self.handled.append(event.reason)


def envelope(aggregate: str, n: int) -> Envelope[ConflictDeclared]:
    return Envelope[ConflictDeclared](
        event_type="registry.conflict-declared",
        schema_version=1,
        district="lingang",
        actor="alice",
        aggregate_id=aggregate,
        correlation_id=f"corr-{n}",
        payload=conflict(aggregate, n),
    )


@pytest.fixture
async def room(tmp_path: Path) -> tuple[Database, Ordered, Subscription, WaitingRoom]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}", "svc")
    await create_schema(db)
    handler = Ordered()
    sub = Subscription(ConflictDeclared, handler, name="on_conflict")

    def new(ctx: Context) -> UnitOfWork:
        return UnitOfWork(db, "lingang", ctx)

    async def retry(s: Subscription, env: Envelope[Any]) -> None:
        await deliver("svc", s, env, new, retry_budget=2, waited=True)

    return (
        db,
        handler,
        sub,
        WaitingRoom(
            "svc", {("svc.on_conflict", "registry.conflict-declared"): sub}, new, retry, 10.0
        ),
    )


def processed() -> float:
    labels = {"consumer": "svc.on_conflict", "event_type": "registry.conflict-declared"}
    count = REGISTRY.get_sample_value("spotcheck_consumer_processing_seconds_count", labels)
    return count or 0.0


async def waiting(db: Database) -> list[str]:
    async with db.sessions() as s:
        rows = (await s.execute(sa.select(WAITING).order_by(WAITING.c.id))).all()
    return [Envelope[ConflictDeclared].model_validate_json(r.envelope).payload.reason for r in rows]


async def test_early_events_wait_in_order_and_are_handled_once_what_they_need_is_there(
    room: tuple[Database, Ordered, Subscription, WaitingRoom],
) -> None:
    db, handler, sub, waiting_room = room

    def new(ctx: Context) -> UnitOfWork:
        return UnitOfWork(db, "lingang", ctx)

    handled_before = processed()
    handler.known = {"B"}
    first, second, other = envelope("A", 1), envelope("A", 2), envelope("B", 3)
    assert await deliver("svc", sub, first, new, retry_budget=2) is False  # too early: waits
    handler.known.add("A")  # now A is known, but A's second event must not pass its first
    assert await deliver("svc", sub, second, new, retry_budget=2) is False
    assert await deliver("svc", sub, other, new, retry_budget=2) is True  # another aggregate
    assert await deliver("svc", sub, first, new, retry_budget=2) is False  # redelivered copy
    assert handler.handled == ["r3"] and await waiting(db) == ["r1", "r2"]

    assert await waiting_room.retry_once() == 2
    assert handler.handled == ["r3", "r1", "r2"] and await waiting(db) == []
    assert WAITING_EVENTS.labels("svc")._value.get() == 0
    assert await deliver("svc", sub, second, new, retry_budget=2) is False  # done: a duplicate
    assert handler.handled == ["r3", "r1", "r2"]
    assert processed() == handled_before + 3  # timed once each; waits and duplicates are not


async def test_what_still_waits_keeps_its_aggregate_waiting_and_a_broken_one_is_dead_lettered(
    room: tuple[Database, Ordered, Subscription, WaitingRoom],
) -> None:
    db, handler, sub, waiting_room = room

    def new(ctx: Context) -> UnitOfWork:
        return UnitOfWork(db, "lingang", ctx)

    for env in (envelope("A", 1), envelope("A", 2), envelope("C", 4)):
        assert await deliver("svc", sub, env, new, retry_budget=2) is False
    assert await waiting_room.retry_once() == 0  # nothing known yet
    assert WAITING_EVENTS.labels("svc")._value.get() == 3
    async with db.sessions() as s:
        attempts = (await s.execute(sa.select(WAITING.c.attempts).order_by(WAITING.c.id))).all()
    assert [a for (a,) in attempts] == [1, 0, 1]  # A's second was not tried behind its first

    handler.known, handler.broken = {"A", "C"}, {"r4"}
    assert await waiting_room.retry_once() == 2  # A's two; C's fails (1 of its budget of 2)
    assert handler.handled == ["r1", "r2"] and await waiting(db) == ["r4"]
    assert await waiting_room.retry_once() == 1  # C's second failure: a dead letter, out
    async with db.sessions() as s:
        (dead,) = (await s.execute(sa.select(FAILED))).all()
    assert dead.dead_at is not None and await waiting(db) == []
