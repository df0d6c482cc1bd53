"""Event handlers of the publication service (run inside the idempotent consumer)."""

from __future__ import annotations

from typing import Any, cast

from publication.adapters.unit_of_work import SqlPublicationUnitOfWork
from publication.service_layer import services
from spotcheck_common.calendar_store import calendar_subscription
from spotcheck_common.consumer import Subscription
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.inspections import InspectionSubmitted
from spotcheck_common.events.objections import CorrectionGranted
from spotcheck_common.events.planning import AnnualPlanPublished, TaskPublished
from spotcheck_common.uow import UnitOfWork
from spotcheck_common.workdays import WorkCalendar


def _uow(uow: UnitOfWork) -> SqlPublicationUnitOfWork:
    """The consumer's unit of work is this service's kind (``definition.unit_of_work``)."""
    return cast(SqlPublicationUnitOfWork, uow)


async def on_inspection_submitted(
    event: InspectionSubmitted, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.publish_inspection(_uow(uow), event)


async def on_correction_granted(
    event: CorrectionGranted, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.correct_on_grant(_uow(uow), event)


async def on_annual_plan_published(
    event: AnnualPlanPublished, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.record_plan(_uow(uow), event)


async def on_task_published(event: TaskPublished, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    await services.record_task(_uow(uow), event)


async def on_calendar_recorded(uow: UnitOfWork, calendar: WorkCalendar, year: int) -> None:
    await services.calendar_recorded(_uow(uow), calendar, year)


# 第九条: a correction is published on the city bureau's grant only (CorrectionGranted). Not
# consumed: ObjectionDecided, CorrectionRequested and CorrectionRefused (nothing to publish),
# nor ObjectionCorrectionSubmitted of the flow before city requests (docs/corrections.md).
subscriptions = [
    Subscription(InspectionSubmitted, on_inspection_submitted),
    Subscription(CorrectionGranted, on_correction_granted),
    Subscription(AnnualPlanPublished, on_annual_plan_published),
    Subscription(TaskPublished, on_task_published),
    calendar_subscription(on_calendar_recorded),
]
