"""The outbox relay: moves committed events from a service's outbox to the bus.

Guarantees: at-least-once (a row is marked published only after the bus accepted it; a crash
in between re-sends it and the idempotent consumer drops the copy); per-aggregate order (a
row is sent only when every earlier pending row of its aggregate is sent in the same pass);
safe with several replicas on PostgreSQL (rows are claimed with ``FOR UPDATE SKIP LOCKED`` and
held until marked); failed rows wait with exponential backoff.

A row the bus can never accept — larger than its message size limit (checked before sending),
or refused with an error the bus says is permanent (``permanent``: Kafka's message too large,
an invalid topic) — is parked (``parked_at``, its ``last_error`` kept, logged at ERROR, counted
by ``spotcheck_outbox_parked``) instead of being retried for ever in front of its aggregate:
the aggregate's later rows go on (consumers wait for a missing predecessor), and the row waits
for an operator (``spotcheck parked-events``, ``spotcheck_common.parked``).

With ``in_flight`` above 1 (Kafka), the rows of different aggregates of one pass are sent
concurrently, up to ``in_flight`` at a time, so the producer batches them instead of waiting
for one acknowledgement after another; the rows of one aggregate still go one after the
other, each only once the one before it was accepted.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncSession

from spotcheck_common.db import Database
from spotcheck_common.events.envelope import utcnow
from spotcheck_common.loops import repeat
from spotcheck_common.metrics import (
    EVENTS_PUBLISHED,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PARKED,
    OUTBOX_PENDING,
    RELAY_FAILURES,
)
from spotcheck_common.tracing import carrier_of, extract, inject_current, tracer
from spotcheck_common.uow import OUTBOX

log = logging.getLogger(__name__)

Publish = Callable[[str, str, bytes, dict[str, str]], Awaitable[None]]
Permanent = Callable[[BaseException], bool]
MAX_ERROR = 2000


def never(exc: BaseException) -> bool:
    """No error is permanent (the in-process bus: a failing subscriber is retried)."""
    return False


class MessageTooLarge(Exception):
    """An outbox row larger than the bus accepts: parked without being sent."""


def message_bytes(key: str, value: bytes, headers: dict[str, str]) -> int:
    """A message's size as the bus limits it: key, value and headers. Kafka adds some dozens
    of bytes of framing, which its producer counts in its own check; a row that passes this
    one and not the producer's is parked by the producer's permanent error."""
    return (
        len(key.encode())
        + len(value)
        + sum(len(k.encode()) + len(v.encode()) for k, v in headers.items())
    )


def backoff_seconds(attempts: int, maximum: float) -> float:
    return float(min(maximum, 0.5 * 2 ** max(attempts - 1, 0)))


_PAYLOAD = ',"payload":'


def trace_context(envelope: str) -> tuple[str | None, str | None]:
    """An envelope's ``traceparent`` and ``tracestate``, read from the metadata before its
    payload (the last field, as the unit of work writes it) without parsing the payload,
    which may be half a megabyte; the whole envelope when it is laid out otherwise."""
    head, found, _ = envelope.partition(_PAYLOAD)
    meta: Any = None
    if found:
        try:
            meta = json.loads(head + "}")
        except ValueError:
            meta = None
    if not isinstance(meta, dict) or ("traceparent" not in meta and '"traceparent"' in envelope):
        meta = json.loads(envelope)
    return meta.get("traceparent"), meta.get("tracestate")


def in_order(rows: Sequence[Any], pending_ids: dict[str, list[int]]) -> list[Any]:
    """Rows that may be sent now: per aggregate, the unbroken run from its oldest pending row
    (a parked row is not pending: it holds nothing back)."""
    by_aggregate: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_aggregate[row.aggregate_id].append(row)
    allowed: set[int] = set()
    for aggregate, claimed in by_aggregate.items():
        for row, pending_id in zip(claimed, pending_ids.get(aggregate, []), strict=False):
            if row.id != pending_id:
                break
            allowed.add(row.id)
    return [row for row in rows if row.id in allowed]


@dataclass
class _Outcome:
    """What one pass did: rows sent, rows failed (attempts, error), rows parked (error)."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, tuple[int, str]] = field(default_factory=dict)
    parked: dict[int, str] = field(default_factory=dict)


class OutboxRelay:
    def __init__(
        self,
        service: str,
        db: Database,
        publish: Publish,
        batch_size: int = 200,
        interval_s: float = 0.2,
        max_backoff_s: float = 60.0,
        in_flight: int = 1,
        max_message_bytes: int | None = None,
        permanent: Permanent = never,
    ) -> None:
        """``max_message_bytes``: the bus's limit (None: none); ``permanent``: whether an
        error of ``publish`` means the bus will never accept that row."""
        self.service = service
        self.db = db
        self.publish = publish
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.max_backoff_s = max_backoff_s
        self.in_flight = max(1, in_flight)
        self.max_message_bytes = max_message_bytes
        self.permanent = permanent
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        async def one_pass() -> bool:
            return await self.relay_once() > 0  # rows went: more may be waiting

        await repeat("outbox relay", one_pass, stop, self.interval_s, self._wake, 0, self.service)

    async def relay_once(self) -> int:
        """One pass; returns how many rows were published."""
        async with self.db.sessions() as session:
            rows = await self._claim(session)
            if not rows:
                await session.commit()
                await self._observe(session)
                return 0
            ready = in_order(rows, await self._pending_ids(session, rows))
            if not self.db.postgres:
                await session.commit()  # SQLite: release the read snapshot; one relay per file
            outcome = await self._send(ready)
            await self._mark(session, outcome)
            await session.commit()
            await self._observe(session)
            return len(outcome.sent)

    async def _claim(self, session: AsyncSession) -> Sequence[Any]:
        now = utcnow()
        query = (
            sa.select(OUTBOX)
            .where(OUTBOX.c.published_at.is_(None))
            .where(OUTBOX.c.parked_at.is_(None))
            .where(sa.or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= now))
            .order_by(OUTBOX.c.id)
            .limit(self.batch_size)
        )
        if self.db.postgres:
            query = query.with_for_update(skip_locked=True)
        return (await session.execute(query)).all()

    async def _pending_ids(
        self, session: AsyncSession, rows: Sequence[Any]
    ) -> dict[str, list[int]]:
        aggregates = {row.aggregate_id for row in rows}
        result = await session.execute(
            sa.select(OUTBOX.c.id, OUTBOX.c.aggregate_id)
            .where(OUTBOX.c.published_at.is_(None))
            .where(OUTBOX.c.parked_at.is_(None))
            .where(OUTBOX.c.aggregate_id.in_(aggregates))
            .where(OUTBOX.c.id <= max(row.id for row in rows))
            .order_by(OUTBOX.c.id)
        )
        pending: dict[str, list[int]] = defaultdict(list)
        for row_id, aggregate in result.all():
            pending[aggregate].append(row_id)
        return pending

    async def _send(self, rows: Sequence[Any]) -> _Outcome:
        """Send ``rows`` (in id order): each aggregate's rows one after the other, stopping at
        its first failure (its later rows wait for the next pass; a parked row stops nothing);
        different aggregates concurrently, up to ``in_flight``."""
        outcome = _Outcome()
        if self.in_flight == 1:  # one at a time, in id order (the in-process bus)
            blocked: set[str] = set()
            for row in rows:
                if row.aggregate_id not in blocked and not await self._send_chain([row], outcome):
                    blocked.add(row.aggregate_id)  # later rows of this aggregate must wait
            return outcome
        by_aggregate: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            by_aggregate[row.aggregate_id].append(row)
        limit = asyncio.Semaphore(self.in_flight)

        async def limited(chain: list[Any]) -> None:
            async with limit:
                await self._send_chain(chain, outcome)

        await asyncio.gather(*(limited(chain) for chain in by_aggregate.values()))
        return outcome

    async def _send_chain(self, chain: list[Any], outcome: _Outcome) -> bool:
        """Send the rows of one aggregate in order; False at the first that fails (and may
        succeed later); a row the bus can never accept is parked and the chain goes on."""
        for row in chain:
            try:
                await self._publish_row(row)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
                if isinstance(exc, MessageTooLarge) or self.permanent(exc):
                    self._park(row, error, outcome)
                    continue
                # Later rows of this aggregate must wait.
                outcome.failed[row.id] = (row.attempts + 1, error)
                RELAY_FAILURES.labels(self.service).inc()
                log.warning(
                    "relay failed",
                    extra={
                        "fields": {
                            "service": self.service,
                            "event_id": row.event_id,
                            "error": str(exc),
                        }
                    },
                )
                return False
            outcome.sent.append(row.id)
            EVENTS_PUBLISHED.labels(self.service, row.event_type).inc()
        return True

    def _park(self, row: Any, error: str, outcome: _Outcome) -> None:
        outcome.parked[row.id] = error
        log.error(
            "outbox event parked: the bus will never accept it; its aggregate's later events "
            "go on (spotcheck parked-events)",
            extra={
                "fields": {
                    "service": self.service,
                    "event_id": row.event_id,
                    "event_type": row.event_type,
                    "aggregate_id": row.aggregate_id,
                    "bytes": len(row.envelope.encode()),
                    "error": error,
                }
            },
        )

    async def _publish_row(self, row: Any) -> None:
        traceparent, tracestate = trace_context(row.envelope)
        parent = extract(carrier_of(traceparent, tracestate))
        with tracer.start_as_current_span(
            f"publish {row.topic}", context=parent, kind=trace.SpanKind.PRODUCER
        ) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.destination.name", row.topic)
            span.set_attribute("messaging.message.id", row.event_id)
            headers = {"event_id": row.event_id, "event_type": row.event_type, **inject_current()}
            value = row.envelope.encode()
            size = message_bytes(row.aggregate_id, value, headers)
            if self.max_message_bytes is not None and size > self.max_message_bytes:
                raise MessageTooLarge(
                    f"{size} bytes, over the bus's limit of {self.max_message_bytes} bytes"
                )
            await self.publish(row.topic, row.aggregate_id, value, headers)

    async def _mark(self, session: AsyncSession, outcome: _Outcome) -> None:
        now = utcnow()
        if outcome.sent:
            await session.execute(
                sa.update(OUTBOX).where(OUTBOX.c.id.in_(outcome.sent)).values(published_at=now)
            )
        for row_id, error in outcome.parked.items():
            await session.execute(
                sa.update(OUTBOX)
                .where(OUTBOX.c.id == row_id)
                .values(parked_at=now, last_error=error, next_attempt_at=None)
            )
        for row_id, (attempts, error) in outcome.failed.items():
            delay = timedelta(seconds=backoff_seconds(attempts, self.max_backoff_s))
            await session.execute(
                sa.update(OUTBOX)
                .where(OUTBOX.c.id == row_id)
                .values(attempts=attempts, last_error=error, next_attempt_at=now + delay)
            )

    async def _observe(self, session: AsyncSession) -> None:
        """The gauges: pending rows and the oldest one's age (parked rows left out: they wait
        for an operator, not for the relay), and the parked rows."""
        waiting = OUTBOX.c.parked_at.is_(None)
        count, oldest, parked = (
            await session.execute(
                sa.select(
                    sa.func.count(sa.case((waiting, 1))),
                    sa.func.min(sa.case((waiting, OUTBOX.c.created_at))),
                    sa.func.count(OUTBOX.c.parked_at),
                ).where(OUTBOX.c.published_at.is_(None))
            )
        ).one()
        await session.commit()
        OUTBOX_PENDING.labels(self.service).set(count)
        OUTBOX_PARKED.labels(self.service).set(parked)
        age = 0.0
        if oldest is not None:
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=utcnow().tzinfo)
            age = (utcnow() - oldest).total_seconds()
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)
