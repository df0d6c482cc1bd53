"""Event handlers of the objections service (run inside the idempotent consumer)."""

from __future__ import annotations

from typing import Any

from objections.adapters.repository import SqlObjectionsRepository
from objections.service_layer import services
from spotcheck_common.calendar_store import calendar_subscription
from spotcheck_common.consumer import Subscription
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.publication import ResultCorrected, ResultPublished
from spotcheck_common.uow import UnitOfWork
from spotcheck_common.workdays import WorkCalendar


async def on_result_published(
    event: ResultPublished, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.record_published(uow, SqlObjectionsRepository(uow.session), event)


async def on_result_corrected(
    event: ResultCorrected, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.record_published(uow, SqlObjectionsRepository(uow.session), event)


async def on_calendar_recorded(uow: UnitOfWork, calendar: WorkCalendar, year: int) -> None:
    await services.calendar_recorded(uow, SqlObjectionsRepository(uow.session), calendar, year)


subscriptions = [
    Subscription(ResultPublished, on_result_published),
    Subscription(ResultCorrected, on_result_corrected),
    calendar_subscription(on_calendar_recorded),
]
