"""Tasks (implementation plans, 实施方案) over HTTP: drafted by a department or received from
the city or province (第七条), approved by the deputy director, published (第六条)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from planning.bootstrap import Deps
from planning.domain.model import ReceivedTaskSpec, TaskSpec, TaskStatus
from planning.entrypoints.schemas import TaskOut, TaskPage
from planning.service_layer import services, views
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import Forbidden
from spotcheck_common.events.planning import TaskSource
from spotcheck_common.http import Offset, refusals
from spotcheck_common.roles import STAFF, Role

# 第四条、第六条: a supervising department drafts the implementation plans of its own tasks
# (the credit department may draft any, e.g. joint inspections it coordinates); the deputy
# director approves; everyone in the bureau reads.
Drafter = Annotated[Principal, require(Role.SUPERVISING_DEPT, Role.CREDIT_DEPT)]
Approver = Annotated[Principal, require(Role.DEPUTY_DIRECTOR)]
Staff = Annotated[Principal, require(*STAFF)]
# 第七条: the credit department receives tasks sent down by the city or the province.
CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
# 第三条、第六条: the department (or the credit department, the general office) publishes.
TaskPublisher = Annotated[
    Principal, require(Role.SUPERVISING_DEPT, Role.CREDIT_DEPT, Role.GENERAL_OFFICE)
]

router = APIRouter(prefix="/api/planning/tasks", tags=["planning"])


def check_drafter(principal: Principal, spec: TaskSpec) -> None:
    """A supervising department drafts only tasks it leads (403 otherwise)."""
    if Role.CREDIT_DEPT in principal.roles:
        return
    if not principal.department or spec.lead_department.strip() != principal.department.strip():
        raise Forbidden(
            f"监管科室只能制定本科室牵头的抽查任务：令牌中的科室为"
            f"「{principal.department or '（无）'}」，任务的牵头科室为「{spec.lead_department}」"
        )


@router.post(
    "",
    status_code=201,
    summary="新建抽查任务（实施方案）草稿",
    responses=refusals(401, 403, 409, 422, s403="缺少角色，或不是牵头科室", s409="任务编号已存在"),
)
async def create_task(principal: Drafter, spec: TaskSpec, deps: Deps) -> TaskOut:
    check_drafter(principal, spec)
    async with deps.uow(principal.context()) as uow:
        task = await services.create_task(uow, spec, neighbours=deps.neighbours)
    return TaskOut.of(task)


@router.post(
    "/receive",
    status_code=201,
    summary="信用监管科接收市局、省局下派的抽查任务，并按业务对口交牵头科室（第七条）",
    responses=refusals(
        401,
        403,
        409,
        422,
        s403="缺少信用监管科角色",
        s409="任务编号已存在",
        s422="内容不符合要求（来源须为 city 或 province，下派机关和文号必填）",
    ),
)
async def receive_task(principal: CreditDept, spec: ReceivedTaskSpec, deps: Deps) -> TaskOut:
    async with deps.uow(principal.context()) as uow:
        task = await services.receive_task(uow, spec, neighbours=deps.neighbours)
    return TaskOut.of(task)


@router.post(
    "/{task_id}/approve",
    summary="分管局长审批实施方案（仅草稿可审批）",
    responses=refusals(
        401,
        403,
        404,
        409,
        422,
        s403="缺少分管局长角色",
        s409="任务不是草稿，或已被他人同时修改",
        s422="截止日期已过；所属计划未公示或事项不在计划中；"
        "超过同一市场主体年度被抽中次数上限（指明风险等级、任务和合计）",
    ),
)
async def approve_task(task_id: str, principal: Approver, deps: Deps) -> TaskOut:
    async with deps.uow(principal.context()) as uow:
        task = await services.approve_task(uow, task_id, yearly_caps=deps.yearly_caps)
    return TaskOut.of(task)


@router.post(
    "/{task_id}/publish",
    summary="公示已批准的实施方案（第六条）",
    responses=refusals(
        401,
        403,
        404,
        409,
        s403="缺少角色，或监管科室不是牵头科室",
        s409="任务不是已批准状态",
    ),
)
async def publish_task(task_id: str, principal: TaskPublisher, deps: Deps) -> TaskOut:
    async with deps.uow(principal.context()) as uow:
        if not principal.roles & {Role.CREDIT_DEPT, Role.GENERAL_OFFICE}:
            task = await views.task(uow, task_id)
            if task.lead_department != principal.department.strip():
                raise Forbidden(
                    f"监管科室只能公示本科室牵头的任务：令牌中的科室为"
                    f"「{principal.department or '（无）'}」，"
                    f"牵头科室为「{task.lead_department}」"
                )
        task = await services.publish_task(uow, task_id)
    return TaskOut.of(task)


@router.get("", summary="抽查任务列表", responses=refusals(401, 403, 422))
async def list_tasks(
    principal: Staff,
    deps: Deps,
    status: TaskStatus | None = None,
    source: TaskSource | None = None,
    lead_department: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> TaskPage:
    async with deps.uow(principal.context()) as uow:
        page = await views.tasks(
            uow, status, str(source) if source else None, lead_department, limit, offset
        )
    return TaskPage(total=page.total, items=[TaskOut.of(t) for t in page.items])


@router.get("/{task_id}", summary="抽查任务详情", responses=refusals(401, 403, 404))
async def get_task(task_id: str, principal: Staff, deps: Deps) -> TaskOut:
    async with deps.uow(principal.context()) as uow:
        return TaskOut.of(await views.task(uow, task_id))
