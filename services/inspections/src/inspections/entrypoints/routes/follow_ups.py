"""The follow-up register (第十条): read it, and record what the lead department did."""

from __future__ import annotations

from fastapi import APIRouter

from inspections.bootstrap import Deps
from inspections.domain.follow_ups import FollowUpStatus, OutcomeIn
from inspections.entrypoints.routes.access import (
    FOLLOW_UP_REFUSALS,
    FollowUpReader,
    FollowUpRecorder,
    department_scope,
)
from inspections.entrypoints.schemas import FollowUpOut, FollowUpRegister
from inspections.service_layer import services, views
from spotcheck_common.http import refusals

router = APIRouter(prefix="/api/inspections/follow-ups", tags=["inspections"])


@router.get(
    "",
    summary="后续处理台账（信用监管科备案；涉嫌犯罪逾期未移送标为 overdue）",
    responses=refusals(401, 403, s403="缺少角色，或查看其他科室"),
)
async def list_follow_ups(
    principal: FollowUpReader,
    deps: Deps,
    status: FollowUpStatus | None = None,
    department: str | None = None,
    task_id: str | None = None,
    uscc: str | None = None,
    overdue: bool | None = None,
) -> FollowUpRegister:
    scope = department_scope(principal, department)
    today = deps.today()
    async with deps.uow(principal.context()) as uow:
        rows = await views.follow_ups(uow, status, scope, task_id, uscc)
    if overdue is not None:
        rows = [f for f in rows if f.overdue(today) is overdue]
    return FollowUpRegister(
        total=len(rows),
        overdue=sum(1 for f in rows if f.overdue(today)),
        transfer_due_workdays=deps.settings.transfer_due_workdays,
        items=[FollowUpOut.of(f, today) for f in rows],
    )


@router.get(
    "/{follow_up_id}",
    summary="后续处理详情（含每次处理结果）",
    responses=refusals(401, 403, 404, s403="缺少角色，或不是本科室的", s404="后续处理不存在"),
)
async def get_follow_up(follow_up_id: str, principal: FollowUpReader, deps: Deps) -> FollowUpOut:
    async with deps.uow(principal.context()) as uow:
        follow_up = await views.follow_up(uow, follow_up_id)
    department_scope(principal, follow_up.lead_department)
    return FollowUpOut.of(follow_up, deps.today())


@router.post(
    "/{follow_up_id}/outcomes",
    summary="牵头监管科室记录后续处理结果（已改正、立案查处、移送司法机关、办结）",
    responses=FOLLOW_UP_REFUSALS,
)
async def record_follow_up(
    follow_up_id: str, principal: FollowUpRecorder, form: OutcomeIn, deps: Deps
) -> FollowUpOut:
    async with deps.uow(principal.context()) as uow:
        follow_up = await services.record_follow_up(
            uow,
            follow_up_id,
            principal.user,
            {str(r) for r in principal.roles},
            principal.department,
            form,
            transfer_workdays=deps.settings.transfer_due_workdays,
        )
    return FollowUpOut.of(follow_up, deps.today())
