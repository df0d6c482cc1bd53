"""Planning use cases. Plain functions; the unit of work and the repositories are injected."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from planning.adapters.repository import ItemListRepository, PlanRepository
from planning.domain import caps, plans
from planning.domain.model import (
    DuplicateTaskNo,
    FieldError,
    Task,
    TaskInvalid,
    TaskSpec,
)
from planning.domain.plans import AnnualPlan, PlanSpec, PlanStatus
from planning.service_layer.unit_of_work import PlanningUnitOfWork
from spotcheck_common.clock import china_date
from spotcheck_common.errors import Conflict, DomainError, Forbidden, NotFound
from spotcheck_common.events.envelope import new_id
from spotcheck_common.events.planning import PlanItem
from spotcheck_common.events.registry import CheckItemListPublished
from spotcheck_common.events.types import RiskClass
from spotcheck_common.roles import Role

ANONYMOUS = {"", "anonymous"}


class ApproverUnknown(Forbidden):
    pass


# -- tasks ------------------------------------------------------------------------------------


async def _check_plan_reference(plan_repo: PlanRepository, task: Task) -> None:
    """A task naming a plan: the plan must exist (422 otherwise)."""
    if not task.plan_id:
        return
    if not await plan_repo.versions(task.plan_id):
        raise TaskInvalid([FieldError("plan_id", f"年度抽查计划 {task.plan_id} 不存在")])


async def create_task(
    uow: PlanningUnitOfWork,
    spec: TaskSpec,
    now: datetime | None = None,
    neighbours: frozenset[str] = frozenset(),
) -> Task:
    """Save a draft and record TaskDrafted; refuses a duplicate number (409), bad content (422).
    ``neighbours``: the districts no co-organising agency may be named after."""
    now = now or uow.clock.now()
    task = _draft(uow, spec, now, neighbours)
    await _check_plan_reference(uow.plans, task)
    return await _add(uow, task)


async def receive_task(
    uow: PlanningUnitOfWork,
    spec: TaskSpec,
    now: datetime | None = None,
    neighbours: frozenset[str] = frozenset(),
) -> Task:
    """第七条: the credit department receives a task sent down by the city or the province and
    assigns it to the matching department (its ``lead_department``); the sending authority and
    document number are kept. It is then approved like any other task."""
    now = now or uow.clock.now()
    task = _draft(uow, spec, now, neighbours)
    task.received_by, task.received_at = uow.context.actor, now
    await _check_plan_reference(uow.plans, task)
    return await _add(uow, task)


def _draft(
    uow: PlanningUnitOfWork, spec: TaskSpec, now: datetime, neighbours: frozenset[str]
) -> Task:
    return Task.draft(
        spec,
        task_id=new_id(),
        district=uow.district,
        by=uow.context.actor,
        at=now,
        neighbours=neighbours,
    )


async def _add(uow: PlanningUnitOfWork, task: Task) -> Task:
    if await uow.tasks.get_by_no(task.task_no) is not None:
        raise DuplicateTaskNo(task.task_no)
    await uow.tasks.add(task)  # DuplicateTaskNo when another request took the number meanwhile
    await uow.emit(task.drafted_event())
    await uow.commit()
    return task


def _drawing(task: Task) -> caps.Drawing:
    return caps.Drawing(task.task_id, task.task_no, task.target_filter, task.ratio_bp)


async def _attach_published_plan(plan_repo: PlanRepository, task: Task) -> None:
    """A task under a plan is approved only once that plan is published; the published
    version's number and name travel with it, and its items must be in that version."""
    if not task.plan_id:
        return
    versions = await plan_repo.versions(task.plan_id)
    if not versions:
        raise TaskInvalid([FieldError("plan_id", f"年度抽查计划 {task.plan_id} 不存在")])
    published = [p for p in versions if p.status is PlanStatus.PUBLISHED]
    if not published:
        raise TaskInvalid(
            [FieldError("plan_id", f"年度抽查计划 {versions[-1].plan_no} 尚未公示，任务不能批准")]
        )
    plan = published[-1]
    planned = {i.check_item_code for i in plan.items}
    outside = [i.code for i in task.check_items if i.code not in planned]
    if outside:
        raise TaskInvalid(
            [
                FieldError(
                    "check_items",
                    f"检查事项 {'、'.join(outside)} 不在年度抽查计划 {plan.plan_no}"
                    f"（第 {plan.plan_version} 版）中",
                )
            ]
        )
    task.attach_plan(plan.plan_id, plan.plan_no, plan.plan_name)


async def approve_task(
    uow: PlanningUnitOfWork,
    task_id: str,
    now: datetime | None = None,
    yearly_caps: Mapping[RiskClass, int] | None = None,
) -> Task:
    """The deputy director approves a draft (第六条); TaskApproved goes out with the change.
    Refused (422) when an entity would be drawn more often in the year than its cap (第五条)."""
    approver = uow.context.actor
    if approver in ANONYMOUS:
        raise ApproverUnknown("审批须记录审批人：请以分管局长身份登录后审批")
    repo = uow.tasks
    task = await repo.get(task_id)
    if task is None:
        raise NotFound(f"抽查任务 {task_id} 不存在")
    now = now or uow.clock.now()
    task.approve(approver, now)
    await _attach_published_plan(uow.plans, task)
    year = task.deadline.year
    approved = [_drawing(t) for t in await repo.approved_in_year(year)]
    limits = yearly_caps or dict.fromkeys(RiskClass, caps.DEFAULT_CAP)
    over = caps.excesses(_drawing(task), approved, limits)
    if over:
        raise caps.YearlyCapExceeded(year, over)
    await repo.save(task)  # StaleTask when another request changed it meanwhile
    await uow.emit(task.approved_event())
    await uow.commit()
    return task


async def publish_task(uow: PlanningUnitOfWork, task_id: str, now: datetime | None = None) -> Task:
    """An approved implementation plan is published (第六条): TaskPublished."""
    repo = uow.tasks
    task = await repo.get(task_id)
    if task is None:
        raise NotFound(f"抽查任务 {task_id} 不存在")
    task.publish(now or uow.clock.now(), by=uow.context.actor)
    await repo.save(task)  # StaleTask when another request changed it meanwhile
    await uow.emit(task.published_event())
    await uow.commit()
    return task


# -- the item list's read model ----------------------------------------------------------------


async def item_list_published(uow: PlanningUnitOfWork, event: CheckItemListPublished) -> None:
    """Keep registry's item list versions (a redelivery changes nothing; the consumer
    commits)."""
    await uow.item_lists.add_version(
        event.list_version,
        event.list_id,
        event.effective_from,
        event.reason,
        [i.model_dump(mode="json") for i in event.items],
    )


async def _listed(lists: ItemListRepository, today: date) -> dict[str, str] | None:
    current = await lists.current(today)
    return dict(current[1]) if current else None


# -- annual plans ----------------------------------------------------------------------------


async def _latest(repo: PlanRepository, plan_id: str) -> tuple[AnnualPlan, list[AnnualPlan]]:
    versions = await repo.versions(plan_id)
    if not versions:
        raise NotFound(f"年度抽查计划 {plan_id} 不存在")
    return versions[-1], versions


def _own(plan: AnnualPlan, department: str | None) -> None:
    """A supervising department acts only on its own plan (403 otherwise)."""
    if department is not None and plan.department != department.strip():
        raise plans.RoleRefused(
            f"监管科室只能办理本科室的年度抽查计划：令牌中的科室为「{department or '（无）'}」，"
            f"计划 {plan.plan_no} 属于「{plan.department}」"
        )


async def _save(repo: PlanRepository, *changed: AnnualPlan) -> None:
    """Save each changed version (StalePlan when another request changed one meanwhile)."""
    for plan in changed:
        await repo.save(plan)


async def draft_plan(
    uow: PlanningUnitOfWork,
    spec: PlanSpec,
    now: datetime | None = None,
) -> AnnualPlan:
    """A department drafts its annual plan (第四条): one plan per department and year."""
    now = now or uow.clock.now()
    repo, lists = uow.plans, uow.item_lists
    for other in await repo.find(department=spec.department, year=spec.year):
        raise Conflict(
            f"{spec.department} 已有 {spec.year} 年度抽查计划 {other.plan_no}；"
            "年内变化请对该计划提出调整",
            plan_id=other.plan_id,
        )
    if await repo.find(plan_no=spec.plan_no):
        raise Conflict(f"计划编号 {spec.plan_no} 已存在", plan_no=spec.plan_no)
    plan = AnnualPlan.draft(
        spec,
        plan_id=new_id(),
        district=uow.district,
        by=uow.context.actor,
        at=now,
        listed=await _listed(lists, china_date(now)),
    )
    await repo.add(plan)
    await uow.commit()
    return plan


async def edit_plan(
    uow: PlanningUnitOfWork,
    plan_id: str,
    items: Sequence[PlanItem] | None,
    plan_name: str | None,
    now: datetime | None = None,
    department: str | None = None,
) -> AnnualPlan:
    now = now or uow.clock.now()
    repo, lists = uow.plans, uow.item_lists
    plan, _ = await _latest(repo, plan_id)
    _own(plan, department)
    plan.edit(uow.context.actor, now, items, plan_name, await _listed(lists, china_date(now)))
    await _save(repo, plan)
    await uow.commit()
    return plan


async def advance_plan(
    uow: PlanningUnitOfWork,
    plan_id: str,
    action: str,
    roles: Iterable[Role],
    now: datetime | None = None,
    department: str | None = None,
) -> AnnualPlan:
    """submit / sign / approve: one step of the chain on the plan's newest version."""
    now = now or uow.clock.now()
    repo = uow.plans
    plan, _ = await _latest(repo, plan_id)
    _own(plan, department)
    plan.take(action, uow.context.actor, roles, now)
    await _save(repo, plan)
    await uow.commit()
    return plan


async def file_plan(
    uow: PlanningUnitOfWork,
    plan_id: str,
    roles: Iterable[Role],
    filed_on: date,
    filing_ref: str,
    now: datetime | None = None,
) -> AnnualPlan:
    now = now or uow.clock.now()
    repo = uow.plans
    plan, _ = await _latest(repo, plan_id)
    plan.file(uow.context.actor, roles, now, filed_on, filing_ref)
    await _save(repo, plan)
    await uow.commit()
    return plan


async def reject_plan(
    uow: PlanningUnitOfWork,
    plan_id: str,
    roles: Iterable[Role],
    reason: str,
    now: datetime | None = None,
) -> AnnualPlan:
    now = now or uow.clock.now()
    repo = uow.plans
    plan, _ = await _latest(repo, plan_id)
    plan.reject(uow.context.actor, roles, now, reason)
    await _save(repo, plan)
    await uow.commit()
    return plan


async def consolidate_year(
    uow: PlanningUnitOfWork,
    year: int,
    roles: Iterable[Role],
    now: datetime | None = None,
) -> list[AnnualPlan]:
    """The credit department consolidates the year's signed plans (第四条 汇总), only when,
    across the departments' plans of the year, every item of the current list is planned
    (第五条 全覆盖); the refusal names the uncovered items."""
    now = now or uow.clock.now()
    repo, lists = uow.plans, uow.item_lists
    roles = set(roles)
    year_plans = await repo.of_year(year)
    current = await lists.current(china_date(now))
    if current is None:
        raise DomainError(
            "尚未收到现行抽查事项清单（由信用监管科在登记系统导入），无法核对计划覆盖"
        )
    counting = plans.counting_versions(year_plans)
    pending = [p for p in counting if p.status is PlanStatus.SIGNED]
    if not pending:
        # Role first: someone without it learns that, not the year's state.
        if not roles & set(plans.STEPS["consolidate"].roles):
            raise plans.RoleRefused(
                f"「信用监管科汇总」需要 {plans.roles_text(plans.STEPS['consolidate'].roles)}"
            )
        raise plans.PlanTransitionRefused(f"{year} 年度没有分管局长已签字、待汇总的计划")
    for plan in pending:  # the role check runs before coverage reveals anything
        plan.take("consolidate", uow.context.actor, roles, now, list_version=current[0])
    plans.require_coverage(year, current[1], year_plans)
    await _save(repo, *pending)
    await uow.commit()
    return pending


async def publish_plan(
    uow: PlanningUnitOfWork,
    plan_id: str,
    roles: Iterable[Role],
    now: datetime | None = None,
) -> AnnualPlan:
    """Published (公示) after filing: AnnualPlanPublished; the version it adjusts is kept and
    marked superseded."""
    now = now or uow.clock.now()
    repo = uow.plans
    plan, versions = await _latest(repo, plan_id)
    plan.take("publish", uow.context.actor, roles, now)
    changed = [plan]
    for old in versions[:-1]:
        if old.status is PlanStatus.PUBLISHED:
            old.supersede(uow.context.actor, now, plan.plan_version)
            changed.append(old)
    await _save(repo, *changed)
    await uow.emit(plan.published_event(now))
    await uow.commit()
    return plan


async def adjust_plan(
    uow: PlanningUnitOfWork,
    plan_id: str,
    reason: str,
    items: Sequence[PlanItem] | None,
    plan_name: str | None,
    now: datetime | None = None,
    department: str | None = None,
) -> AnnualPlan:
    """An adjustment during the year (第四条 动态调整): a new draft version, with its reason;
    it goes through the whole chain again."""
    now = now or uow.clock.now()
    repo, lists = uow.plans, uow.item_lists
    latest, _ = await _latest(repo, plan_id)
    _own(latest, department)
    version = latest.adjusted(
        uow.context.actor, now, reason, items, plan_name, await _listed(lists, china_date(now))
    )
    await repo.add(version)
    await uow.commit()
    return version
