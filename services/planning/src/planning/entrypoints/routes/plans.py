"""Annual plans over HTTP (第四条、第五条): a department drafts its plan; the deputy director
signs; the credit department consolidates the year (covering the whole item list); the
director's meeting approves; the plan is filed with the city and published."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from planning.bootstrap import Deps, Planning
from planning.domain.plans import PlanSpec, PlanStatus
from planning.entrypoints.schemas import (
    Consolidation,
    ConsolidationOut,
    CoverageOut,
    Filing,
    PlanAdjustment,
    PlanDetailOut,
    PlanEdit,
    PlanList,
    PlanOut,
    Rejection,
)
from planning.service_layer import services, views
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import Forbidden
from spotcheck_common.http import refusals
from spotcheck_common.roles import STAFF, Role

Staff = Annotated[Principal, require(*STAFF)]
CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
# 第四条: the annual plan's chain.
Department = Annotated[Principal, require(Role.SUPERVISING_DEPT)]
DeputyDirector = Annotated[Principal, require(Role.DEPUTY_DIRECTOR)]
DirectorMeeting = Annotated[Principal, require(Role.DIRECTOR_MEETING)]
PlanPublisher = Annotated[Principal, require(Role.CREDIT_DEPT, Role.GENERAL_OFFICE)]
Rejecter = Annotated[
    Principal,
    require(Role.DEPUTY_DIRECTOR, Role.CREDIT_DEPT, Role.DIRECTOR_MEETING, Role.GENERAL_OFFICE),
]

router = APIRouter(prefix="/api/planning/plans", tags=["planning"])


def own_department(principal: Principal, department: str) -> None:
    if principal.department.strip() != department.strip():
        raise Forbidden(
            f"监管科室只能制定本科室的年度抽查计划：令牌中的科室为"
            f"「{principal.department or '（无）'}」，计划属于「{department}」"
        )


async def detail(deps: Planning, principal: Principal, plan_id: str) -> PlanDetailOut:
    """The plan as it stands after a change (read in a unit of work of its own)."""
    async with deps.uow(principal.context()) as uow:
        return PlanDetailOut.of_detail(await views.plan(uow, plan_id))


@router.post(
    "",
    status_code=201,
    summary="监管科室制定本科室年度抽查工作计划（草稿，第四条）",
    responses=refusals(
        401,
        403,
        409,
        422,
        s403="缺少监管科室角色，或不是本科室",
        s409="本科室该年度已有计划，或计划编号已存在",
        s422="内容不符合要求（事项不在现行清单上、时间不在年度内等）",
    ),
)
async def draft_plan(principal: Department, spec: PlanSpec, deps: Deps) -> PlanDetailOut:
    own_department(principal, spec.department)
    async with deps.uow(principal.context()) as uow:
        plan = await services.draft_plan(uow, spec)
    return await detail(deps, principal, plan.plan_id)


@router.get(
    "/coverage",
    summary="年度计划对抽查事项清单的覆盖情况（第五条）",
    responses=refusals(401, 403, 422),
    response_model_exclude_unset=True,
)
async def coverage(
    principal: Staff, deps: Deps, year: Annotated[int, Query(ge=2000, le=2100)]
) -> CoverageOut:
    async with deps.uow(principal.context()) as uow:
        report = await views.coverage(uow, year, deps.today())
    return CoverageOut.model_validate(report)


@router.post(
    "/consolidate",
    summary="信用监管科汇总年度计划（须覆盖现行清单全部事项，第四条、第五条）",
    responses=refusals(
        401,
        403,
        409,
        422,
        s403="缺少信用监管科角色",
        s409="没有待汇总（分管局长已签字）的计划",
        s422="未覆盖全部事项（列出未覆盖的事项），或尚无清单",
    ),
)
async def consolidate(principal: CreditDept, body: Consolidation, deps: Deps) -> ConsolidationOut:
    async with deps.uow(principal.context()) as uow:
        done = await services.consolidate_year(uow, body.year, principal.roles)
    return ConsolidationOut(year=body.year, consolidated=[PlanOut.of(p) for p in done])


@router.get("", summary="年度抽查计划列表（每个计划的最新版本）", responses=refusals(401, 403, 422))
async def list_plans(
    principal: Staff,
    deps: Deps,
    year: int | None = None,
    department: str | None = None,
    status: PlanStatus | None = None,
) -> PlanList:
    async with deps.uow(principal.context()) as uow:
        latest = await views.latest_plans(uow, year, department, status)
    return PlanList(total=len(latest), items=[PlanOut.of(p) for p in latest])


@router.get(
    "/{plan_id}",
    summary="年度抽查计划详情（最新版本、各版本、全部流转记录）",
    responses=refusals(401, 403, 404),
)
async def get_plan(plan_id: str, principal: Staff, deps: Deps) -> PlanDetailOut:
    return await detail(deps, principal, plan_id)


@router.get(
    "/{plan_id}/versions/{plan_version}",
    summary="年度抽查计划的某一版本",
    responses=refusals(401, 403, 404, 422),
)
async def get_plan_version(
    plan_id: str, plan_version: int, principal: Staff, deps: Deps
) -> PlanOut:
    async with deps.uow(principal.context()) as uow:
        return PlanOut.of(await views.plan_version(uow, plan_id, plan_version))


@router.put(
    "/{plan_id}",
    summary="修改计划草稿（新建、被退回或调整中的版本）",
    responses=refusals(401, 403, 404, 409, 422, s403="不是本科室", s409="不是草稿"),
)
async def edit_plan(
    plan_id: str, body: PlanEdit, principal: Department, deps: Deps
) -> PlanDetailOut:
    async with deps.uow(principal.context()) as uow:
        await services.edit_plan(
            uow,
            plan_id,
            body.items,
            body.plan_name,
            department=principal.department,
        )
    return await detail(deps, principal, plan_id)


async def advance(
    deps: Planning, plan_id: str, principal: Principal, action: str, department: str | None = None
) -> PlanDetailOut:
    """One step of the approval chain, taken by ``principal``."""
    async with deps.uow(principal.context()) as uow:
        await services.advance_plan(uow, plan_id, action, principal.roles, department=department)
    return await detail(deps, principal, plan_id)


@router.post(
    "/{plan_id}/submit",
    summary="报分管局长审批签字",
    responses=refusals(401, 403, 404, 409, s403="不是本科室", s409="不是草稿"),
)
async def submit_plan(plan_id: str, principal: Department, deps: Deps) -> PlanDetailOut:
    return await advance(deps, plan_id, principal, "submit", department=principal.department)


@router.post(
    "/{plan_id}/sign",
    summary="分管局长审批签字",
    responses=refusals(401, 403, 404, 409, s403="缺少分管局长角色", s409="未报审"),
)
async def sign_plan(plan_id: str, principal: DeputyDirector, deps: Deps) -> PlanDetailOut:
    return await advance(deps, plan_id, principal, "sign")


@router.post(
    "/{plan_id}/approve",
    summary="局长办公会批准",
    responses=refusals(401, 403, 404, 409, s403="缺少局长办公会角色", s409="未汇总"),
)
async def approve_plan(plan_id: str, principal: DirectorMeeting, deps: Deps) -> PlanDetailOut:
    return await advance(deps, plan_id, principal, "approve")


@router.post(
    "/{plan_id}/file",
    summary="记录报市局备案（日期、文号）",
    responses=refusals(401, 403, 404, 409, 422, s403="缺少信用监管科角色", s409="未批准"),
)
async def file_plan(plan_id: str, body: Filing, principal: CreditDept, deps: Deps) -> PlanDetailOut:
    async with deps.uow(principal.context()) as uow:
        await services.file_plan(uow, plan_id, principal.roles, body.filed_on, body.filing_ref)
    return await detail(deps, principal, plan_id)


@router.post(
    "/{plan_id}/publish",
    summary="公示年度抽查计划（AnnualPlanPublished；被调整的旧版本标记为已替代）",
    responses=refusals(401, 403, 404, 409, s403="缺少角色", s409="未备案"),
)
async def publish_plan(plan_id: str, principal: PlanPublisher, deps: Deps) -> PlanDetailOut:
    async with deps.uow(principal.context()) as uow:
        await services.publish_plan(uow, plan_id, principal.roles)
    return await detail(deps, principal, plan_id)


@router.post(
    "/{plan_id}/reject",
    summary="退回计划（由当前环节的办理角色退回至草稿，须说明理由）",
    responses=refusals(
        401,
        403,
        404,
        409,
        422,
        s403="不是当前环节的办理角色",
        s409="草稿或已公示的版本不能退回",
    ),
)
async def reject_plan(
    plan_id: str, body: Rejection, principal: Rejecter, deps: Deps
) -> PlanDetailOut:
    async with deps.uow(principal.context()) as uow:
        await services.reject_plan(uow, plan_id, principal.roles, body.reason)
    return await detail(deps, principal, plan_id)


@router.post(
    "/{plan_id}/adjust",
    status_code=201,
    summary="年内调整计划：新建一个版本（须说明理由），重新走审批流程",
    responses=refusals(
        401, 403, 404, 409, 422, s403="不是本科室", s409="最新版本未公示（已有调整在办）"
    ),
)
async def adjust_plan(
    plan_id: str, body: PlanAdjustment, principal: Department, deps: Deps
) -> PlanDetailOut:
    async with deps.uow(principal.context()) as uow:
        await services.adjust_plan(
            uow,
            plan_id,
            body.reason,
            body.items,
            body.plan_name,
            department=principal.department,
        )
    return await detail(deps, principal, plan_id)
