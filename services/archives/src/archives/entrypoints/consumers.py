"""Event handlers: every event of a task goes into the task's dossier (and is folded into the
accountability read model); every version of an annual plan is filed under the plan and linked
into the dossiers of the tasks approved under it."""

from __future__ import annotations

from typing import Any, cast

import spotcheck_common.events  # noqa: F401  (imports every schema module: registers the events)
from archives.adapters.unit_of_work import SqlArchivesUnitOfWork
from archives.service_layer import accountability, services
from spotcheck_common.calendar_store import calendar_subscription
from spotcheck_common.consumer import Subscription
from spotcheck_common.events import Event, registered_events
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.planning import AnnualPlanPublished
from spotcheck_common.uow import UnitOfWork
from spotcheck_common.workdays import WorkCalendar

SERVICE = "archives"


def _uow(uow: UnitOfWork) -> SqlArchivesUnitOfWork:
    """The consumer's unit of work is this service's kind (``definition.unit_of_work``)."""
    return cast(SqlArchivesUnitOfWork, uow)


def archived_events() -> list[type[Event]]:
    """Every registered event type whose payload names a task (a ``task_id`` field).

    Read from the schema registry when the definition is built, so an event another service
    adds later is filed without a change here.
    """
    return [
        cls
        for cls in registered_events()
        if "task_id" in cls.model_fields and cls.service != SERVICE
    ]


async def file_event(event: Event, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    """File the whole envelope and fold it into the accountability facts (a fold that fails is
    parked, the filing stays). Runs in the idempotent consumer's transaction; no commit."""
    archives = _uow(uow)
    document = envelope.model_dump(mode="json")
    now = archives.clock.now()
    if await services.file_event(archives, document, now) is None:
        # Filed before, delivered again (a consumer record lost, a handler renamed): a fold
        # parked then is tried again now.
        await accountability.refold(archives, envelope.event_id, now)
        return
    await accountability.fold(archives, document, now)


async def file_plan(event: Event, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    """File a version of an annual plan and link it into its tasks' dossiers; no commit."""
    archives = _uow(uow)
    await services.file_plan(archives, envelope.model_dump(mode="json"), archives.clock.now())


async def calendar_recorded(uow: UnitOfWork, calendar: WorkCalendar, year: int) -> None:
    """Nothing to recompute: archives counts its fallback deadlines on read, with the
    calendar it now holds."""


def subscriptions() -> list[Subscription]:
    return [
        *(Subscription(cls, file_event, name="file_event") for cls in archived_events()),
        Subscription(AnnualPlanPublished, file_plan, name="file_plan"),
        calendar_subscription(calendar_recorded),
    ]
