"""Event handlers: run inside the idempotent consumer's transaction (they never commit)."""

from __future__ import annotations

from typing import Any

from inspections.adapters.repository import SqlInspectionRepository
from inspections.service_layer import services
from spotcheck_common.consumer import Subscription
from spotcheck_common.events.draws import DrawCompleted, DrawInspectorReplaced
from spotcheck_common.events.envelope import Envelope, utcnow
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.uow import UnitOfWork


async def on_task_approved(event: TaskApproved, _: Envelope[Any], uow: UnitOfWork) -> None:
    await services.task_approved(SqlInspectionRepository(uow.session), event, utcnow())


async def on_draw_completed(event: DrawCompleted, _: Envelope[Any], uow: UnitOfWork) -> None:
    # Raises TaskNotKnownYet when the task is not known yet: the consumer rolls back without
    # recording the event, and the bus delivers it again later.
    await services.draw_completed(SqlInspectionRepository(uow.session), event, utcnow())


async def on_inspector_replaced(
    event: DrawInspectorReplaced, _: Envelope[Any], uow: UnitOfWork
) -> None:
    # Raises InspectionNotKnownYet when the draw that opened the inspection has not been
    # handled yet (another topic): rolled back and delivered again later.
    await services.inspector_replaced(SqlInspectionRepository(uow.session), event, utcnow())


subscriptions = [
    Subscription(TaskApproved, on_task_approved),
    Subscription(DrawCompleted, on_draw_completed),
    Subscription(DrawInspectorReplaced, on_inspector_replaced),
]
