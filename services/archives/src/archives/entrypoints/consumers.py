"""Event handlers: every event of a task goes into the task's dossier (and the accountability
read model); every version of an annual plan is filed under the plan and linked into the
dossiers of the tasks approved under it."""

from __future__ import annotations

import logging
from typing import Any

import spotcheck_common.events  # noqa: F401  (imports every schema module: registers the events)
from archives.adapters.repository import SqlArchiveRepository
from archives.service_layer import accountability, services
from spotcheck_common.calendar_store import calendar_subscription
from spotcheck_common.consumer import Subscription
from spotcheck_common.events import Event, registered_events
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.planning import AnnualPlanPublished
from spotcheck_common.uow import UnitOfWork
from spotcheck_common.workdays import WorkCalendar

SERVICE = "archives"

log = logging.getLogger(__name__)


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
    """File the whole envelope and fold it into the accountability facts. Runs in the
    idempotent consumer's transaction; no commit."""
    repo = SqlArchiveRepository(uow.session, uow.db.postgres)
    document = envelope.model_dump(mode="json")
    now = uow.clock.now()
    if await services.file_event(repo, document, now) is None:
        return
    # The dossier comes first: a fold that fails must not keep the event out of the archive
    # (nor block the partition). It runs in a savepoint; on failure it is logged and skipped.
    try:
        async with uow.session.begin_nested():
            await accountability.record(repo, document, now)
    except Exception:
        log.exception(
            "accountability fold failed; the event is filed, the read model skips it",
            extra={"fields": {"event_id": envelope.event_id, "event_type": envelope.event_type}},
        )


async def file_plan(event: Event, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    """File a version of an annual plan and link it into its tasks' dossiers; no commit."""
    repo = SqlArchiveRepository(uow.session, uow.db.postgres)
    await services.file_plan(repo, envelope.model_dump(mode="json"), uow.clock.now())


async def calendar_recorded(uow: UnitOfWork, calendar: WorkCalendar, year: int) -> None:
    """Nothing to recompute: archives counts its fallback deadlines on read, with the
    calendar it now holds."""


def subscriptions() -> list[Subscription]:
    return [
        *(Subscription(cls, file_event, name="file_event") for cls in archived_events()),
        Subscription(AnnualPlanPublished, file_plan, name="file_plan"),
        calendar_subscription(calendar_recorded),
    ]
