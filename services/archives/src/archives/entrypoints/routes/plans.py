"""Annual plans (年度抽查工作计划) filed with the dossiers: every version, and its tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from archives.bootstrap import Deps
from archives.entrypoints.routes.access import Reader
from archives.entrypoints.schemas import PlanOut
from archives.service_layer import views
from spotcheck_common.http import refusals

router = APIRouter(prefix="/api/archives/plans", tags=["archives"])


@router.get(
    "/{plan_id}",
    summary="年度抽查工作计划：归档的全部版本（完整事件信封）",
    responses=refusals(401, 403, 404),
)
async def get_plan(
    plan_id: Annotated[str, Path(min_length=1, max_length=100)], principal: Reader, deps: Deps
) -> PlanOut:
    async with deps.uow(principal.context()) as uow:
        plan = await views.plan(uow, plan_id)
    return PlanOut.of(plan)
