"""The idempotent consumer: each event changes a consumer's state at most once.

The processed-events row is inserted first, in the same transaction as the handler's changes:
a redelivered event finds it and is dropped; two concurrent deliveries serialise on its key.

A handler that fails is retried by redelivery, each failure recorded (``failed_events``). When
a consumer's retry budget is spent the event becomes a dead letter: it is marked processed so
the partition moves on to the events behind it, counted (``spotcheck_dead_letters``) and kept
whole for an operator to replay once the cause is fixed (``spotcheck dead-letters``). An event
that meets an unreachable database is redelivered without counting against the budget. An
event that waits for another (``Unavailable``: what it depends on has not arrived yet) waits in
the service's waiting room (``spotcheck_common.waiting``), with every later event of its
aggregate, and the partition moves on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncSession

from spotcheck_common import waiting
from spotcheck_common.db import failed_events_table, insert_for, processed_events_table
from spotcheck_common.errors import Unavailable
from spotcheck_common.events.envelope import Envelope, Event, utcnow
from spotcheck_common.metrics import CONSUMER_PROCESSING, DEAD_LETTERS, EVENTS_CONSUMED
from spotcheck_common.tracing import carrier_of, extract, tracer
from spotcheck_common.uow import Context, UnitOfWork

log = logging.getLogger(__name__)

PROCESSED = processed_events_table(sa.MetaData())
FAILED = failed_events_table(sa.MetaData())
MAX_ERROR = 2000  # characters of a failure's message kept
# Failures that say nothing about the event: the database is out of reach (then no failure
# could be recorded either). Retried, never dead-lettered.
NOT_THE_EVENTS_FAULT: tuple[type[BaseException], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    ConnectionError,
    TimeoutError,
)

Handler = Callable[[Any, Envelope[Any], UnitOfWork], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A service's handler for one event type; ``name`` keys its idempotency records.

    ``neighbours``: the handler reads the event from the topics of the district's neighbours
    (joint draws) instead of its own district's."""

    event: type[Event]
    handler: Handler
    name: str = ""
    neighbours: bool = False

    @property
    def consumer_name(self) -> str:
        return self.name or self.handler.__name__

    @classmethod
    def of_neighbours(
        cls, event: type[Event], handler: Callable[[Any, Any, str], Awaitable[None]]
    ) -> Subscription:
        """``handler(uow, event, neighbour)`` of what a neighbour published, told which
        neighbour (the envelope's district, which the kernel checked against the topic's)."""

        async def run(event: Any, envelope: Envelope[Any], uow: UnitOfWork) -> None:
            await handler(uow, event, envelope.district)

        return cls(event, run, name=handler.__name__, neighbours=True)


async def claim(session: AsyncSession, consumer: str, event_id: str) -> bool:
    """Record ``event_id`` as processed by ``consumer``; False if it already was."""
    stmt = (
        insert_for(session)(PROCESSED)
        .values(consumer=consumer, event_id=event_id, processed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _forget_failures(session: AsyncSession, consumer: str, event_id: str) -> None:
    """A handled event leaves no failure behind (nor a dead letter, once replayed)."""
    await session.execute(
        sa.delete(FAILED).where(FAILED.c.consumer == consumer, FAILED.c.event_id == event_id)
    )


async def _record_failure(
    service: str,
    consumer: str,
    envelope: Envelope[Any],
    exc: Exception,
    new_uow: Callable[[Context], UnitOfWork],
    budget: int,
) -> bool:
    """Count one more failure of the event (in a transaction of its own: the handler's was
    rolled back); True when that spends the budget and the event is now a dead letter."""
    key = (FAILED.c.consumer == consumer, FAILED.c.event_id == envelope.event_id)
    error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    context = Context(actor=envelope.actor, correlation_id=envelope.correlation_id)
    async with new_uow(context) as uow:
        session, now = uow.session, uow.clock.now()
        before = (await session.execute(sa.select(FAILED.c.attempts).where(*key))).scalar()
        attempts = (before or 0) + 1
        dead = attempts >= budget
        values = {"attempts": attempts, "last_error": error, "last_failed_at": now}
        values["dead_at"] = now if dead else None
        if before is None:
            await session.execute(
                sa.insert(FAILED).values(
                    consumer=consumer,
                    event_id=envelope.event_id,
                    event_type=envelope.event_type,
                    envelope=envelope.to_bytes().decode(),
                    first_failed_at=now,
                    **values,
                )
            )
        else:
            await session.execute(sa.update(FAILED).where(*key).values(**values))
        if dead:
            await claim(session, consumer, envelope.event_id)
        await uow.commit()
    if dead:
        log.error(
            "event dead-lettered: its consumer's retry budget is spent",
            extra={"fields": {"consumer": consumer, "event_id": envelope.event_id}},
        )
        await count_dead_letters(service, new_uow)
    return dead


async def count_dead_letters(service: str, new_uow: Callable[[Context], UnitOfWork]) -> int:
    """Set ``spotcheck_dead_letters`` for the service from its table (at start, on change)."""
    async with new_uow(Context(actor="system")) as uow:
        query = sa.select(sa.func.count()).where(FAILED.c.dead_at.is_not(None))
        count = int((await uow.session.execute(query)).scalar() or 0)
    DEAD_LETTERS.labels(service).set(count)
    return count


async def deliver(
    service: str,
    subscription: Subscription,
    envelope: Envelope[Any],
    new_uow: Callable[[Context], UnitOfWork],
    trace_carrier: dict[str, str] | None = None,
    retry_budget: int = 0,
    waited: bool = False,
) -> bool:
    """Run one handler for one envelope, exactly once. Returns True when it ran; False for a
    duplicate, an event now waiting (it, or an earlier event of its aggregate, waits for what it
    depends on), or an event dead-lettered now (its ``retry_budget``-th failure; 0: retried for
    ever). ``waited``: the waiting room retries it — ``Unavailable`` is raised to the room."""
    consumer = f"{service}.{subscription.consumer_name}"
    if not trace_carrier or "traceparent" not in trace_carrier:
        trace_carrier = carrier_of(envelope.traceparent, envelope.tracestate)
    parent = extract(trace_carrier)
    with tracer.start_as_current_span(
        f"consume {envelope.event_type}", context=parent, kind=trace.SpanKind.CONSUMER
    ) as span:
        span.set_attribute("messaging.consumer.group.name", consumer)
        span.set_attribute("messaging.message.id", envelope.event_id)
        context = Context(
            actor=envelope.actor,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
        )
        try:
            async with new_uow(context) as uow:
                if not waited and await waiting.behind(uow.session, consumer, envelope):
                    await waiting.add(uow.session, consumer, envelope, "an earlier event waits")
                    await uow.commit()
                    EVENTS_CONSUMED.labels(consumer, envelope.event_type, "waiting").inc()
                    return False
                if not await claim(uow.session, consumer, envelope.event_id):
                    EVENTS_CONSUMED.labels(consumer, envelope.event_type, "duplicate").inc()
                    return False
                started = time.perf_counter()
                await subscription.handler(envelope.event(), envelope, uow)
                await _forget_failures(uow.session, consumer, envelope.event_id)
                await uow.commit()
                CONSUMER_PROCESSING.labels(consumer, envelope.event_type).observe(
                    time.perf_counter() - started
                )
        except Unavailable as exc:
            if waited:
                raise
            await _wait(consumer, envelope, exc, new_uow)
            return False
        except Exception as exc:
            EVENTS_CONSUMED.labels(consumer, envelope.event_type, "failed").inc()
            log.exception(
                "consumer failed",
                extra={"fields": {"consumer": consumer, "event_id": envelope.event_id}},
            )
            if isinstance(exc, NOT_THE_EVENTS_FAULT) or not retry_budget:
                raise
            if not await _record_failure(service, consumer, envelope, exc, new_uow, retry_budget):
                raise
            EVENTS_CONSUMED.labels(consumer, envelope.event_type, "dead_lettered").inc()
            return False
        EVENTS_CONSUMED.labels(consumer, envelope.event_type, "processed").inc()
        return True


async def _wait(
    consumer: str,
    envelope: Envelope[Any],
    exc: Unavailable,
    new_uow: Callable[[Context], UnitOfWork],
) -> None:
    """The handler's transaction was rolled back; the event waits, in one of its own."""
    context = Context(actor=envelope.actor, correlation_id=envelope.correlation_id)
    async with new_uow(context) as uow:
        await waiting.add(uow.session, consumer, envelope, f"{type(exc).__name__}: {exc}")
        await uow.commit()
    EVENTS_CONSUMED.labels(consumer, envelope.event_type, "waiting").inc()
    log.info(
        "event waits for what it depends on",
        extra={"fields": {"consumer": consumer, "event_id": envelope.event_id, "why": str(exc)}},
    )
