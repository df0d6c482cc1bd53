"""Dead letters: events a consumer gave up on after its retry budget (``consumer.deliver``),
listed and replayed by an operator once the cause is fixed (``spotcheck dead-letters``).

A replay runs the consumer's handler again, exactly as a delivery would, in the service's
database; what the handler writes to the outbox leaves through the running service's relay.
An event whose replay fails again stays a dead letter, with the new error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from spotcheck_common.consumer import (
    FAILED,
    MAX_ERROR,
    PROCESSED,
    Subscription,
    claim,
    count_dead_letters,
    deliver,
)
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.uow import Context, UnitOfWork

NewUow = Callable[[Context], UnitOfWork]


@dataclass(frozen=True)
class DeadLetter:
    consumer: str
    event_id: str
    event_type: str
    attempts: int
    last_error: str
    first_failed_at: Any
    dead_at: Any


@dataclass(frozen=True)
class Replayed:
    event_id: str
    consumer: str
    ok: bool
    error: str = ""


async def dead_letters(new_uow: NewUow) -> list[DeadLetter]:
    async with new_uow(Context(actor="operator")) as uow:
        rows = await uow.session.execute(
            sa.select(FAILED).where(FAILED.c.dead_at.is_not(None)).order_by(FAILED.c.dead_at)
        )
        return [
            DeadLetter(
                r.consumer,
                r.event_id,
                r.event_type,
                r.attempts,
                r.last_error,
                r.first_failed_at,
                r.dead_at,
            )
            for r in rows
        ]


async def replay(
    service: str,
    subscriptions: Sequence[Subscription],
    new_uow: NewUow,
    event_ids: Sequence[str] | None,
    actor: str,
) -> list[Replayed]:
    """Replay the service's dead letters named (``None``: all) through their consumers'
    handlers."""
    by_consumer = {f"{service}.{s.consumer_name}": s for s in subscriptions}
    out = []
    for letter in await dead_letters(new_uow):
        if event_ids is not None and letter.event_id not in event_ids:
            continue
        subscription = by_consumer.get(letter.consumer)
        if subscription is None:
            out.append(Replayed(letter.event_id, letter.consumer, False, "没有这个消费者"))
            continue
        envelope = await _revive(new_uow, letter, actor)
        try:
            await deliver(service, subscription, envelope, new_uow)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
            await _bury(new_uow, letter, error, actor)
            out.append(Replayed(letter.event_id, letter.consumer, False, error))
            continue
        out.append(Replayed(letter.event_id, letter.consumer, True))
    await count_dead_letters(service, new_uow)
    return out


def _key(letter: DeadLetter, table: sa.Table) -> tuple[Any, Any]:
    return (table.c.consumer == letter.consumer, table.c.event_id == letter.event_id)


async def _revive(new_uow: NewUow, letter: DeadLetter, actor: str) -> Envelope[Any]:
    """Unmark the event as processed, so its delivery runs the handler (whose success then
    removes the dead letter)."""
    async with new_uow(Context(actor=actor)) as uow:
        await uow.session.execute(sa.delete(PROCESSED).where(*_key(letter, PROCESSED)))
        raw = (
            await uow.session.execute(sa.select(FAILED.c.envelope).where(*_key(letter, FAILED)))
        ).scalar_one()
        await uow.commit()
    envelope: Envelope[Any] = Envelope.from_bytes(raw.encode())
    return envelope


async def _bury(new_uow: NewUow, letter: DeadLetter, error: str, actor: str) -> None:
    """The replay failed: a dead letter again (processed, so no redelivery runs it)."""
    async with new_uow(Context(actor=actor)) as uow:
        now = uow.clock.now()
        await uow.session.execute(
            sa.update(FAILED)
            .where(*_key(letter, FAILED))
            .values(
                attempts=FAILED.c.attempts + 1, last_error=error, last_failed_at=now, dead_at=now
            )
        )
        await claim(uow.session, letter.consumer, letter.event_id)
        await uow.commit()
