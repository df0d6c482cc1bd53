"""Planning HTTP API (thin: parse, call the service layer, shape the answer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from planning.adapters.repository import SqlTaskRepository
from planning.domain.model import STATUS_LABELS, Task, TaskSpec, TaskStatus
from planning.service_layer import services
from spotcheck_common.auth import STAFF, Principal, Role, require
from spotcheck_common.events.planning import TaskSource
from spotcheck_common.http import NotFound
from spotcheck_common.service import ServiceRuntime

# 第四条、第六条: a supervising department drafts the implementation plans of its own tasks
# (the credit department may draft any, e.g. joint inspections it coordinates); the deputy
# director approves; everyone in the bureau reads.
Drafter = Annotated[Principal, require(Role.SUPERVISING_DEPT, Role.CREDIT_DEPT)]
Approver = Annotated[Principal, require(Role.DEPUTY_DIRECTOR)]
Staff = Annotated[Principal, require(*STAFF)]


def check_drafter(principal: Principal, spec: TaskSpec) -> None:
    """A supervising department drafts only tasks it leads (403 otherwise)."""
    if Role.CREDIT_DEPT in principal.roles:
        return
    if not principal.department or spec.lead_department.strip() != principal.department.strip():
        raise HTTPException(
            403,
            f"监管科室只能制定本科室牵头的抽查任务：令牌中的科室为"
            f"「{principal.department or '（无）'}」，任务的牵头科室为「{spec.lead_department}」",
        )


def task_json(task: Task) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "district": task.district,
        "task_no": task.task_no,
        "title": task.title,
        "status": str(task.status),
        "status_label": STATUS_LABELS[task.status],
        "source": str(task.source),
        "check_type": str(task.check_type),
        "lead_department": task.lead_department,
        "co_lead_departments": task.co_lead_departments,
        "assisting_departments": task.assisting_departments,
        "check_items": [i.model_dump(mode="json") for i in task.check_items],
        "target_filter": task.target_filter.model_dump(mode="json"),
        "ratio_bp": {str(k): v for k, v in sorted(task.ratio_bp.items())},
        "inspector_departments": task.inspector_departments,
        "team_size": task.team_size,
        "methods": [str(m) for m in task.methods],
        "deadline": task.deadline.isoformat(),
        "created_by": task.created_by,
        "created_at": task.created_at.isoformat(),
        "approved_by": task.approved_by,
        "approved_at": task.approved_at.isoformat() if task.approved_at else None,
        "version": task.version,
    }


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/api/planning", tags=["planning"])

    @router.post(
        "/tasks",
        status_code=201,
        summary="新建抽查任务（实施方案）草稿",
        responses={
            403: {"description": "缺少角色，或不是牵头科室"},
            409: {"description": "任务编号已存在"},
            422: {"description": "内容不符合要求"},
        },
    )
    async def create_task(principal: Drafter, spec: TaskSpec) -> dict[str, Any]:
        check_drafter(principal, spec)
        async with rt.uow(principal.context()) as uow:
            repo = SqlTaskRepository(uow.session, rt.district)
            task = await services.create_task(uow, repo, spec)
        return task_json(task)

    @router.post(
        "/tasks/{task_id}/approve",
        summary="分管局长审批实施方案（仅草稿可审批）",
        responses={
            403: {"description": "缺少分管局长角色"},
            404: {"description": "任务不存在"},
            409: {"description": "任务不是草稿"},
            422: {"description": "截止日期已过"},
        },
    )
    async def approve_task(task_id: str, principal: Approver) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            repo = SqlTaskRepository(uow.session, rt.district)
            task = await services.approve_task(uow, repo, task_id)
        return task_json(task)

    @router.get("/tasks", summary="抽查任务列表")
    async def list_tasks(
        principal: Staff,
        status: TaskStatus | None = None,
        source: TaskSource | None = None,
        lead_department: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlTaskRepository(session, rt.district)
            total, tasks = await repo.search(
                status, str(source) if source else None, lead_department, limit, offset
            )
        return {"total": total, "items": [task_json(t) for t in tasks]}

    @router.get(
        "/tasks/{task_id}", summary="抽查任务详情", responses={404: {"description": "不存在"}}
    )
    async def get_task(task_id: str, principal: Staff) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            task = await SqlTaskRepository(session, rt.district).get(task_id)
        if task is None:
            raise NotFound(f"抽查任务 {task_id} 不存在")
        return task_json(task)

    return router
