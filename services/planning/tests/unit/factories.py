"""Shared builders and fakes for planning's unit tests."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from planning.adapters.repository import DuplicateTaskNo, StaleTask
from planning.domain.model import Task, TaskSpec, TaskStatus

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
            raise StaleTask(task.task_id)
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


def day(text: str) -> date:
    return date.fromisoformat(text)
