"""Reads of the inspections service (the query side): inspections and their history, visits,
attachments, the follow-up register. Plain functions on a unit of work (reads leave it
unchanged).

``reader``: None when the departments or the leadership read (everything); a field role's own
inspector or expert id otherwise — it reads only the inspections and visits it works on
(issue 12: reads beyond need).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspections.domain import attachments as att
from inspections.domain import joint
from inspections.domain.follow_ups import FollowUp, FollowUpStatus
from inspections.domain.model import Inspection, InspectionStatus
from inspections.domain.visits import Visit
from inspections.service_layer.unit_of_work import InspectionsUnitOfWork
from spotcheck_common.db import Page
from spotcheck_common.errors import Forbidden, NotFound

NOT_YOURS = "现场人员只能查看本人所在检查组的检查记录"


async def inspections(
    uow: InspectionsUnitOfWork,
    task_id: str | None,
    uscc: str | None,
    status: InspectionStatus | None,
    limit: int,
    offset: int,
    visit_id: str | None = None,
    not_inspected: bool | None = None,
    reader: str | None = None,
) -> Page[Inspection]:
    return await uow.inspections.search(
        task_id,
        uscc.upper() if uscc else None,
        status,
        limit,
        offset,
        visit_id=visit_id,
        not_inspected=not_inspected,
        member=reader,
    )


async def inspection(
    uow: InspectionsUnitOfWork, inspection_id: str, reader: str | None = None
) -> Inspection:
    found = await uow.inspections.get(inspection_id)
    if found is None:
        raise NotFound(f"检查记录 {inspection_id} 不存在")
    if reader is not None and reader not in found.members:
        raise Forbidden(NOT_YOURS)
    return found


async def history(uow: InspectionsUnitOfWork, inspection_id: str) -> list[dict[str, Any]]:
    return await uow.inspections.history(inspection_id)


async def attachments(
    uow: InspectionsUnitOfWork, inspection_id: str, reader: str | None = None
) -> list[att.Attachment]:
    await inspection(uow, inspection_id, reader)
    return await uow.inspections.attachments_of(inspection_id)


async def attachment(
    uow: InspectionsUnitOfWork, inspection_id: str, attachment_id: str, reader: str | None = None
) -> tuple[att.Attachment, bytes]:
    """The attachment and its content, checked against its SHA-256 (refused if it does not
    match: ``AttachmentTampered``)."""
    await inspection(uow, inspection_id, reader)
    found = await uow.inspections.get_attachment(attachment_id)
    if found is None or found[0].inspection_id != inspection_id:
        raise NotFound(f"附件 {attachment_id} 不存在")
    attached, content = found
    return attached, att.verified(attached, content)


@dataclass(frozen=True)
class VisitView:
    visit: Visit
    inspections: list[Inspection]


async def visits(
    uow: InspectionsUnitOfWork, uscc: str | None, limit: int, offset: int
) -> Page[VisitView]:
    repo = uow.inspections
    found = await repo.search_visits(uscc.upper() if uscc else None, limit, offset)
    return Page(found.total, [VisitView(v, await repo.of_visit(v.visit_id)) for v in found.items])


async def visit(
    uow: InspectionsUnitOfWork, visit_id: str, reader: str | None = None
) -> tuple[VisitView, list[dict[str, Any]]]:
    """The visit, its inspections and its history."""
    repo = uow.inspections
    found = await repo.get_visit(visit_id)
    if found is None:
        raise NotFound(f"检查（进一次门）{visit_id} 不存在")
    of_visit = await repo.of_visit(visit_id)
    if reader is not None and not any(reader in i.members for i in of_visit):
        raise Forbidden(NOT_YOURS)
    return VisitView(found, of_visit), await repo.visit_history(visit_id)


async def follow_ups(
    uow: InspectionsUnitOfWork,
    status: FollowUpStatus | None,
    department: str | None,
    task_id: str | None,
    uscc: str | None,
) -> list[FollowUp]:
    return await uow.inspections.search_follow_ups(
        status, department, task_id, uscc.upper() if uscc else None
    )


async def follow_up(uow: InspectionsUnitOfWork, follow_up_id: str) -> FollowUp:
    found = await uow.inspections.get_follow_up(follow_up_id)
    if found is None:
        raise NotFound(f"后续处理 {follow_up_id} 不存在")
    return found


@dataclass
class Workload:
    """One inspector of this district in a year: inspections of this district's tasks, and of
    its neighbours' joint draws (kept by the drawing district), open and submitted."""

    inspector_id: str
    name: str
    own: dict[str, int]
    neighbours: dict[str, dict[str, int]]

    @property
    def total(self) -> int:
        return sum(self.own.values()) + sum(sum(c.values()) for c in self.neighbours.values())


def _count(counts: dict[str, int], status: str) -> None:
    key = "submitted" if status == InspectionStatus.SUBMITTED else "open"
    counts[key] = counts.get(key, 0) + 1


async def workload(uow: InspectionsUnitOfWork, year: int) -> list[Workload]:
    """Every inspector of this district who has inspections due in ``year``, here or at a
    neighbour (joint draws, issue 10): a shared inspector's load is counted across districts.
    Most loaded first. A neighbour's inspector on this district's teams is counted by their
    own bureau, not here."""
    people: dict[str, Workload] = {}

    def of(inspector_id: str, name: str) -> Workload:
        return people.setdefault(inspector_id, Workload(inspector_id, name, {}, {}))

    for team, status in await uow.inspections.teams_due_in(year):
        for m in team:
            if joint.SEPARATOR not in m.inspector_id:
                _count(of(m.inspector_id, m.name).own, status)
    ours = joint.namespaced(uow.district, "")
    for kept in await uow.inspections.joint_due_in(year):
        for m in kept.state.team:
            if m.inspector_id.startswith(ours):
                own_id = m.inspector_id.removeprefix(ours)
                counts = of(own_id, m.name).neighbours.setdefault(kept.drawing_district, {})
                _count(counts, kept.state.status)
    return sorted(people.values(), key=lambda w: (-w.total, w.inspector_id))
