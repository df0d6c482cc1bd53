"""Each clock-keeping service's copy of the working-day calendar: a table, a store, the
consumer of ``registry.calendar-year-recorded`` and the calendar gauges.

The table (``calendar_years``) is a kernel table, in every service's schema. A service that
counts working days (publication, objections, inspections, archives) subscribes
:func:`calendar_subscription` with the function that recomputes its deadlines, and reads
``await CalendarStore(session).load()`` whenever it computes one. The registry, which records
the calendar, keeps its versions in the same table. Every version is kept; the latest of each
year is the one computed with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from spotcheck_common.clock import Clock
from spotcheck_common.consumer import Subscription
from spotcheck_common.db import calendar_table
from spotcheck_common.events.calendar import CalendarYearRecorded
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.metrics import CALENDAR_COVERAGE_DAYS, DEADLINES_PENDING
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.uow import UnitOfWork
from spotcheck_common.workdays import WorkCalendar

CALENDAR = calendar_table(sa.MetaData())


class CalendarStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def versions(self, year: int | None = None) -> list[CalendarYearRecorded]:
        """Recorded versions, oldest first (of one year, or of all)."""
        query = sa.select(CALENDAR.c.payload).order_by(CALENDAR.c.year, CALENDAR.c.version)
        if year is not None:
            query = query.where(CALENDAR.c.year == year)
        rows = (await self.session.execute(query)).scalars()
        return [CalendarYearRecorded.model_validate(p) for p in rows]

    async def load(self) -> WorkCalendar:
        return WorkCalendar(v.schedule() for v in await self.versions())

    async def latest_version(self, year: int) -> int:
        query = sa.select(sa.func.max(CALENDAR.c.version)).where(CALENDAR.c.year == year)
        return int((await self.session.execute(query)).scalar() or 0)

    async def add(self, event: CalendarYearRecorded) -> bool:
        """Keep a version; False if it is not newer than what is held (a redelivery, or a
        version that lost a race in the registry)."""
        if event.schedule_version <= await self.latest_version(event.year):
            return False
        await self.session.execute(
            sa.insert(CALENDAR).values(
                year=event.year,
                version=event.schedule_version,
                document_no=event.document_no,
                payload=event.model_dump(mode="json"),
                recorded_by=event.recorded_by,
                recorded_at=event.recorded_at,
            )
        )
        return True


# What a service does once a year's schedule changes: recompute the deadlines that waited for
# it or were computed with an earlier version (inside the consumer's transaction).
OnRecorded = Callable[[UnitOfWork, WorkCalendar, int], Awaitable[None]]


def calendar_subscription(on_recorded: OnRecorded) -> Subscription:
    async def calendar_year_recorded(
        event: CalendarYearRecorded, envelope: Envelope[Any], uow: UnitOfWork
    ) -> None:
        store = CalendarStore(uow.session)
        if await store.add(event):
            await on_recorded(uow, await store.load(), event.year)

    return Subscription(CalendarYearRecorded, calendar_year_recorded)


def set_coverage_gauge(source: str, calendar: WorkCalendar, clock: Clock) -> int:
    """``spotcheck_calendar_coverage_days{source}``: days from today (Beijing) to the first
    day the calendar does not cover — 61 on 1 November and 31 on 1 December while next year
    is missing (the alerts' thresholds)."""
    today = clock.today()
    days = (calendar.covered_through(today) - today).days + 1
    CALENDAR_COVERAGE_DAYS.labels(source=source).set(days)
    return days


async def refresh_coverage(rt: ServiceRuntime) -> int:
    """Periodic hook of every clock-keeping service: its calendar's coverage gauge."""
    async with rt.db.sessions() as session:
        calendar = await CalendarStore(session).load()
    return set_coverage_gauge(rt.name, calendar, rt.clock)


def set_pending_gauge(source: str, counts: Mapping[str, int], kinds: Iterable[str]) -> None:
    """``spotcheck_deadlines_pending_calendar{source, kind}``: every kind set, 0 when none."""
    for kind in kinds:
        DEADLINES_PENDING.labels(source=source, kind=kind).set(counts.get(kind, 0))
