"""Direct assignment (直接委派, 第六条; draw-spec §15): the deputy director's approval for a task,
given before its draw is frozen, and how often each department's teams are assigned.

    POST /api/draws/tasks/{task_id}/direct-assignment-approvals  {reason}  (deputy_director)
    GET  /api/draws/tasks/{task_id}/direct-assignment-approvals           (any staff role)
    GET  /api/draws/statistics/direct-assignment                          (any staff role)

The draw then names the approval (``POST /api/draws/draws`` with ``direct_approval``) and the
credit department assigns the drawn targets' teams (``POST …/draws/{id}/assignment``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from draws.bootstrap import Deps
from draws.entrypoints.schemas import (
    DirectApprovalIn,
    DirectApprovalList,
    DirectApprovalOut,
    DirectShare,
    DirectShareList,
)
from draws.service_layer import services
from spotcheck_common.auth import Principal, require
from spotcheck_common.http import refusals
from spotcheck_common.roles import STAFF, Role

DeputyDirector = Annotated[Principal, require(Role.DEPUTY_DIRECTOR)]
Staff = Annotated[Principal, require(*STAFF)]

router = APIRouter(prefix="/api/draws", tags=["direct-assignment"])


@router.post(
    "/tasks/{task_id}/direct-assignment-approvals",
    status_code=201,
    summary="分管局长批准某任务直接委派检查组（第六条；须在冻结抽取清单之前）",
    responses=refusals(401, 403, 404, 409, 422, s403="只有分管局长可以批准直接委派"),
)
async def approve(
    task_id: str, body: DirectApprovalIn, principal: DeputyDirector, deps: Deps
) -> DirectApprovalOut:
    async with deps.uow(principal.context()) as uow:
        approval = await services.approve_direct_assignment(
            uow, task_id, reason=body.reason, by_name=principal.name
        )
    return DirectApprovalOut.model_validate(approval)


@router.get(
    "/tasks/{task_id}/direct-assignment-approvals",
    summary="某任务的直接委派批准（谁、何时、为何）",
    responses=refusals(401, 403),
)
async def approvals(task_id: str, principal: Staff, deps: Deps) -> DirectApprovalList:
    async with deps.uow(principal.context()) as uow:
        found = await uow.draws.direct_approvals_of(task_id)
    return DirectApprovalList(
        total=len(found), items=[DirectApprovalOut.model_validate(a) for a in found]
    )


@router.get(
    "/statistics/direct-assignment",
    summary="各科室已会签抽取中直接委派检查组的占比（办公室据此监督直接委派是否过多）",
    responses=refusals(401, 403),
)
async def shares(principal: Staff, deps: Deps) -> DirectShareList:
    async with deps.uow(principal.context()) as uow:
        items = await services.direct_assignment_shares(uow)
    return DirectShareList(items=[DirectShare.model_validate(i) for i in items])
