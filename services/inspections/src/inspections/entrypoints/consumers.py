"""Event handlers: run inside the idempotent consumer's transaction (they never commit)."""

from __future__ import annotations

from typing import Any, cast

from inspections.adapters.unit_of_work import SqlInspectionsUnitOfWork
from inspections.service_layer import joint, services
from inspections.service_layer.config import get_inspections_settings
from spotcheck_common.calendar_store import calendar_subscription
from spotcheck_common.consumer import Subscription
from spotcheck_common.events.draws import DrawCompleted, DrawInspectorReplaced
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.inspections import (
    JointInspectionRecorded,
    JointInspectionSigned,
    JointInspectionState,
    JointInspectionSubmitted,
)
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.uow import UnitOfWork
from spotcheck_common.workdays import WorkCalendar


def _uow(uow: UnitOfWork) -> SqlInspectionsUnitOfWork:
    """The consumer's unit of work is this service's kind (``definition.unit_of_work``)."""
    return cast(SqlInspectionsUnitOfWork, uow)


async def on_task_approved(event: TaskApproved, _: Envelope[Any], uow: UnitOfWork) -> None:
    await services.task_approved(_uow(uow), event, uow.clock.now())


async def on_draw_completed(event: DrawCompleted, _: Envelope[Any], uow: UnitOfWork) -> None:
    # Raises TaskNotKnownYet when the task is not known yet: the consumer rolls back without
    # recording the event, and the bus delivers it again later.
    await services.draw_completed(_uow(uow), event, uow.clock.now())


async def on_inspector_replaced(
    event: DrawInspectorReplaced, _: Envelope[Any], uow: UnitOfWork
) -> None:
    # Raises InspectionNotKnownYet when the draw that opened the inspection has not been
    # handled yet (another topic): rolled back and delivered again later.
    await services.inspector_replaced(_uow(uow), event, uow.clock.now())


async def on_calendar_recorded(uow: UnitOfWork, calendar: WorkCalendar, year: int) -> None:
    await services.calendar_recorded(
        _uow(uow), calendar, year, get_inspections_settings().transfer_due_workdays
    )


subscriptions = [
    Subscription(TaskApproved, on_task_approved),
    Subscription(DrawCompleted, on_draw_completed),
    Subscription(DrawInspectorReplaced, on_inspector_replaced),
    calendar_subscription(on_calendar_recorded),
    # Joint draws (issue 10): the drawing district applies what its neighbours' inspectors did
    # at their bureaus; a neighbour keeps the inspections its inspectors are on.
    *(
        Subscription.of_neighbours(act, joint.neighbour_acted)
        for act in (JointInspectionRecorded, JointInspectionSigned, JointInspectionSubmitted)
    ),
    Subscription.of_neighbours(JointInspectionState, joint.neighbour_state),
]
