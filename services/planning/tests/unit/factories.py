"""Shared builders and fakes for planning's unit tests."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from planning.domain.model import DuplicateTaskNo, StaleTask, Task, TaskSpec, TaskStatus
from planning.domain.plans import AnnualPlan, PlanSpec, StalePlan, Transition

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 2026-03-02 10:00 in China


def spec_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task_no": "LG-2026-001",
        "title": "2026年企业年报公示信息抽查",
        "lead_department": "信用监管科",
        "co_lead_departments": ["市场规范管理科"],
        "assisting_departments": ["临港市场监管所"],
        "check_items": [
            {"code": "SD-01", "name": "企业公示信息检查"},
            {"code": "SD-02", "name": "登记事项检查"},
        ],
        "target_filter": {"entity_types": ["企业"], "risk_classes": []},
        "ratio_bp": {"A": 300, "B": 500, "C": 1000, "D": 2000, "E": 5000},
        "inspector_departments": ["信用监管科", "临港市场监管所"],
        "team_size": 2,
        "methods": ["现场检查", "书面检查"],
        "deadline": "2026-06-30",
        "source": "local",
    }
    body.update(overrides)
    return body


def spec(**overrides: Any) -> TaskSpec:
    return TaskSpec.model_validate(spec_body(**overrides))


def draft(**overrides: Any) -> Task:
    return Task.draft(spec(**overrides), task_id="t-1", district="lingang", by="keyuan", at=NOW)


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
    ) -> tuple[int, list[Task]]:
        rows = [t for t in self.tasks.values() if status is None or t.status == status]
        return len(rows), rows[offset : offset + limit]

    async def approved_in_year(self, year: int) -> list[Task]:
        done = (TaskStatus.APPROVED, TaskStatus.PUBLISHED, TaskStatus.CLOSED)
        return [
            copy.deepcopy(t)
            for t in self.tasks.values()
            if t.status in done and t.deadline.year == year
        ]


def day(text: str) -> date:
    return date.fromisoformat(text)


# -- annual plans ------------------------------------------------------------------------------

LIST = [("GS-01", "企业公示信息抽查"), ("DJ-01", "登记事项检查"), ("SP-01", "食品经营检查")]


def plan_item(code: str, name: str = "", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "check_item_code": code,
        "check_item_name": name or dict(LIST).get(code, code),
        "scope": "辖区内企业",
        "period_from": "2026-04-01",
        "period_to": "2026-10-31",
        "ratio_bp": {"A": 300, "E": 5000},
    }
    item.update(overrides)
    return item


def plan_spec(**overrides: Any) -> PlanSpec:
    body: dict[str, Any] = {
        "plan_no": "LG-JH-2026-01",
        "plan_name": "市场规范管理科2026年度双随机抽查工作计划",
        "department": "市场规范管理科",
        "year": 2026,
        "items": [plan_item("GS-01"), plan_item("DJ-01")],
    }
    body.update(overrides)
    return PlanSpec.model_validate(body)


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
        return [copy.deepcopy(p) for _, p in sorted(self.rows.items())]

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
