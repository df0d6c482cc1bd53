"""The idempotent consumer: each event changes a consumer's state at most once.

The processed-events row is inserted first, in the same transaction as the handler's changes:
a redelivered event finds it and is dropped; two concurrent deliveries serialise on its key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncSession

from spotcheck_common.db import insert_for, processed_events_table
from spotcheck_common.events.envelope import Envelope, Event, utcnow
from spotcheck_common.metrics import EVENTS_CONSUMED
from spotcheck_common.tracing import carrier_of, extract, tracer
from spotcheck_common.uow import Context, UnitOfWork

log = logging.getLogger(__name__)

PROCESSED = processed_events_table(sa.MetaData())

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


async def deliver(
    service: str,
    subscription: Subscription,
    envelope: Envelope[Any],
    new_uow: Callable[[Context], UnitOfWork],
    trace_carrier: dict[str, str] | None = None,
) -> bool:
    """Run one handler for one envelope, exactly once. Returns False for a duplicate."""
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
                if not await claim(uow.session, consumer, envelope.event_id):
                    EVENTS_CONSUMED.labels(consumer, envelope.event_type, "duplicate").inc()
                    return False
                await subscription.handler(envelope.event(), envelope, uow)
                await uow.commit()
        except Exception:
            EVENTS_CONSUMED.labels(consumer, envelope.event_type, "failed").inc()
            log.exception(
                "consumer failed",
                extra={"fields": {"consumer": consumer, "event_id": envelope.event_id}},
            )
            raise
        EVENTS_CONSUMED.labels(consumer, envelope.event_type, "processed").inc()
        return True
