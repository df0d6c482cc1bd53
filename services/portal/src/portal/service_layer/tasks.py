"""The tasks' pages: what the task form offers (the list's items, the departments, the
published plans), and a task's steps: drafting or receiving, approval, publication."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.adapters.api import Api
from portal.service_layer import plans, registry


@dataclass
class Choices:
    """What the task form offers to choose from."""

    items: list[dict[str, Any]] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)

    def item_names(self) -> dict[str, str]:
        return {i["code"]: i["name"] for i in self.items}


async def choices(api: Api, own_department: str) -> Choices:
    departments = await registry.departments(api)
    if own_department and own_department not in departments:
        departments.insert(0, own_department)
    return Choices(
        await plans.current_items(api),
        departments,
        await plans.plans(api, None, status="published"),
    )


async def tasks(api: Api, status: str, source: str, offset: int, limit: int) -> dict[str, Any]:
    page: dict[str, Any] = await api.get(
        "/api/planning/tasks", status=status, source=source, limit=limit, offset=offset
    )
    return page


async def task(api: Api, task_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await api.get(f"/api/planning/tasks/{task_id}")
    return found


async def create(api: Api, body: dict[str, Any], received: bool) -> dict[str, Any]:
    path = "/api/planning/tasks/receive" if received else "/api/planning/tasks"
    created: dict[str, Any] = await api.post(path, body)
    return created


async def step(api: Api, task_id: str, action: str) -> dict[str, Any]:
    """approve (the deputy director) or publish."""
    done: dict[str, Any] = await api.post(f"/api/planning/tasks/{task_id}/{action}")
    return done
