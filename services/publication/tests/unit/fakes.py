"""In-memory doubles of the publication service's repository and unit of work, held to the same
contract as the SQL ones (``test_repository_contract.py``) and type-checked (``make lint``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from publication.adapters.repository import PublicationRepository
from publication.domain.model import (
    ORGANISATIONS,
    ExportKind,
    PlanVersion,
    PublishedTask,
    ResultQuery,
    ResultRecord,
    ResultVersion,
    WithheldResult,
    published_late,
)
from publication.service_layer.unit_of_work import PublicationUnitOfWork
from spotcheck_common import objects
from spotcheck_common.clock import Clock
from spotcheck_common.db import Page
from spotcheck_common.testing import FakeUnitOfWork
from spotcheck_common.workdays import CHINA_TZ, WorkCalendar


def _newest_first(moment: datetime, key: str) -> tuple[float, str]:
    """Order by ``moment`` descending, then ``key`` ascending."""
    return (-moment.timestamp(), key)


def _names(r: ResultRecord, code: str) -> bool:
    """The record's object is ``code``, or a product ``code`` (a USCC) produced."""
    return code in (r.uscc, r.details.get("producer_uscc")) and (
        r.uscc == code or not objects.is_assigned_id(code)
    )


def _of_kind(r: ResultRecord, kind: ExportKind) -> bool:
    if kind == ORGANISATIONS:
        return objects.has_uscc(r.object_kind)
    return r.object_kind == kind


def _matches(r: ResultRecord, query: ResultQuery) -> bool:
    """The record's own fields (not its version's) match ``query``."""
    q, uscc = query.q, query.uscc
    return (
        (not uscc or _names(r, uscc.upper()))
        and (not query.task_no or r.task_no == query.task_no)
        and (not query.area or r.area == query.area)
        and (not q or q in r.entity_name or q in r.task_title or r.uscc.startswith(q.upper()))
        and (query.completed_from is None or r.completed_on >= query.completed_from)
        and (query.completed_to is None or r.completed_on <= query.completed_to)
    )


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(), CHINA_TZ)


class FakePublicationRepository:
    def __init__(self) -> None:
        self.records: dict[str, ResultRecord] = {}
        self.versions_: list[ResultVersion] = []
        self.withheld: dict[str, WithheldResult] = {}
        self.tasks: dict[str, PublishedTask] = {}
        self.plans: list[PlanVersion] = []
        self.work_calendar = WorkCalendar()
        self.version = 0  # raised by every write, as the SQL unit of work raises its row

    async def data_version(self) -> int:
        return self.version

    async def calendar(self) -> WorkCalendar:
        return self.work_calendar

    async def records_completed_since(self, day: date) -> list[ResultRecord]:
        return sorted(
            (r for r in self.records.values() if r.completed_on >= day),
            key=lambda r: (r.completed_on, r.record_id),
        )

    async def set_deadline(self, record: ResultRecord) -> None:
        self.version += 1
        self.records[record.record_id] = record

    async def get_record(self, record_id: str, lock: bool = False) -> ResultRecord | None:
        return self.records.get(record_id)

    async def get_record_by_inspection(self, inspection_id: str) -> ResultRecord | None:
        return next((r for r in self.records.values() if r.inspection_id == inspection_id), None)

    async def versions(self, record_id: str) -> list[ResultVersion]:
        return sorted(
            (v for v in self.versions_ if v.record_id == record_id), key=lambda v: v.version
        )

    async def version_for_objection(self, objection_id: str) -> ResultVersion | None:
        return next((v for v in self.versions_ if v.objection_id == objection_id), None)

    async def version_for_request(self, request_id: str) -> ResultVersion | None:
        return next((v for v in self.versions_ if v.request_id == request_id), None)

    async def add_record(self, record: ResultRecord) -> None:
        self.version += 1
        assert record.record_id not in self.records
        self.records[record.record_id] = record

    async def add_version(self, version: ResultVersion) -> None:
        self.version += 1
        assert all(
            (v.record_id, v.version) != (version.record_id, version.version) for v in self.versions_
        )
        self.versions_.append(version)

    async def get_withheld(self, inspection_id: str) -> WithheldResult | None:
        return self.withheld.get(inspection_id)

    async def add_withheld(self, withheld: WithheldResult) -> None:
        self.version += 1
        assert withheld.inspection_id not in self.withheld
        self.withheld[withheld.inspection_id] = withheld

    async def get_task(self, task_id: str) -> PublishedTask | None:
        return self.tasks.get(task_id)

    async def save_task(self, task: PublishedTask) -> bool:
        self.version += 1
        old = self.tasks.get(task.task_id)
        if old is not None and old.published_at >= task.published_at:
            return False
        self.tasks[task.task_id] = task
        return True

    async def plan_version_exists(self, plan_id: str, plan_version: int) -> bool:
        return any((p.plan_id, p.plan_version) == (plan_id, plan_version) for p in self.plans)

    async def add_plan_version(self, plan: PlanVersion) -> None:
        self.version += 1
        assert not await self.plan_version_exists(plan.plan_id, plan.plan_version)
        self.plans.append(plan)

    # -- reads -------------------------------------------------------------------------------

    async def _current(self, record: ResultRecord) -> tuple[ResultRecord, ResultVersion]:
        return record, (await self.versions(record.record_id))[-1]

    async def search(
        self, query: ResultQuery, limit: int, offset: int
    ) -> Page[tuple[ResultRecord, ResultVersion]]:
        found = [r for r in self.records.values() if _matches(r, query)]
        current = [await self._current(r) for r in found]
        if query.category:
            current = [
                (r, v) for r, v in current if any(i.category == query.category for i in v.results)
            ]
        # newest first, ties by record id descending (the SQL index's order, read backwards)
        current.sort(key=lambda rv: (rv[0].published_at, rv[0].record_id), reverse=True)
        return Page(len(current), current[offset : offset + limit])

    async def count_withheld(self, task_no: str | None) -> int:
        return sum(1 for w in self.withheld.values() if not task_no or w.task_no == task_no)

    async def list_withheld(
        self, task_no: str | None, limit: int, offset: int
    ) -> Page[WithheldResult]:
        found = [w for w in self.withheld.values() if not task_no or w.task_no == task_no]
        found.sort(key=lambda w: _newest_first(w.recorded_at, w.inspection_id))
        return Page(len(found), found[offset : offset + limit])

    async def plan_versions(self, plan_id: str) -> list[PlanVersion]:
        return sorted((p for p in self.plans if p.plan_id == plan_id), key=lambda p: p.plan_version)

    async def current_plans(self, year: int | None, department: str | None) -> list[PlanVersion]:
        current: dict[str, PlanVersion] = {}
        for p in self.plans:
            if p.plan_id not in current or p.plan_version > current[p.plan_id].plan_version:
                current[p.plan_id] = p
        found = [
            p
            for p in current.values()
            if (year is None or p.year == year) and (not department or p.department == department)
        ]
        found.sort(key=lambda p: (p.department, p.plan_no))
        found.sort(key=lambda p: p.year, reverse=True)
        return found

    async def search_tasks(
        self, plan_no: str | None, q: str | None, limit: int, offset: int
    ) -> Page[PublishedTask]:
        found = [
            t
            for t in self.tasks.values()
            if (not plan_no or t.plan_no == plan_no)
            and (not q or q in t.title or q in t.task_no or q in t.lead_department)
        ]
        found.sort(key=lambda t: _newest_first(t.published_at, t.task_id))
        return Page(len(found), found[offset : offset + limit])

    async def late_records(self, department: str | None = None) -> list[ResultRecord]:
        found = [
            r
            for r in self.records.values()
            if r.publish_due_on is not None
            and (department is None or r.lead_department == department)
            and published_late(r)
        ]
        return sorted(found, key=lambda r: (r.publish_due_on or date.min, r.record_id))

    async def pending_deadlines(self) -> int:
        return sum(1 for r in self.records.values() if r.publish_due_pending is not None)

    async def current_versions(
        self,
        task_no: str | None,
        published_from: date | None,
        published_to: date | None,
        kind: ExportKind = ORGANISATIONS,
    ) -> list[tuple[ResultRecord, ResultVersion]]:
        found = []
        for record in self.records.values():
            pair = await self._current(record)
            at = pair[1].published_at
            if (
                _of_kind(record, kind)
                and (not task_no or record.task_no == task_no)
                and (published_from is None or at >= _day_start(published_from))
                and (published_to is None or at < _day_start(published_to + timedelta(days=1)))
            ):
                found.append(pair)
        return sorted(
            found, key=lambda p: (p[0].task_no, p[0].completed_on, p[0].uscc, p[0].record_id)
        )


class FakePublicationUnitOfWork(FakeUnitOfWork):
    """The kernel's fake unit of work, carrying the fake repository."""

    def __init__(
        self,
        publication: FakePublicationRepository | None = None,
        actor: str = "tester",
        clock: Clock | None = None,
    ) -> None:
        super().__init__(actor=actor, clock=clock)
        self.publication = publication or FakePublicationRepository()


def _conforms() -> None:
    """Never called: mypy (``make lint``) checks the fakes against the protocols they stand in
    for, so a method added to one and not the other fails the lint."""
    repo: PublicationRepository = FakePublicationRepository()
    uow: PublicationUnitOfWork = FakePublicationUnitOfWork()
    del repo, uow
