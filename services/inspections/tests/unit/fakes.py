"""In-memory doubles of the inspections repository and unit of work, held to the same contract
as the SQL ones (``test_repository_contract.py``) and type-checked (``make lint``)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from inspections.adapters.reports import STALE_REPORT, ReportRepository
from inspections.adapters.repository import (
    STALE_FOLLOW_UP,
    STALE_INSPECTION,
    STALE_VISIT,
    InspectionRepository,
)
from inspections.domain.attachments import Attachment
from inspections.domain.follow_ups import FollowUp, FollowUpStatus
from inspections.domain.joint import JointInspection
from inspections.domain.model import Inspection, InspectionStatus, TaskInfo
from inspections.domain.reports import Period, Report, ReportKind
from inspections.domain.visits import Visit
from inspections.service_layer.reports import ReportsUnitOfWork
from inspections.service_layer.unit_of_work import InspectionsUnitOfWork
from spotcheck_common.clock import Clock
from spotcheck_common.db import Page
from spotcheck_common.errors import StaleWrite
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.testing import FakeUnitOfWork
from spotcheck_common.workdays import WorkCalendar


class FakeInspectionRepository:
    def __init__(self, *inspections: Inspection) -> None:
        self.tasks: dict[str, TaskInfo] = {}
        self.inspections = {i.inspection_id: copy.deepcopy(i) for i in inspections}
        self.log: list[tuple[str, str, str]] = []
        self.histories: dict[str, list[dict[str, Any]]] = {}
        self.visit_histories: dict[str, list[dict[str, Any]]] = {}
        self.visits: dict[str, Visit] = {}
        self.locked: list[str] = []
        self.visit_log: list[tuple[str, str]] = []
        self.follow_ups: dict[str, FollowUp] = {}
        self.attachments: dict[str, tuple[Attachment, bytes]] = {}
        self.work_calendar = WorkCalendar()
        self.joint: dict[str, tuple[JointInspection, list[str]]] = {}

    async def calendar(self) -> WorkCalendar:
        return self.work_calendar

    async def suspected_since(self, day: date) -> list[FollowUp]:
        return [
            copy.deepcopy(f)
            for f in self.follow_ups.values()
            if f.suspected_crime_on is not None and f.suspected_crime_on >= day
        ]

    async def get_task(self, task_id: str) -> TaskInfo | None:
        return self.tasks.get(task_id)

    async def put_task(self, task: TaskInfo, now: datetime) -> None:
        self.tasks[task.task_id] = task

    async def existing(self, task_id: str, usccs: Sequence[str]) -> set[str]:
        wanted = set(usccs)
        return {i.uscc for i in self.inspections.values() if i.task_id == task_id} & wanted

    def _keep_log(self, i: Inspection) -> None:
        self.log.extend((i.inspection_id, e.action, e.actor) for e in i.new_log)
        self.histories.setdefault(i.inspection_id, []).extend(
            {"action": e.action, "actor": e.actor, "at": e.at.isoformat(), "detail": e.detail}
            for e in i.new_log
        )
        i.new_log = []

    async def add(self, i: Inspection) -> None:
        self._keep_log(i)
        self.inspections[i.inspection_id] = copy.deepcopy(i)

    async def add_many(self, inspections: Sequence[Inspection]) -> None:
        for i in inspections:
            await self.add(i)

    async def get(self, inspection_id: str) -> Inspection | None:
        found = self.inspections.get(inspection_id)
        return copy.deepcopy(found) if found else None

    async def save(self, i: Inspection) -> None:
        if self.inspections[i.inspection_id].version != i.version:
            raise StaleWrite(STALE_INSPECTION, id=i.inspection_id)
        i.version += 1
        self._keep_log(i)
        self.inspections[i.inspection_id] = copy.deepcopy(i)

    async def find(self, task_id: str, uscc: str) -> Inspection | None:
        for i in self.inspections.values():
            if i.task_id == task_id and i.uscc == uscc:
                return copy.deepcopy(i)
        return None

    async def lock_targets(self, usccs: Sequence[str]) -> None:
        self.locked.extend(sorted(set(usccs)))

    async def open_for_usccs(self, usccs: Sequence[str]) -> dict[str, list[Inspection]]:
        found: dict[str, list[Inspection]] = {}
        for i in sorted(self.inspections.values(), key=lambda i: i.created_at):
            if i.uscc in usccs and i.status is not InspectionStatus.SUBMITTED:
                found.setdefault(i.uscc, []).append(copy.deepcopy(i))
        return found

    async def of_visit(self, visit_id: str) -> list[Inspection]:
        found = [i for i in self.inspections.values() if i.visit_id == visit_id]
        return [copy.deepcopy(i) for i in sorted(found, key=lambda i: (i.created_at, i.task_no))]

    async def get_visit(self, visit_id: str) -> Visit | None:
        found = self.visits.get(visit_id)
        return copy.deepcopy(found) if found else None

    def _keep_visit_log(self, v: Visit) -> None:
        self.visit_log.extend((v.visit_id, e.action) for e in v.new_log)
        self.visit_histories.setdefault(v.visit_id, []).extend(
            {"action": e.action, "actor": e.actor, "at": e.at.isoformat(), "detail": e.detail}
            for e in v.new_log
        )
        v.new_log = []

    async def add_visit(self, visit: Visit) -> None:
        self._keep_visit_log(visit)
        self.visits[visit.visit_id] = copy.deepcopy(visit)

    async def save_visit(self, visit: Visit) -> None:
        if self.visits[visit.visit_id].version != visit.version:
            raise StaleWrite(STALE_VISIT, id=visit.visit_id)
        visit.version += 1
        self._keep_visit_log(visit)
        self.visits[visit.visit_id] = copy.deepcopy(visit)

    async def get_follow_up(self, follow_up_id: str) -> FollowUp | None:
        found = self.follow_ups.get(follow_up_id)
        return copy.deepcopy(found) if found else None

    async def follow_up_of(self, inspection_id: str) -> FollowUp | None:
        for f in self.follow_ups.values():
            if f.inspection_id == inspection_id:
                return copy.deepcopy(f)
        return None

    async def add_follow_up(self, follow_up: FollowUp) -> None:
        self.follow_ups[follow_up.follow_up_id] = copy.deepcopy(follow_up)

    async def save_follow_up(self, follow_up: FollowUp) -> None:
        if self.follow_ups[follow_up.follow_up_id].version != follow_up.version:
            raise StaleWrite(STALE_FOLLOW_UP, id=follow_up.follow_up_id)
        follow_up.version += 1
        self.follow_ups[follow_up.follow_up_id] = copy.deepcopy(follow_up)

    async def add_attachment(self, attachment: Attachment, content: bytes) -> None:
        self.attachments[attachment.attachment_id] = (attachment, content)

    # -- reads

    async def search(
        self,
        task_id: str | None,
        uscc: str | None,
        status: InspectionStatus | None,
        limit: int,
        offset: int,
        visit_id: str | None = None,
        not_inspected: bool | None = None,
        member: str | None = None,
    ) -> Page[Inspection]:
        found = [
            i
            for i in self.inspections.values()
            if (member is None or member in i.members)
            and (not task_id or i.task_id == task_id)
            and (not uscc or i.uscc == uscc)
            and (not status or i.status == status)
            and (not visit_id or i.visit_id == visit_id)
            and (not_inspected is None or bool(i.not_inspected_reason) is not_inspected)
        ]
        found.sort(key=lambda i: (i.task_no, i.uscc))
        return Page(len(found), [copy.deepcopy(i) for i in found[offset : offset + limit]])

    async def history(self, inspection_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self.histories.get(inspection_id, []))

    async def visit_history(self, visit_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self.visit_histories.get(visit_id, []))

    async def search_visits(self, uscc: str | None, limit: int, offset: int) -> Page[Visit]:
        found = sorted(
            (v for v in self.visits.values() if not uscc or v.uscc == uscc),
            key=lambda v: v.visit_id,
        )
        found.sort(key=lambda v: v.created_at, reverse=True)
        return Page(len(found), [copy.deepcopy(v) for v in found[offset : offset + limit]])

    async def search_follow_ups(
        self,
        status: FollowUpStatus | None,
        department: str | None,
        task_id: str | None,
        uscc: str | None = None,
    ) -> list[FollowUp]:
        found = [
            f
            for f in self.follow_ups.values()
            if (not status or f.status == status)
            and (not department or f.lead_department == department)
            and (not task_id or f.task_id == task_id)
            and (not uscc or f.uscc == uscc)
        ]
        found.sort(key=lambda f: (f.opened_at, f.follow_up_id))
        return [copy.deepcopy(f) for f in found]

    async def pending_transfer_deadlines(self) -> int:
        return sum(1 for f in self.follow_ups.values() if f.transfer_due_pending is not None)

    async def attachments_of(self, inspection_id: str) -> list[Attachment]:
        found = [a for a, _ in self.attachments.values() if a.inspection_id == inspection_id]
        return sorted(found, key=lambda a: (a.added_at, a.attachment_id))

    async def get_attachment(self, attachment_id: str) -> tuple[Attachment, bytes] | None:
        return self.attachments.get(attachment_id)

    async def get_joint(self, inspection_id: str) -> JointInspection | None:
        found = self.joint.get(inspection_id)
        return copy.deepcopy(found[0]) if found else None

    async def put_joint(self, joint: JointInspection, members: list[str]) -> None:
        self.joint[joint.inspection_id] = (copy.deepcopy(joint), sorted(set(members)))

    async def teams_due_in(self, year: int) -> list[tuple[list[TeamMember], InspectionStatus]]:
        return [
            (list(i.team), i.status) for i in self.inspections.values() if i.deadline.year == year
        ]

    async def joint_due_in(self, year: int) -> list[JointInspection]:
        return [copy.deepcopy(j) for j, _ in self.joint.values() if j.state.deadline.year == year]

    async def search_joint(
        self, member: str | None, limit: int, offset: int
    ) -> Page[JointInspection]:
        found = [j for j, ms in self.joint.values() if member is None or member in ms]
        found.sort(key=lambda j: j.inspection_id)
        found.sort(key=lambda j: j.received_at, reverse=True)
        return Page(len(found), [copy.deepcopy(j) for j in found[offset : offset + limit]])


class FakeReportRepository:
    """The "counted as done" reports, reading the inspections of ``inspections``."""

    def __init__(self, inspections: FakeInspectionRepository) -> None:
        self.inspections = inspections
        self.reports: dict[str, tuple[Report, dict[str, bytes]]] = {}

    async def counted_as_done(self, period: Period, department: str | None) -> list[Inspection]:
        since, until = period.instants()
        found = [
            i
            for i in self.inspections.inspections.values()
            if i.status is InspectionStatus.SUBMITTED
            and i.not_inspected_reason is not None
            and i.submitted_at is not None
            and since <= i.submitted_at < until
            and (department is None or i.inspecting_authority == department)
        ]
        return [copy.deepcopy(i) for i in sorted(found, key=lambda i: (i.task_no, i.uscc))]

    def _stored(self) -> list[Report]:
        replaced = {r.replaces: r.report_id for r, _ in self.reports.values() if r.replaces}
        return [
            replace(r, superseded_by=replaced.get(r.report_id, ""))
            for r, _ in self.reports.values()
        ]

    async def add(self, report: Report, files: dict[str, bytes]) -> None:
        clash = any(
            (r.kind, r.department, r.period, r.version)
            == (report.kind, report.department, report.period, report.version)
            or (report.replaces and r.replaces == report.replaces)
            for r, _ in self.reports.values()
        )
        if clash:
            raise StaleWrite(STALE_REPORT, report_id=report.report_id)
        self.reports[report.report_id] = (report, dict(files))

    async def get(self, report_id: str) -> Report | None:
        return next((r for r in self._stored() if r.report_id == report_id), None)

    async def file(self, report_id: str, fmt: str) -> bytes | None:
        found = self.reports.get(report_id)
        return found[1][fmt] if found else None

    async def current(self, kind: ReportKind, department: str, period: Period) -> Report | None:
        chain = [
            r
            for r in self._stored()
            if (r.kind, r.department, r.period) == (kind, department, period)
        ]
        return max(chain, key=lambda r: r.version, default=None)

    async def search(
        self, kind: ReportKind | None, department: str | None, period: Period | None
    ) -> list[Report]:
        found = [
            r
            for r in self._stored()
            if (kind is None or r.kind is kind)
            and (department is None or r.department == department)
            and (period is None or r.period.within(period))
        ]
        found.sort(key=lambda r: r.report_id)
        found.sort(key=lambda r: (r.submitted_at, r.version), reverse=True)
        return found


class FakeInspectionsUnitOfWork(FakeUnitOfWork):
    """The kernel's fake unit of work, carrying the fake repositories."""

    def __init__(
        self,
        inspections: FakeInspectionRepository | None = None,
        actor: str = "tester",
        district: str = "lingang",
        clock: Clock | None = None,
    ) -> None:
        super().__init__(district=district, actor=actor, clock=clock)
        self.inspections = inspections or FakeInspectionRepository()
        self.reports = FakeReportRepository(self.inspections)


def _conforms() -> None:
    """Never called: mypy (``make lint``) checks the fakes against the protocols they stand in
    for, so a method added to one and not the other fails the lint."""
    repo: InspectionRepository = FakeInspectionRepository()
    uow: InspectionsUnitOfWork = FakeInspectionsUnitOfWork()
    reports: ReportRepository = FakeReportRepository(FakeInspectionRepository())
    reporting: ReportsUnitOfWork = FakeInspectionsUnitOfWork()
    del repo, uow, reports, reporting
