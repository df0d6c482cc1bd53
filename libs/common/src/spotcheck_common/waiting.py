"""The waiting room: events received before what they depend on.

A handler that raises ``Unavailable`` (a draw before its task, a replacement before its
inspection) says its event came too early. The event then waits in ``waiting_events``, and so
does every later event of the same aggregate and type for that consumer (their order, the
topic's, is kept), while the partition moves on to other aggregates' events. The service's
waiting room retries them in arrival order as soon as the service has handled another event
(the one they wait for may have come) and every ``consumer_waiting_retry_s`` at the latest.
Waiting never counts against the retry budget; ``spotcheck_waiting_events`` and the oldest's
age say what waits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from spotcheck_common.db import insert_for, waiting_events_table
from spotcheck_common.errors import Unavailable
from spotcheck_common.events.envelope import Envelope, utcnow
from spotcheck_common.loops import repeat
from spotcheck_common.metrics import WAITING_EVENTS, WAITING_OLDEST_AGE
from spotcheck_common.uow import Context, UnitOfWork

log = logging.getLogger(__name__)

WAITING = waiting_events_table(sa.MetaData())
BATCH = 500  # events retried in one pass at most
PAUSE_S = 0.2  # between two passes, however often the room is woken


async def behind(session: AsyncSession, consumer: str, envelope: Envelope[Any]) -> bool:
    """Whether an earlier event of the envelope's aggregate and type waits for ``consumer``.
    Order is kept per event type, as the topics keep it: one handler may read several topics,
    and an event of another topic (what the waiting one waits for, perhaps) must pass."""
    query = (
        sa.select(WAITING.c.id)
        .where(
            WAITING.c.consumer == consumer,
            WAITING.c.aggregate_id == envelope.aggregate_id,
            WAITING.c.event_type == envelope.event_type,
        )
        .limit(1)
    )
    return (await session.execute(query)).first() is not None


async def add(session: AsyncSession, consumer: str, envelope: Envelope[Any], reason: str) -> None:
    """Let ``envelope`` wait (once: a redelivered copy finds it there)."""
    await session.execute(
        insert_for(session)(WAITING)
        .values(
            consumer=consumer,
            event_id=envelope.event_id,
            aggregate_id=envelope.aggregate_id,
            event_type=envelope.event_type,
            envelope=envelope.to_bytes().decode(),
            reason=reason[:2000],
            since=utcnow(),
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    )


Retry = Callable[[Any, Envelope[Any]], Any]


class WaitingRoom:
    """Retries a service's waiting events through ``retry(subscription, envelope)`` (the
    consumer's ``deliver`` for an event that waited: it raises ``Unavailable`` if it must
    wait on)."""

    def __init__(
        self,
        service: str,
        subscriptions: dict[tuple[str, str], Any],
        new_uow: Callable[[Context], UnitOfWork],
        retry: Retry,
        interval_s: float,
    ) -> None:
        self.service = service
        # By (consumer name ``<service>.<name>``, event type): one handler may serve several.
        self.subscriptions = subscriptions
        self.new_uow = new_uow
        self.retry = retry
        self.interval_s = interval_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        async def one_pass() -> bool:
            await self.retry_once()
            return False  # what still waits, waits for a wake or the interval

        await repeat(
            "waiting room", one_pass, stop, self.interval_s, self._wake, PAUSE_S, self.service
        )

    async def retry_once(self) -> int:
        """One pass over what waits, oldest first; an aggregate whose first event (of a type)
        still waits keeps its later ones (of that type) waiting. Returns how many events left
        the room."""
        rows = await self._waiting()
        if not rows:  # the usual pass: nothing to retry, nothing to count
            WAITING_EVENTS.labels(self.service).set(0)
            WAITING_OLDEST_AGE.labels(self.service).set(0)
            return 0
        blocked: set[tuple[str, str, str]] = set()
        done = 0
        for row in rows:
            key = (row.consumer, row.event_type, row.aggregate_id)
            subscription = self.subscriptions.get((row.consumer, row.event_type))
            if key in blocked or subscription is None:
                blocked.add(key)
                continue
            envelope = cast(Any, Envelope)[subscription.event].model_validate_json(row.envelope)
            try:
                await self.retry(subscription, envelope)
            except Unavailable as exc:
                await self._still_waiting(row.id, str(exc))
                blocked.add(key)
                continue
            except Exception:
                blocked.add(key)  # counted against its budget by ``deliver``; tried again later
                continue
            await self._leave(row.id)
            done += 1
        await self.observe()
        return done

    async def _waiting(self) -> Sequence[Any]:
        async with self.new_uow(Context(actor="system")) as uow:
            query = sa.select(WAITING).order_by(WAITING.c.id).limit(BATCH)
            return (await uow.session.execute(query)).all()

    async def _still_waiting(self, row_id: int, reason: str) -> None:
        async with self.new_uow(Context(actor="system")) as uow:
            await uow.session.execute(
                sa.update(WAITING)
                .where(WAITING.c.id == row_id)
                .values(attempts=WAITING.c.attempts + 1, reason=reason[:2000])
            )
            await uow.commit()

    async def _leave(self, row_id: int) -> None:
        """Handled (or found handled, or dead-lettered): it waits no more."""
        async with self.new_uow(Context(actor="system")) as uow:
            await uow.session.execute(sa.delete(WAITING).where(WAITING.c.id == row_id))
            await uow.commit()

    async def observe(self) -> None:
        async with self.new_uow(Context(actor="system")) as uow:
            count, oldest = (
                await uow.session.execute(sa.select(sa.func.count(), sa.func.min(WAITING.c.since)))
            ).one()
        WAITING_EVENTS.labels(self.service).set(count)
        age = 0.0
        if oldest is not None:
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=utcnow().tzinfo)
            age = max(0.0, (utcnow() - oldest).total_seconds())
        WAITING_OLDEST_AGE.labels(self.service).set(age)
