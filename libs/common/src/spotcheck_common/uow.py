"""Unit of work: one transaction; events emitted in it go to the outbox in that transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from spotcheck_common.clock import Clock, SystemClock
from spotcheck_common.db import Database, outbox_table
from spotcheck_common.events.envelope import Envelope, Event, new_id, utcnow
from spotcheck_common.tracing import inject_current

OUTBOX = outbox_table(sa.MetaData())
_NULL_PAYLOAD = "null}"  # how an envelope with no payload ends: its last field


@dataclass(frozen=True)
class Context:
    """Who acts, and which earlier event (if any) caused this work."""

    actor: str
    correlation_id: str | None = None
    causation_id: str | None = None


class UnitOfWorkPort(Protocol):
    """What a use case needs of a unit of work (the SQL one below, or a test's fake). A
    service's own protocol adds its repositories."""

    @property
    def district(self) -> str: ...

    @property
    def context(self) -> Context: ...

    @property
    def clock(self) -> Clock: ...

    async def emit(self, event: Event, district: str | None = None) -> Any: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


@dataclass
class UnitOfWork:
    """One transaction. A service subclasses it to attach its repositories to the session
    (:meth:`open`) and names the subclass in its ``ServiceDefinition.unit_of_work``."""

    db: Database
    district: str
    context: Context
    # The domain clock: the event's occurred_at, and what the handlers ask for "now".
    clock: Clock = field(default_factory=SystemClock)
    on_commit: list[Any] = field(default_factory=list)
    emitted: list[Envelope[Any]] = field(default_factory=list)
    _session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work not entered")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self.db.sessions()
        self.emitted = []
        self.open(self._session)
        return self

    def open(self, session: AsyncSession) -> None:
        """Attach the service's repositories to ``session`` (a subclass's hook)."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None

    async def commit(self) -> None:
        await self.session.commit()
        for callback in self.on_commit:
            callback()

    async def rollback(self) -> None:
        await self.session.rollback()

    async def emit(self, event: Event, district: str | None = None) -> Envelope[Any]:
        """Record ``event`` in the outbox, inside this unit of work's transaction."""
        trace_carrier = inject_current()
        event_id = new_id()
        envelope: Envelope[Any] = Envelope[Any](
            event_id=event_id,
            event_type=event.event_type(),
            # The class's schema version: a payload field may be called "version" too.
            schema_version=type(event).version,
            district=district or self.district,
            occurred_at=self.clock.now(),
            actor=self.context.actor,
            aggregate_id=event.aggregate_id(),
            correlation_id=self.context.correlation_id or event_id,
            causation_id=self.context.causation_id,
            traceparent=trace_carrier.get("traceparent"),
            tracestate=trace_carrier.get("tracestate"),
            payload=event.model_dump(mode="json"),
        )
        await self.session.execute(
            sa.insert(OUTBOX).values(
                event_id=envelope.event_id,
                topic=event.topic(envelope.district),
                aggregate_id=envelope.aggregate_id,
                event_type=envelope.event_type,
                envelope=envelope.model_dump_json(),
                # Wall time: the relay measures the outbox's age against it.
                created_at=utcnow(),
                attempts=0,
            )
        )
        self.emitted.append(envelope)
        return envelope

    def _envelope(
        self, event_type: str, version: int, district: str, aggregate_id: str
    ) -> tuple[str, str]:
        """A new event id, and its envelope's JSON with a ``null`` payload (the metadata as
        ``emit`` writes it)."""
        trace_carrier = inject_current()
        event_id = new_id()
        return event_id, Envelope[Any](
            event_id=event_id,
            event_type=event_type,
            schema_version=version,
            district=district,
            occurred_at=self.clock.now(),
            actor=self.context.actor,
            aggregate_id=aggregate_id,
            correlation_id=self.context.correlation_id or event_id,
            causation_id=self.context.causation_id,
            traceparent=trace_carrier.get("traceparent"),
            tracestate=trace_carrier.get("tracestate"),
            payload=None,
        ).model_dump_json()

    async def emit_json(
        self,
        event: type[Event],
        payloads: Sequence[tuple[str, str]],
        district: str | None = None,
    ) -> None:
        """Record events of class ``event`` whose payloads are JSON already, as
        ``(aggregate_id, payload)``: bulk producers (an import of a million rows validated
        once) skip building and serialising a model per row. The caller answers for the
        payload matching the schema; the envelope is byte for byte the one ``emit`` writes,
        in one statement for them all. Not kept in ``emitted``."""
        district = district or self.district
        topic = event.topic(district)
        rows = []
        for aggregate_id, payload in payloads:
            event_id, head = self._envelope(
                event.event_type(), event.version, district, aggregate_id
            )
            if not head.endswith(_NULL_PAYLOAD):  # pragma: no cover - the envelope's last field
                raise RuntimeError("the envelope does not end with its payload")
            rows.append(
                {
                    "event_id": event_id,
                    "topic": topic,
                    "aggregate_id": aggregate_id,
                    "event_type": event.event_type(),
                    "envelope": head[: -len(_NULL_PAYLOAD)] + payload + "}",
                    "created_at": utcnow(),
                    "attempts": 0,
                }
            )
        if rows:
            await self.session.execute(sa.insert(OUTBOX), rows)
