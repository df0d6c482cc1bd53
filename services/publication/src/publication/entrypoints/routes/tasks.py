"""Spot-check tasks (implementation plans, 第六条) as published."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from publication.bootstrap import PUBLIC, Deps
from publication.domain import model
from publication.entrypoints.schemas import TaskDetailOut, TaskOut, TaskPage
from publication.service_layer import views
from spotcheck_common.http import Offset, refusals

router = APIRouter(prefix="/public/tasks", tags=["public"])


@router.get("", summary="抽查任务（实施方案）公示查询", responses=refusals(422))
async def list_tasks(
    deps: Deps,
    plan_no: Annotated[str | None, Query(max_length=100, description="抽查计划编号")] = None,
    q: Annotated[str | None, Query(max_length=100, description="任务名称、编号或主办科室")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> TaskPage:
    async with deps.uow(PUBLIC) as uow:
        page = await views.search_tasks(uow, plan_no, q, limit, offset)
    return TaskPage(
        total=page.total, labels=model.TASK_LABELS, items=[TaskOut.of(t) for t in page.items]
    )


@router.get("/{task_id}", summary="抽查任务（实施方案）公示详情", responses=refusals(404))
async def get_task(task_id: str, deps: Deps) -> TaskDetailOut:
    async with deps.uow(PUBLIC) as uow:
        task = await views.task(uow, task_id)
    return TaskDetailOut.of(task)
