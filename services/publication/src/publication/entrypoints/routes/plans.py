"""Annual spot-check plans as published (第四条): the current version of each, and every
version of one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from publication.bootstrap import PUBLIC, Deps
from publication.entrypoints.schemas import PlanDetailOut, PlanList
from publication.service_layer import views
from spotcheck_common.http import refusals

router = APIRouter(prefix="/public/plans", tags=["public"])


@router.get("", summary="年度抽查工作计划公示（各计划的现行版本）", responses=refusals(422))
async def list_plans(
    deps: Deps,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="年度")] = None,
    department: Annotated[
        str | None, Query(max_length=200, description="制定计划的监管科室")
    ] = None,
) -> PlanList:
    async with deps.uow(PUBLIC) as uow:
        plans = await views.current_plans(uow, year, department)
    return PlanList.of(plans)


@router.get(
    "/{plan_id}",
    summary="年度抽查工作计划详情（全部版本，现行版本标明）",
    responses=refusals(404),
)
async def get_plan(plan_id: str, deps: Deps) -> PlanDetailOut:
    async with deps.uow(PUBLIC) as uow:
        versions = await views.plan_versions(uow, plan_id)
    return PlanDetailOut.of(plan_id, versions)
