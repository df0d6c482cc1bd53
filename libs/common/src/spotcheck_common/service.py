"""What a service declares, and what it gets at run time.

A service package exposes a :class:`ServiceDefinition` under the ``spotcheck.services`` entry
point; the runner builds a :class:`ServiceRuntime` for each target it runs, in one process or
many. A service never imports another service.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Request
from starlette.types import ASGIApp

from spotcheck_common import migrations
from spotcheck_common.bus import EventBus
from spotcheck_common.clock import Clock, SystemClock
from spotcheck_common.consumer import Subscription, count_dead_letters, deliver
from spotcheck_common.db import Database
from spotcheck_common.events.envelope import Envelope, Event
from spotcheck_common.loops import pause
from spotcheck_common.metrics import EVENTS_CONSUMED
from spotcheck_common.outbox import OutboxRelay, never
from spotcheck_common.settings import Settings
from spotcheck_common.uow import Context, UnitOfWork
from spotcheck_common.waiting import WaitingRoom

log = logging.getLogger(__name__)

Hook = Callable[["ServiceRuntime"], Awaitable[object]]


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    metadata: sa.MetaData
    migrations: Path
    # The service's routers (module-level, thin); their routes get the service's dependencies
    # through FastAPI ``Depends`` on what ``bootstrap`` built (``dependencies_of``).
    routers: Sequence[APIRouter] = ()
    # The composition root: builds the service's dependencies once, from its runtime.
    bootstrap: Callable[[ServiceRuntime], Any] | None = None
    # ASGI middleware factories, ``front(app, deps)`` with ``deps`` what ``bootstrap`` built:
    # answers a hot route can give before routing and validation (publication's kept public
    # answers), inside the kernel's metrics and security headers.
    fronts: Sequence[Callable[[ASGIApp, Any], ASGIApp]] = ()
    # The unit of work that carries the service's repositories.
    unit_of_work: type[UnitOfWork] = UnitOfWork
    subscriptions: Sequence[Subscription] = ()
    publishes: Sequence[type[Event]] = ()
    # Run after migrations, before serving (e.g. loading demo data when settings.demo).
    on_startup: Sequence[Hook] = ()
    # Run at startup and then every ``settings.periodic_interval_s`` until the service stops
    # (gauges that are snapshots of the data, e.g. overdue items: a deadline passes with no
    # event). A failing hook is logged and tried again at the next tick.
    periodic: Sequence[Hook] = ()
    # Tables the rules make append-only: on PostgreSQL the runtime role may only INSERT and
    # SELECT them (``spotcheck migrate`` grants it; the database guards refuse the rest too).
    append_only: Sequence[str] = ()


@dataclass(frozen=True)
class FrontendDefinition:
    """A component with no data of its own — the web application — exposed under the
    ``spotcheck.frontends`` entry point. ``mount`` adds its routes to the process's app; it
    reaches the services only through their HTTP APIs: in-process (``local``: every service
    runs in this app) or at the URLs its settings name."""

    name: str
    title: str
    mount: Callable[[FastAPI, Settings, bool], None]


@dataclass
class ServiceRuntime:
    definition: ServiceDefinition
    settings: Settings
    db: Database
    bus: EventBus
    clock: Clock = field(default_factory=SystemClock)
    relay: OutboxRelay = field(init=False)
    waiting: WaitingRoom = field(init=False)
    # Called after every commit of this service's units of work (a bootstrap's own, e.g.
    # expiring what it keeps in memory), after the relay is woken.
    commit_hooks: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.waiting = WaitingRoom(
            self.name,
            {
                (f"{self.name}.{s.consumer_name}", s.event.event_type()): s
                for s in self.definition.subscriptions
            },
            self.uow,
            self._retry_waiting,
            self.settings.consumer_waiting_retry_s,
        )
        self.relay = OutboxRelay(
            self.name,
            self.db,
            self.bus.publish,
            batch_size=self.settings.relay_batch_size,
            interval_s=self.settings.relay_interval_s,
            max_backoff_s=self.settings.relay_max_backoff_s,
            # Kafka's producer batches what is sent concurrently; in-process delivery is one
            # event at a time anyway, in the outbox's order.
            in_flight=self.settings.relay_in_flight if getattr(self.bus, "pipelined", False) else 1,
            # What the bus can never accept is parked, not retried in front of its aggregate.
            max_message_bytes=getattr(self.bus, "max_message_bytes", None),
            permanent=getattr(self.bus, "permanent", never),
        )

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def district(self) -> str:
        return self.settings.district

    def uow(self, context: Context) -> UnitOfWork:
        """A unit of work (the service's own kind) whose commit wakes the relay, so events
        leave at once, and calls the ``commit_hooks``."""
        return self.definition.unit_of_work(
            self.db,
            self.district,
            context,
            clock=self.clock,
            on_commit=[self.relay.wake, *self.commit_hooks],
        )

    def bind(self) -> None:
        """Register this service's subscribers and publishers on the bus.

        One consumer group per (district, service, event) — and per neighbour for what the
        service reads from neighbours' topics: a replica joining or leaving rebalances one
        small group, not one group spanning every topic the service reads. Every group name
        starts with this district (its Kafka user may use no other).
        """
        by_source: dict[tuple[type[Event], bool], list[Subscription]] = {}
        for sub in self.definition.subscriptions:
            by_source.setdefault((sub.event, sub.neighbours), []).append(sub)
        for (event, from_neighbours), subs in by_source.items():
            sources = self.settings.neighbour_districts if from_neighbours else [self.district]
            for source in sources:
                group = f"{self.district}.{self.name}.{event.event_type()}"
                if source != self.district:
                    group += f".from.{source}"
                deliverer = self._deliverer(subs, source)
                self.bus.subscribe(event.topic(source), group, event, deliverer)
        for event in self.definition.publishes:
            self.bus.declare_publisher(event.topic(self.district), event, self.name)

    def _deliverer(
        self, subs: list[Subscription], source: str
    ) -> Callable[[Envelope[Any], dict[str, str]], Awaitable[None]]:
        async def run(envelope: Envelope[Any], headers: dict[str, str]) -> None:
            if not self._from(source, envelope):
                return
            for sub in subs:
                handled = await deliver(
                    self.name,
                    sub,
                    envelope,
                    self.uow,
                    trace_carrier=headers or None,
                    retry_budget=self.settings.consumer_retry_budget,
                )
                if handled:
                    self.waiting.wake()  # what waits may have waited for this

        return run

    async def _retry_waiting(self, sub: Subscription, envelope: Envelope[Any]) -> None:
        if await deliver(
            self.name,
            sub,
            envelope,
            self.uow,
            retry_budget=self.settings.consumer_retry_budget,
            waited=True,
        ):
            self.waiting.wake()  # and what waits behind it, in its own or another aggregate

    def _from(self, source: str, envelope: Envelope[Any]) -> bool:
        """An envelope counts only if it names the district whose topic carried it — the one
        district the broker lets write there; ``bind`` subscribes only to this district's and
        its neighbours' topics. Anything else is forged or misrouted: dropped, logged and
        counted, never retried (a retry cannot make it true)."""
        if envelope.district == source:
            return True
        EVENTS_CONSUMED.labels(self.name, envelope.event_type, "refused").inc()
        log.error(
            "event refused: its district is not the topic's",
            extra={
                "fields": {
                    "service": self.name,
                    "event_id": envelope.event_id,
                    "envelope_district": envelope.district,
                    "topic_district": source,
                }
            },
        )
        return False

    async def migrate(self) -> None:
        await migrations.upgrade(self.db, self.definition.migrations)

    async def start(self, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        """Run the startup hooks, then the background work; every task ends when ``stop`` is
        set."""
        for hook in self.definition.on_startup:
            await hook(self)
        tasks = [asyncio.create_task(self.relay.run(stop), name=f"relay:{self.name}")]
        if self.definition.subscriptions:
            await count_dead_letters(self.name, self.uow)
            tasks.append(asyncio.create_task(self.waiting.run(stop), name=f"waiting:{self.name}"))
        if self.definition.periodic:
            await self.run_periodic()
            tasks.append(asyncio.create_task(self._periodic(stop), name=f"periodic:{self.name}"))
        return tasks

    async def run_periodic(self) -> None:
        for hook in self.definition.periodic:
            try:
                await hook(self)
            except Exception:
                log.exception("periodic hook failed", extra={"fields": {"hook": hook.__name__}})

    async def _periodic(self, stop: asyncio.Event) -> None:
        while not await pause(stop, self.settings.periodic_interval_s):
            await self.run_periodic()


def dependencies_of(service: str) -> Callable[[Request], Any]:
    """A FastAPI dependency returning what ``service``'s ``bootstrap`` built for this app
    (a coroutine: FastAPI runs a plain function in a worker thread, a hop on every request)."""

    async def dependencies(request: Request) -> Any:
        return request.app.state.services[service]

    dependencies.__name__ = f"{service}_dependencies"
    return dependencies
