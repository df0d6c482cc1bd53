"""Event handlers: every event of a task goes into the task's dossier (and is folded into the
accountability read model); every version of an annual plan is filed under the plan and linked
into the dossiers of the tasks approved under it; the joint draws of a neighbour this district
is a party of are filed as dossiers of the neighbour's task (ADR 0010), never folded."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import spotcheck_common.events  # noqa: F401  (imports every schema module: registers the events)
from archives.adapters.unit_of_work import SqlArchivesUnitOfWork
from archives.service_layer import accountability, joint, services
from spotcheck_common.calendar_store import calendar_subscription
from spotcheck_common.consumer import Subscription
from spotcheck_common.events import Event, registered_events
from spotcheck_common.events.draws import JointShareCommitted, JointShareRevealed
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.inspections import (
    NotInspectedReportConsolidated,
    NotInspectedReportSubmitted,
)
from spotcheck_common.events.planning import AnnualPlanPublished
from spotcheck_common.uow import UnitOfWork
from spotcheck_common.workdays import WorkCalendar

SERVICE = "archives"

# Reports that span tasks (第八条): they name theirs in ``task_ids``.
REPORTS: tuple[type[Event], ...] = (NotInspectedReportSubmitted, NotInspectedReportConsolidated)
# This district's own acts in a neighbour's joint draw: they name the draw, not the task.
JOINT_ACTS: tuple[type[Event], ...] = (JointShareCommitted, JointShareRevealed)


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


def neighbour_events() -> list[type[Event]]:
    """The events that name a task which the neighbours share: read from each neighbour's
    topics, filed when they belong to a joint draw of this district or to a task of its own.
    Like :func:`archived_events`, a shared task event added later is filed without a change
    here (its schema says ``shared``, as its line in events.txt does)."""
    return [c for c in archived_events() if c.shared]


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
    await _fold_own(archives, document, now)


async def _fold_own(
    archives: SqlArchivesUnitOfWork, document: dict[str, Any], now: datetime
) -> None:
    """Fold a filed event unless its dossier is a neighbour's task: the neighbour answers for
    it (its deadlines are no alarm of this district's)."""
    if not await joint.foreign(archives, str(document["payload"]["task_id"])):
        await accountability.fold(archives, document, now)


async def file_neighbour_event(event: Event, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    """A neighbour's shared task event (the envelope's district is the neighbour's: the kernel
    checked it against the topic). No commit."""
    archives = _uow(uow)
    document = envelope.model_dump(mode="json")
    now = archives.clock.now()
    if await joint.file_neighbour_event(archives, document, envelope.district, now) is not None:
        await _fold_own(archives, document, now)


async def file_joint_act(event: Event, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    """This district's own act in a neighbour's joint draw, into that task's dossier (never
    folded: it names no task of ours). No commit."""
    archives = _uow(uow)
    await joint.file_joint_act(archives, envelope.model_dump(mode="json"), archives.clock.now())


async def file_plan(event: Event, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    """File a version of an annual plan and link it into its tasks' dossiers; no commit."""
    archives = _uow(uow)
    await services.file_plan(archives, envelope.model_dump(mode="json"), archives.clock.now())


async def file_report(event: Event, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    """File a "counted as done" report (第八条) in each dossier it names; no commit."""
    archives = _uow(uow)
    await services.file_report(archives, envelope.model_dump(mode="json"), archives.clock.now())


async def calendar_recorded(uow: UnitOfWork, calendar: WorkCalendar, year: int) -> None:
    """Nothing to recompute: archives counts its fallback deadlines on read, with the
    calendar it now holds."""


def subscriptions() -> list[Subscription]:
    return [
        *(Subscription(cls, file_event, name="file_event") for cls in archived_events()),
        *(
            Subscription(cls, file_neighbour_event, name="file_neighbour_event", neighbours=True)
            for cls in neighbour_events()
        ),
        *(Subscription(cls, file_joint_act, name="file_joint_act") for cls in JOINT_ACTS),
        Subscription(AnnualPlanPublished, file_plan, name="file_plan"),
        *(Subscription(cls, file_report, name="file_report") for cls in REPORTS),
        calendar_subscription(calendar_recorded),
    ]
