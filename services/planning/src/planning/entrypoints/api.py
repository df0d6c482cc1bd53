"""Planning HTTP API (thin: parse, call the service layer, shape the answer)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from planning.adapters.repository import (
    SqlItemListRepository,
    SqlPlanRepository,
    SqlTaskRepository,
    plans_by_id,
)
from planning.domain.model import STATUS_LABELS, ReceivedTaskSpec, Task, TaskSpec, TaskStatus
from planning.domain.plans import PLAN_STATUS_LABELS, AnnualPlan, PlanSpec, PlanStatus, Transition
from planning.service_layer import services
from planning.settings import PlanningSettings
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import NotFound
from spotcheck_common.events.planning import PlanItem, TaskSource
from spotcheck_common.roles import STAFF, Role
from spotcheck_common.service import ServiceRuntime

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
# 第四条: the annual plan's chain.
Department = Annotated[Principal, require(Role.SUPERVISING_DEPT)]
DeputyDirector = Annotated[Principal, require(Role.DEPUTY_DIRECTOR)]
DirectorMeeting = Annotated[Principal, require(Role.DIRECTOR_MEETING)]
PlanPublisher = Annotated[Principal, require(Role.CREDIT_DEPT, Role.GENERAL_OFFICE)]
Rejecter = Annotated[
    Principal,
    require(Role.DEPUTY_DIRECTOR, Role.CREDIT_DEPT, Role.DIRECTOR_MEETING, Role.GENERAL_OFFICE),
]


class PlanEdit(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    plan_name: str | None = Field(None, min_length=1, max_length=200)
    items: list[PlanItem] | None = Field(None, min_length=1)


class PlanAdjustment(PlanEdit):
    reason: str = Field(min_length=1, max_length=2000, description="调整理由")


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000, description="退回理由")


class Filing(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    filed_on: date = Field(description="报市局备案日期")
    filing_ref: str = Field(min_length=1, max_length=200, description="备案文号或回执编号")


class Consolidation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100)


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


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def plan_json(plan: AnnualPlan, history: list[Transition] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "plan_id": plan.plan_id,
        "district": plan.district,
        "plan_no": plan.plan_no,
        "plan_name": plan.plan_name,
        "department": plan.department,
        "year": plan.year,
        "plan_version": plan.plan_version,
        "status": str(plan.status),
        "status_label": PLAN_STATUS_LABELS[plan.status],
        "items": [i.model_dump(mode="json") for i in plan.items],
        "supersedes_version": plan.supersedes_version,
        "adjustment_reason": plan.adjustment_reason,
        "steps": plan.steps,
        "filed_on": _iso(plan.filed_on),
        "filing_ref": plan.filing_ref,
        "rejection_reason": plan.rejection_reason,
        "created_by": plan.created_by,
        "created_at": plan.created_at.isoformat(),
        "updated_at": _iso(plan.updated_at),
    }
    if history is not None:
        out["history"] = [
            {
                "plan_version": t.plan_version,
                "action": t.action,
                "from_status": t.from_status,
                "to_status": t.to_status,
                "actor": t.actor,
                "at": t.at.isoformat(),
                "reason": t.reason,
                "details": t.details,
            }
            for t in history
        ]
    return out


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
        "experts_per_target": task.experts_per_target,
        "expert_fields": task.expert_fields,
        "methods": [str(m) for m in task.methods],
        "deadline": task.deadline.isoformat(),
        "created_by": task.created_by,
        "created_at": task.created_at.isoformat(),
        "approved_by": task.approved_by,
        "approved_at": task.approved_at.isoformat() if task.approved_at else None,
        "plan_id": task.plan_id or None,
        "plan_no": task.plan_no,
        "plan_name": task.plan_name,
        "issuing_authority": task.issuing_authority,
        "document_no": task.document_no,
        "received_by": task.received_by,
        "received_at": _iso(task.received_at),
        "published_by": task.published_by,
        "published_at": _iso(task.published_at),
        "version": task.version,
    }


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/api/planning", tags=["planning"])
    # 第五条: yearly cap per risk class (SPOTCHECK_PLANNING_YEARLY_CAP); tests may replace it.
    rt.state.setdefault("yearly_caps", PlanningSettings().caps())

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
            plan_repo = SqlPlanRepository(uow.session, rt.district)
            task = await services.create_task(uow, repo, spec, plan_repo=plan_repo)
        return task_json(task)

    @router.post(
        "/tasks/receive",
        status_code=201,
        summary="信用监管科接收市局、省局下派的抽查任务，并按业务对口交牵头科室（第七条）",
        responses={
            403: {"description": "缺少信用监管科角色"},
            409: {"description": "任务编号已存在"},
            422: {"description": "内容不符合要求（来源须为 city 或 province，下派机关和文号必填）"},
        },
    )
    async def receive_task(principal: CreditDept, spec: ReceivedTaskSpec) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            repo = SqlTaskRepository(uow.session, rt.district)
            plan_repo = SqlPlanRepository(uow.session, rt.district)
            task = await services.receive_task(uow, repo, spec, plan_repo=plan_repo)
        return task_json(task)

    @router.post(
        "/tasks/{task_id}/approve",
        summary="分管局长审批实施方案（仅草稿可审批）",
        responses={
            403: {"description": "缺少分管局长角色"},
            404: {"description": "任务不存在"},
            409: {"description": "任务不是草稿"},
            422: {
                "description": "截止日期已过；所属计划未公示或事项不在计划中；"
                "超过同一市场主体年度被抽中次数上限（指明风险等级、任务和合计）"
            },
        },
    )
    async def approve_task(task_id: str, principal: Approver) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            repo = SqlTaskRepository(uow.session, rt.district)
            task = await services.approve_task(
                uow,
                repo,
                task_id,
                plan_repo=SqlPlanRepository(uow.session, rt.district),
                yearly_caps=rt.state["yearly_caps"],
            )
        return task_json(task)

    @router.post(
        "/tasks/{task_id}/publish",
        summary="公示已批准的实施方案（第六条）",
        responses={
            403: {"description": "缺少角色，或监管科室不是牵头科室"},
            404: {"description": "任务不存在"},
            409: {"description": "任务不是已批准状态"},
        },
    )
    async def publish_task(task_id: str, principal: TaskPublisher) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            repo = SqlTaskRepository(uow.session, rt.district)
            if not principal.roles & {Role.CREDIT_DEPT, Role.GENERAL_OFFICE}:
                task = await repo.get(task_id)
                if task is not None and task.lead_department != principal.department.strip():
                    raise HTTPException(
                        403,
                        f"监管科室只能公示本科室牵头的任务：令牌中的科室为"
                        f"「{principal.department or '（无）'}」，"
                        f"牵头科室为「{task.lead_department}」",
                    )
            task = await services.publish_task(uow, repo, task_id)
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

    _plan_routes(router, rt)
    return router


def _plan_routes(router: APIRouter, rt: ServiceRuntime) -> None:
    """Annual plans (第四条、第五条)."""

    def repos(uow: Any) -> tuple[SqlPlanRepository, SqlItemListRepository]:
        return (
            SqlPlanRepository(uow.session, rt.district),
            SqlItemListRepository(uow.session, rt.district),
        )

    def own_department(principal: Principal, department: str) -> None:
        if principal.department.strip() != department.strip():
            raise HTTPException(
                403,
                f"监管科室只能制定本科室的年度抽查计划：令牌中的科室为"
                f"「{principal.department or '（无）'}」，计划属于「{department}」",
            )

    async def detail(plan_id: str) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlPlanRepository(session, rt.district)
            versions = await repo.versions(plan_id)
            if not versions:
                raise NotFound(f"年度抽查计划 {plan_id} 不存在")
            history = await repo.history(plan_id)
        return {
            **plan_json(versions[-1], history),
            "versions": [
                {
                    "plan_version": v.plan_version,
                    "status": str(v.status),
                    "status_label": PLAN_STATUS_LABELS[v.status],
                    "adjustment_reason": v.adjustment_reason,
                }
                for v in versions
            ],
        }

    @router.post(
        "/plans",
        status_code=201,
        summary="监管科室制定本科室年度抽查工作计划（草稿，第四条）",
        responses={
            403: {"description": "缺少监管科室角色，或不是本科室"},
            409: {"description": "本科室该年度已有计划，或计划编号已存在"},
            422: {"description": "内容不符合要求（事项不在现行清单上、时间不在年度内等）"},
        },
    )
    async def draft_plan(principal: Department, spec: PlanSpec) -> dict[str, Any]:
        own_department(principal, spec.department)
        async with rt.uow(principal.context()) as uow:
            plans, lists = repos(uow)
            plan = await services.draft_plan(uow, plans, lists, spec)
        return await detail(plan.plan_id)

    @router.get("/plans/coverage", summary="年度计划对抽查事项清单的覆盖情况（第五条）")
    async def coverage(
        principal: Staff, year: Annotated[int, Query(ge=2000, le=2100)]
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            return await services.coverage_report(
                SqlPlanRepository(session, rt.district),
                SqlItemListRepository(session, rt.district),
                year,
                rt.clock.today(),
            )

    @router.post(
        "/plans/consolidate",
        summary="信用监管科汇总年度计划（须覆盖现行清单全部事项，第四条、第五条）",
        responses={
            403: {"description": "缺少信用监管科角色"},
            409: {"description": "没有待汇总（分管局长已签字）的计划"},
            422: {"description": "未覆盖全部事项（列出未覆盖的事项），或尚无清单"},
        },
    )
    async def consolidate(principal: CreditDept, body: Consolidation) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            plans, lists = repos(uow)
            done = await services.consolidate_year(uow, plans, lists, body.year, principal.roles)
        return {"year": body.year, "consolidated": [plan_json(p) for p in done]}

    @router.get("/plans", summary="年度抽查计划列表（每个计划的最新版本）")
    async def list_plans(
        principal: Staff,
        year: int | None = None,
        department: str | None = None,
        status: PlanStatus | None = None,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            found = await SqlPlanRepository(session, rt.district).find(
                department=department, year=year
            )
        latest = [versions[-1] for versions in plans_by_id(found).values()]
        if status is not None:
            latest = [p for p in latest if p.status is status]
        return {"total": len(latest), "items": [plan_json(p) for p in latest]}

    @router.get(
        "/plans/{plan_id}",
        summary="年度抽查计划详情（最新版本、各版本、全部流转记录）",
        responses={404: {"description": "不存在"}},
    )
    async def get_plan(plan_id: str, principal: Staff) -> dict[str, Any]:
        return await detail(plan_id)

    @router.get(
        "/plans/{plan_id}/versions/{plan_version}",
        summary="年度抽查计划的某一版本",
        responses={404: {"description": "不存在"}},
    )
    async def get_plan_version(plan_id: str, plan_version: int, principal: Staff) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            versions = await SqlPlanRepository(session, rt.district).versions(plan_id)
        for v in versions:
            if v.plan_version == plan_version:
                return plan_json(v)
        raise NotFound(f"年度抽查计划 {plan_id} 第 {plan_version} 版不存在")

    @router.put(
        "/plans/{plan_id}",
        summary="修改计划草稿（新建、被退回或调整中的版本）",
        responses={403: {"description": "不是本科室"}, 409: {"description": "不是草稿"}},
    )
    async def edit_plan(plan_id: str, body: PlanEdit, principal: Department) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            plans, lists = repos(uow)
            await services.edit_plan(
                uow,
                plans,
                lists,
                plan_id,
                body.items,
                body.plan_name,
                department=principal.department,
            )
        return await detail(plan_id)

    async def advance(
        plan_id: str, principal: Principal, action: str, department: str | None = None
    ) -> dict[str, Any]:
        """One step of the approval chain, taken by ``principal``."""
        async with rt.uow(principal.context()) as uow:
            plans, _ = repos(uow)
            await services.advance_plan(
                uow, plans, plan_id, action, principal.roles, department=department
            )
        return await detail(plan_id)

    @router.post(
        "/plans/{plan_id}/submit",
        summary="报分管局长审批签字",
        responses={403: {"description": "不是本科室"}, 409: {"description": "不是草稿"}},
    )
    async def submit_plan(plan_id: str, principal: Department) -> dict[str, Any]:
        return await advance(plan_id, principal, "submit", department=principal.department)

    @router.post(
        "/plans/{plan_id}/sign",
        summary="分管局长审批签字",
        responses={403: {"description": "缺少分管局长角色"}, 409: {"description": "未报审"}},
    )
    async def sign_plan(plan_id: str, principal: DeputyDirector) -> dict[str, Any]:
        return await advance(plan_id, principal, "sign")

    @router.post(
        "/plans/{plan_id}/approve",
        summary="局长办公会批准",
        responses={403: {"description": "缺少局长办公会角色"}, 409: {"description": "未汇总"}},
    )
    async def approve_plan(plan_id: str, principal: DirectorMeeting) -> dict[str, Any]:
        return await advance(plan_id, principal, "approve")

    @router.post(
        "/plans/{plan_id}/file",
        summary="记录报市局备案（日期、文号）",
        responses={403: {"description": "缺少信用监管科角色"}, 409: {"description": "未批准"}},
    )
    async def file_plan(plan_id: str, body: Filing, principal: CreditDept) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            plans, _ = repos(uow)
            await services.file_plan(
                uow, plans, plan_id, principal.roles, body.filed_on, body.filing_ref
            )
        return await detail(plan_id)

    @router.post(
        "/plans/{plan_id}/publish",
        summary="公示年度抽查计划（AnnualPlanPublished；被调整的旧版本标记为已替代）",
        responses={403: {"description": "缺少角色"}, 409: {"description": "未备案"}},
    )
    async def publish_plan(plan_id: str, principal: PlanPublisher) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            plans, _ = repos(uow)
            await services.publish_plan(uow, plans, plan_id, principal.roles)
        return await detail(plan_id)

    @router.post(
        "/plans/{plan_id}/reject",
        summary="退回计划（由当前环节的办理角色退回至草稿，须说明理由）",
        responses={
            403: {"description": "不是当前环节的办理角色"},
            409: {"description": "草稿或已公示的版本不能退回"},
        },
    )
    async def reject_plan(plan_id: str, body: Rejection, principal: Rejecter) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            plans, _ = repos(uow)
            await services.reject_plan(uow, plans, plan_id, principal.roles, body.reason)
        return await detail(plan_id)

    @router.post(
        "/plans/{plan_id}/adjust",
        status_code=201,
        summary="年内调整计划：新建一个版本（须说明理由），重新走审批流程",
        responses={
            403: {"description": "不是本科室"},
            409: {"description": "最新版本未公示（已有调整在办）"},
        },
    )
    async def adjust_plan(
        plan_id: str, body: PlanAdjustment, principal: Department
    ) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            plans, lists = repos(uow)
            await services.adjust_plan(
                uow,
                plans,
                lists,
                plan_id,
                body.reason,
                body.items,
                body.plan_name,
                department=principal.department,
            )
        return await detail(plan_id)
