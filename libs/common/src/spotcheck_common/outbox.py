"""The outbox relay: moves committed events from a service's outbox to the bus.

Guarantees: at-least-once (a row is marked published only after the bus accepted it; a crash
in between re-sends it and the idempotent consumer drops the copy); per-aggregate order (a
row is sent only when every earlier pending row of its aggregate is sent in the same pass);
safe with several replicas on PostgreSQL (rows are claimed with ``FOR UPDATE SKIP LOCKED`` and
held until marked); failed rows wait with exponential backoff.

With ``in_flight`` above 1 (Kafka), the rows of different aggregates of one pass are sent
concurrently, up to ``in_flight`` at a time, so the producer batches them instead of waiting
for one acknowledgement after another; the rows of one aggregate still go one after the
other, each only once the one before it was accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncSession

from spotcheck_common.db import Database
from spotcheck_common.events.envelope import utcnow
from spotcheck_common.metrics import (
    EVENTS_PUBLISHED,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PENDING,
    RELAY_FAILURES,
)
from spotcheck_common.tracing import carrier_of, extract, inject_current, tracer
from spotcheck_common.uow import OUTBOX

log = logging.getLogger(__name__)

Publish = Callable[[str, str, bytes, dict[str, str]], Awaitable[None]]


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
    """Rows that may be sent now: per aggregate, the unbroken run from its oldest pending row."""
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
    ) -> None:
        self.service = service
        self.db = db
        self.publish = publish
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.max_backoff_s = max_backoff_s
        self.in_flight = max(1, in_flight)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                sent = await self.relay_once()
            except Exception:
                log.exception(
                    "outbox relay pass failed", extra={"fields": {"service": self.service}}
                )
                sent = 0
            if sent == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)

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
            sent, failed = await self._send(ready)
            await self._mark(session, sent, failed)
            await session.commit()
            await self._observe(session)
            return len(sent)

    async def _claim(self, session: AsyncSession) -> Sequence[Any]:
        now = utcnow()
        query = (
            sa.select(OUTBOX)
            .where(OUTBOX.c.published_at.is_(None))
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
            .where(OUTBOX.c.aggregate_id.in_(aggregates))
            .where(OUTBOX.c.id <= max(row.id for row in rows))
            .order_by(OUTBOX.c.id)
        )
        pending: dict[str, list[int]] = defaultdict(list)
        for row_id, aggregate in result.all():
            pending[aggregate].append(row_id)
        return pending

    async def _send(self, rows: Sequence[Any]) -> tuple[list[int], dict[int, tuple[int, str]]]:
        """Send ``rows`` (in id order): each aggregate's rows one after the other, stopping at
        its first failure (its later rows wait for the next pass); different aggregates
        concurrently, up to ``in_flight``."""
        sent: list[int] = []
        failed: dict[int, tuple[int, str]] = {}
        if self.in_flight == 1:  # one at a time, in id order (the in-process bus)
            blocked: set[str] = set()
            for row in rows:
                if row.aggregate_id not in blocked and not await self._send_chain(
                    [row], sent, failed
                ):
                    blocked.add(row.aggregate_id)  # later rows of this aggregate must wait
            return sent, failed
        by_aggregate: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            by_aggregate[row.aggregate_id].append(row)
        limit = asyncio.Semaphore(self.in_flight)

        async def limited(chain: list[Any]) -> None:
            async with limit:
                await self._send_chain(chain, sent, failed)

        await asyncio.gather(*(limited(chain) for chain in by_aggregate.values()))
        return sent, failed

    async def _send_chain(
        self, chain: list[Any], sent: list[int], failed: dict[int, tuple[int, str]]
    ) -> bool:
        """Send the rows of one aggregate in order; False at the first that fails."""
        for row in chain:
            try:
                await self._publish_row(row)
            except Exception as exc:
                # Later rows of this aggregate must wait.
                failed[row.id] = (row.attempts + 1, f"{type(exc).__name__}: {exc}"[:2000])
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
            sent.append(row.id)
            EVENTS_PUBLISHED.labels(self.service, row.event_type).inc()
        return True

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
            await self.publish(row.topic, row.aggregate_id, row.envelope.encode(), headers)

    async def _mark(
        self, session: AsyncSession, sent: list[int], failed: dict[int, tuple[int, str]]
    ) -> None:
        now = utcnow()
        if sent:
            await session.execute(
                sa.update(OUTBOX).where(OUTBOX.c.id.in_(sent)).values(published_at=now)
            )
        for row_id, (attempts, error) in failed.items():
            delay = timedelta(seconds=backoff_seconds(attempts, self.max_backoff_s))
            await session.execute(
                sa.update(OUTBOX)
                .where(OUTBOX.c.id == row_id)
                .values(attempts=attempts, last_error=error, next_attempt_at=now + delay)
            )

    async def _observe(self, session: AsyncSession) -> None:
        count, oldest = (
            await session.execute(
                sa.select(sa.func.count(), sa.func.min(OUTBOX.c.created_at)).where(
                    OUTBOX.c.published_at.is_(None)
                )
            )
        ).one()
        await session.commit()
        OUTBOX_PENDING.labels(self.service).set(count)
        age = 0.0
        if oldest is not None:
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=utcnow().tzinfo)
            age = (utcnow() - oldest).total_seconds()
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)
