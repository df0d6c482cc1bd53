"""Inspections use cases. Plain functions; the unit of work and the repository are injected."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from typing import Any, Protocol

from inspections.adapters.repository import InspectionRepository, StaleInspection
from inspections.domain.model import Inspection, NotAllowed, ResultEntry, TaskInfo
from spotcheck_common.events.draws import DrawCompleted
from spotcheck_common.events.envelope import Event, utcnow
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.http import Conflict, NotFound

log = logging.getLogger(__name__)

# Inspection ids derive from (draw, target): a draw handled again yields the same ids.
INSPECTION_NS = uuid.UUID("6f1d3c2e-5b8a-4c7e-9d2f-3a1b0c9e8d7f")


class UnitOfWork(Protocol):
    async def emit(self, event: Event, district: str | None = None) -> Any: ...

    async def commit(self) -> None: ...

    @property
    def context(self) -> Any: ...


class TaskNotKnownYet(Exception):
    """A draw arrived before its task's TaskApproved; raised so the event is redelivered."""


def inspection_id_for(draw_id: str, uscc: str) -> str:
    return str(uuid.uuid5(INSPECTION_NS, f"{draw_id}\x1f{uscc}"))


# -- consumers (run inside the idempotent consumer's transaction; never commit) ------------


async def task_approved(repo: InspectionRepository, event: TaskApproved, now: datetime) -> None:
    await repo.put_task(TaskInfo.from_event(event), now)


async def draw_completed(
    repo: InspectionRepository, event: DrawCompleted, now: datetime
) -> list[Inspection]:
    """One inspection per drawn target, with the team the draw matched."""
    task = await repo.get_task(event.task_id)
    if task is None:
        raise TaskNotKnownYet(f"task {event.task_id} ({event.task_no}) not approved here yet")
    opened: list[Inspection] = []
    for target in event.targets:
        if await repo.exists(task.task_id, target.uscc):
            log.warning(
                "target already has an inspection in this task",
                extra={"fields": {"task_id": task.task_id, "uscc": target.uscc}},
            )
            continue
        inspection = Inspection.open(
            task, event.draw_id, target, inspection_id_for(event.draw_id, target.uscc), now
        )
        await repo.add(inspection)
        opened.append(inspection)
    return opened


# -- commands -------------------------------------------------------------------------------


def _inspector(inspector_id: str) -> str:
    """The acting inspector's id (执法人员编号, from their token); a request that names none is
    refused before anything is read."""
    if not inspector_id.strip():
        raise NotAllowed("令牌中没有执法人员编号（inspector_id），无法确认是否为检查组成员")
    return inspector_id.strip()


async def _load(repo: InspectionRepository, inspection_id: str) -> Inspection:
    inspection = await repo.get(inspection_id)
    if inspection is None:
        raise NotFound(f"检查记录 {inspection_id} 不存在")
    return inspection


async def _save(repo: InspectionRepository, inspection: Inspection) -> None:
    try:
        await repo.save(inspection)
    except StaleInspection:
        raise Conflict("检查记录已被他人同时修改，请刷新后重试") from None


async def record_results(
    uow: UnitOfWork,
    repo: InspectionRepository,
    inspection_id: str,
    inspector_id: str,
    entries: list[ResultEntry],
    now: datetime | None = None,
) -> Inspection:
    """The leader (by ``inspector_id``) enters the whole record form."""
    actor = _inspector(inspector_id)
    inspection = await _load(repo, inspection_id)
    inspection.record_results(actor, entries, now or utcnow())
    await _save(repo, inspection)
    await uow.commit()
    return inspection


async def sign(
    uow: UnitOfWork,
    repo: InspectionRepository,
    inspection_id: str,
    inspector_id: str,
    now: datetime | None = None,
) -> Inspection:
    """A member of the team (by ``inspector_id``: inspector or expert) signs the record form."""
    actor = _inspector(inspector_id)
    inspection = await _load(repo, inspection_id)
    inspection.sign(actor, now or utcnow())
    if inspection.new_log:
        await _save(repo, inspection)
        await uow.commit()
    return inspection


async def submit(
    uow: UnitOfWork,
    repo: InspectionRepository,
    inspection_id: str,
    inspector_id: str,
    completed_on: date | None = None,
    now: datetime | None = None,
) -> Inspection:
    """The leader (by ``inspector_id``) submits; InspectionSubmitted leaves through the outbox
    with the change."""
    actor = _inspector(inspector_id)
    inspection = await _load(repo, inspection_id)
    inspection.submit(actor, now or utcnow(), completed_on)
    await _save(repo, inspection)
    await uow.emit(inspection.submitted_event())
    await uow.commit()
    return inspection
