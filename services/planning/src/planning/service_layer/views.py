"""Reads of the planning service (the query side): tasks, annual plans and their coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from planning.adapters.repository import plans_by_id
from planning.domain.model import Task, TaskStatus
from planning.domain.plans import AnnualPlan, PlanStatus, Transition
from planning.service_layer import services
from planning.service_layer.unit_of_work import PlanningUnitOfWork
from spotcheck_common.db import Page
from spotcheck_common.errors import NotFound


async def task(uow: PlanningUnitOfWork, task_id: str) -> Task:
    found = await uow.tasks.get(task_id)
    if found is None:
        raise NotFound(f"抽查任务 {task_id} 不存在")
    return found


async def tasks(
    uow: PlanningUnitOfWork,
    status: TaskStatus | None,
    source: str | None,
    lead_department: str | None,
    limit: int,
    offset: int,
) -> Page[Task]:
    return await uow.tasks.search(status, source, lead_department, limit, offset)


@dataclass(frozen=True)
class PlanDetail:
    """A plan: its latest version, every version, and every transition."""

    latest: AnnualPlan
    versions: list[AnnualPlan]
    history: list[Transition]


async def plan(uow: PlanningUnitOfWork, plan_id: str) -> PlanDetail:
    versions = await uow.plans.versions(plan_id)
    if not versions:
        raise NotFound(f"年度抽查计划 {plan_id} 不存在")
    return PlanDetail(versions[-1], versions, await uow.plans.history(plan_id))


async def plan_version(uow: PlanningUnitOfWork, plan_id: str, plan_version: int) -> AnnualPlan:
    for v in await uow.plans.versions(plan_id):
        if v.plan_version == plan_version:
            return v
    raise NotFound(f"年度抽查计划 {plan_id} 第 {plan_version} 版不存在")


async def latest_plans(
    uow: PlanningUnitOfWork, year: int | None, department: str | None, status: PlanStatus | None
) -> list[AnnualPlan]:
    """The latest version of each plan (of ``year``, of ``department``, in ``status``)."""
    found = await uow.plans.find(department=department, year=year)
    latest = [versions[-1] for versions in plans_by_id(found).values()]
    return [p for p in latest if status is None or p.status is status]


async def coverage(uow: PlanningUnitOfWork, year: int, today: date) -> dict[str, Any]:
    """Which plans of ``year`` plan each item of the current list."""
    return await services.coverage_report(uow.plans, uow.item_lists, year, today)
