"""In-memory doubles of planning's repositories and unit of work, held to the same contract as
the SQL ones (``test_repository_contract.py``) and type-checked (``make lint``)."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from planning.adapters.repository import ItemListRepository, PlanRepository, TaskRepository
from planning.domain.model import DuplicateTaskNo, StaleTask, Task, TaskStatus
from planning.domain.plans import AnnualPlan, StalePlan, Transition
from planning.service_layer.unit_of_work import PlanningUnitOfWork
from spotcheck_common.db import Page
from spotcheck_common.testing import FakeUnitOfWork

APPROVED_OR_LATER = (TaskStatus.APPROVED, TaskStatus.PUBLISHED, TaskStatus.CLOSED)


class FakeTaskRepository:
    def __init__(self, *tasks: Task) -> None:
        self.tasks: dict[str, Task] = {t.task_id: copy.deepcopy(t) for t in tasks}

    async def add(self, task: Task) -> None:
        if any(t.task_no == task.task_no for t in self.tasks.values()):
            raise DuplicateTaskNo(task.task_no)
        self.tasks[task.task_id] = copy.deepcopy(task)

    async def get(self, task_id: str) -> Task | None:
        task = self.tasks.get(task_id)
        return copy.deepcopy(task) if task else None

    async def get_by_no(self, task_no: str) -> Task | None:
        for task in self.tasks.values():
            if task.task_no == task_no:
                return copy.deepcopy(task)
        return None

    async def save(self, task: Task) -> None:
        if self.tasks[task.task_id].version != task.version:
            raise StaleTask(task.task_no)
        task.version += 1
        self.tasks[task.task_id] = copy.deepcopy(task)

    async def search(
        self,
        status: TaskStatus | None = None,
        source: str | None = None,
        lead_department: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[Task]:
        rows = [
            t
            for t in self.tasks.values()
            if (status is None or t.status == status)
            and (source is None or str(t.source) == source)
            and (lead_department is None or t.lead_department == lead_department)
        ]
        rows.sort(key=lambda t: t.task_no)
        rows.sort(key=lambda t: t.created_at, reverse=True)
        return Page(len(rows), [copy.deepcopy(t) for t in rows[offset : offset + limit]])

    async def approved_in_year(self, year: int) -> list[Task]:
        return sorted(
            (
                copy.deepcopy(t)
                for t in self.tasks.values()
                if t.status in APPROVED_OR_LATER and t.deadline.year == year
            ),
            key=lambda t: t.task_no,
        )


class FakePlanRepository:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], AnnualPlan] = {}
        self.transitions: list[Transition] = []

    def _keep(self, plan: AnnualPlan) -> None:
        self.transitions.extend(plan.new_transitions)
        plan.new_transitions = []
        self.rows[(plan.plan_id, plan.plan_version)] = copy.deepcopy(plan)

    async def add(self, plan: AnnualPlan) -> None:
        assert (plan.plan_id, plan.plan_version) not in self.rows
        self._keep(plan)

    async def save(self, plan: AnnualPlan) -> None:
        if self.rows[(plan.plan_id, plan.plan_version)].row_version != plan.row_version:
            raise StalePlan()
        plan.row_version += 1
        self._keep(plan)

    def _all(self) -> list[AnnualPlan]:
        """In the SQL repository's order: year, department, plan number, version."""
        return sorted(
            (copy.deepcopy(p) for p in self.rows.values()),
            key=lambda p: (p.year, p.department, p.plan_no, p.plan_version),
        )

    async def versions(self, plan_id: str) -> list[AnnualPlan]:
        return [p for p in self._all() if p.plan_id == plan_id]

    async def of_year(self, year: int) -> list[AnnualPlan]:
        return [p for p in self._all() if p.year == year]

    async def find(
        self, plan_no: str | None = None, department: str | None = None, year: int | None = None
    ) -> list[AnnualPlan]:
        return [
            p
            for p in self._all()
            if (plan_no is None or p.plan_no == plan_no)
            and (department is None or p.department == department)
            and (year is None or p.year == year)
        ]

    async def history(self, plan_id: str) -> list[Transition]:
        return [t for t in self.transitions if t.plan_id == plan_id]

    def latest(self, plan_id: str) -> AnnualPlan:
        return max(
            (p for (pid, _), p in self.rows.items() if pid == plan_id),
            key=lambda p: p.plan_version,
        )


class FakeItemListRepository:
    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        self.versions: dict[int, tuple[date, list[tuple[str, str]]]] = {}
        if items is not None:
            self.versions[1] = (date(2026, 1, 1), items)

    async def add_version(
        self, version: int, list_id: str, effective_from: date, reason: str, items: list[Any]
    ) -> None:
        self.versions.setdefault(version, (effective_from, [(i["code"], i["name"]) for i in items]))

    async def current(self, today: date) -> tuple[int, list[tuple[str, str]]] | None:
        effective = [v for v, (since, _) in self.versions.items() if since <= today]
        if not effective:
            return None
        return max(effective), self.versions[max(effective)][1]


class FakePlanningUnitOfWork(FakeUnitOfWork):
    """The kernel's fake unit of work, carrying the fake repositories."""

    def __init__(
        self,
        tasks: FakeTaskRepository | None = None,
        plans: FakePlanRepository | None = None,
        item_lists: FakeItemListRepository | None = None,
        actor: str = "tester",
    ) -> None:
        super().__init__(actor=actor)
        self.tasks = tasks or FakeTaskRepository()
        self.plans = plans or FakePlanRepository()
        self.item_lists = item_lists or FakeItemListRepository()


def _conforms() -> None:
    """Never called: mypy (``make lint``) checks the fakes against the protocols they stand in
    for, so a method added to one and not the other fails the lint."""
    tasks: TaskRepository = FakeTaskRepository()
    plans: PlanRepository = FakePlanRepository()
    item_lists: ItemListRepository = FakeItemListRepository()
    uow: PlanningUnitOfWork = FakePlanningUnitOfWork()
    del tasks, plans, item_lists, uow


def carrying(
    uow: FakeUnitOfWork,
    tasks: FakeTaskRepository | None = None,
    plans: FakePlanRepository | None = None,
    item_lists: FakeItemListRepository | None = None,
) -> FakePlanningUnitOfWork:
    """``uow`` (the same object: what it records stays readable) carrying the repositories a
    test shares between several units of work."""
    carrier = FakePlanningUnitOfWork.__new__(FakePlanningUnitOfWork)
    carrier.__dict__ = uow.__dict__  # one state: events and commits show on ``uow`` too
    carrier.tasks = tasks or FakeTaskRepository()
    carrier.plans = plans or FakePlanRepository()
    carrier.item_lists = item_lists or FakeItemListRepository()
    return carrier
