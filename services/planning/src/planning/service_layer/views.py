"""Reads of the planning service (the query side): tasks, annual plans and their coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from planning.adapters.repository import plans_by_id
from planning.domain import plans
from planning.domain.model import Task, TaskStatus
from planning.domain.plans import AnnualPlan, PlanStatus, Transition
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
    """Which plans of ``year`` plan each item of the current list (signed versions count), and
    which drafts would."""
    current = await uow.item_lists.current(today)
    year_plans = await uow.plans.of_year(year)
    if current is None:
        return {
            "year": year,
            "list_version": None,
            "complete": False,
            "items": [],
            "uncovered": [],
            "reason": "尚未收到现行抽查事项清单",
        }
    rows = plans.coverage(current[1], year_plans)
    drafts: dict[str, list[AnnualPlan]] = {}
    for p in year_plans:
        if p.status not in plans.SIGNED_OR_LATER and p.status is not PlanStatus.SUPERSEDED:
            for i in p.items:
                drafts.setdefault(i.check_item_code, []).append(p)
    return {
        "year": year,
        "list_version": current[0],
        "complete": all(r.covered for r in rows),
        "items": [
            {
                "code": r.code,
                "name": r.name,
                "covered": r.covered,
                "plans": [_plan_ref(p) for p in r.plans],
                "in_drafts": [_plan_ref(p) for p in drafts.get(r.code, [])],
            }
            for r in rows
        ],
        "uncovered": [{"code": r.code, "name": r.name} for r in rows if not r.covered],
    }


def _plan_ref(plan: AnnualPlan) -> dict[str, Any]:
    return {
        "plan_id": plan.plan_id,
        "plan_no": plan.plan_no,
        "department": plan.department,
        "plan_version": plan.plan_version,
        "status": str(plan.status),
    }
