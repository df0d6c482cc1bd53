"""Event handlers of the objections service (run inside the idempotent consumer)."""

from __future__ import annotations

from typing import Any, cast

from objections.adapters.unit_of_work import SqlObjectionsUnitOfWork
from objections.service_layer import services
from spotcheck_common.calendar_store import calendar_subscription
from spotcheck_common.consumer import Subscription
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.publication import ResultCorrected, ResultPublished
from spotcheck_common.uow import UnitOfWork
from spotcheck_common.workdays import WorkCalendar


def _uow(uow: UnitOfWork) -> SqlObjectionsUnitOfWork:
    """The consumer's unit of work is this service's kind (``definition.unit_of_work``)."""
    return cast(SqlObjectionsUnitOfWork, uow)


async def on_result_published(
    event: ResultPublished, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.record_published(_uow(uow), event)


async def on_result_corrected(
    event: ResultCorrected, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.record_published(_uow(uow), event)


async def on_calendar_recorded(uow: UnitOfWork, calendar: WorkCalendar, year: int) -> None:
    await services.calendar_recorded(_uow(uow), calendar, year)


subscriptions = [
    Subscription(ResultPublished, on_result_published),
    Subscription(ResultCorrected, on_result_corrected),
    calendar_subscription(on_calendar_recorded),
]
