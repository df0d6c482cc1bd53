"""Recording a year's holiday schedule (the general office). Plain functions; the unit of work
carries the store of recorded years (``uow.calendar``)."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy.exc import IntegrityError

from registry.domain import calendar
from registry.service_layer.unit_of_work import RegistryUnitOfWork
from spotcheck_common.errors import Conflict
from spotcheck_common.events.calendar import CalendarYearRecorded, HolidayPeriod, MakeUpWorkday

log = logging.getLogger(__name__)


async def record_year(
    uow: RegistryUnitOfWork,
    year: int,
    document_no: str,
    title: str,
    published_on: date,
    days_off: list[HolidayPeriod],
    make_up_workdays: list[MakeUpWorkday],
    reason: str,
) -> CalendarYearRecorded:
    """A new version of ``year``'s schedule, sent to every service that keeps a clock."""
    calendar.check(year, published_on, days_off, make_up_workdays, uow.clock.today())
    store = uow.calendar
    version = calendar.next_version(year, await store.latest_version(year), reason)
    event = CalendarYearRecorded(
        year=year,
        schedule_version=version,
        document_no=document_no.strip(),
        title=title.strip(),
        published_on=published_on,
        days_off=sorted(days_off, key=lambda p: p.start),
        make_up_workdays=sorted(make_up_workdays, key=lambda m: m.date),
        reason=reason.strip(),
        recorded_by=uow.context.actor,
        recorded_at=uow.clock.now(),
    )
    try:
        added = await store.add(event)
    except IntegrityError:  # another version of the year was recorded at the same moment
        added = False
    if not added:
        raise Conflict(f"{year} 年第 {version} 版刚由他人录入，请刷新后再录入")
    await uow.emit(event)
    await uow.commit()
    differences = calendar.differences_from_library(event.schedule())
    if differences:
        log.warning(
            "recorded holiday schedule differs from the holidays package",
            extra={"fields": {"year": year, "version": version, "differences": differences}},
        )
    return event
