"""The planning API's request and response models (what the OpenAPI document shows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from planning.domain.model import STATUS_LABELS, Task, TaskStatus
from planning.domain.plans import PLAN_STATUS_LABELS, AnnualPlan, PlanStatus, Transition
from planning.service_layer.views import PlanDetail
from spotcheck_common.events.planning import (
    CheckItemRef,
    CoOrganiser,
    PlanItem,
    TargetFilter,
    TaskSource,
)
from spotcheck_common.text import RequestModel

# An instant as the API has always written it (``isoformat()``: ``+00:00``, not ``Z``).
Moment = Annotated[datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str)]

# ---------------------------------------------------------------------------- requests


class PlanEdit(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    plan_name: str | None = Field(None, min_length=1, max_length=200)
    items: list[PlanItem] | None = Field(None, min_length=1)


class PlanAdjustment(PlanEdit):
    reason: str = Field(min_length=1, max_length=2000, description="调整理由")


class Rejection(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000, description="退回理由")


class Filing(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    filed_on: date = Field(description="报市局备案日期")
    filing_ref: str = Field(min_length=1, max_length=200, description="备案文号或回执编号")


class Consolidation(RequestModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100)


# --------------------------------------------------------------------------- responses


class TaskOut(BaseModel):
    """A task (implementation plan, 实施方案)."""

    task_id: str
    district: str
    task_no: str
    title: str
    status: TaskStatus
    status_label: str
    source: TaskSource
    check_type: str
    lead_department: str
    co_lead_departments: list[str]
    assisting_departments: list[str]
    check_items: list[CheckItemRef]
    target_filter: TargetFilter
    ratio_bp: dict[str, int] = Field(description="各风险等级抽查比例（万分之一）")
    inspector_departments: list[str]
    team_size: int
    experts_per_target: int
    expert_fields: list[str]
    co_organisers: list[CoOrganiser]
    methods: list[str]
    deadline: date
    created_by: str
    created_at: Moment
    approved_by: str | None
    approved_at: Moment | None
    plan_id: str | None
    plan_no: str
    plan_name: str
    issuing_authority: str
    document_no: str
    received_by: str | None
    received_at: Moment | None
    published_by: str | None
    published_at: Moment | None
    version: int

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        return cls(
            task_id=task.task_id,
            district=task.district,
            task_no=task.task_no,
            title=task.title,
            status=task.status,
            status_label=STATUS_LABELS[task.status],
            source=task.source,
            check_type=str(task.check_type),
            lead_department=task.lead_department,
            co_lead_departments=task.co_lead_departments,
            assisting_departments=task.assisting_departments,
            check_items=task.check_items,
            target_filter=task.target_filter,
            ratio_bp={str(k): v for k, v in sorted(task.ratio_bp.items())},
            inspector_departments=task.inspector_departments,
            team_size=task.team_size,
            experts_per_target=task.experts_per_target,
            expert_fields=task.expert_fields,
            co_organisers=task.co_organisers,
            methods=[str(m) for m in task.methods],
            deadline=task.deadline,
            created_by=task.created_by,
            created_at=task.created_at,
            approved_by=task.approved_by,
            approved_at=task.approved_at,
            plan_id=task.plan_id or None,
            plan_no=task.plan_no,
            plan_name=task.plan_name,
            issuing_authority=task.issuing_authority,
            document_no=task.document_no,
            received_by=task.received_by,
            received_at=task.received_at,
            published_by=task.published_by,
            published_at=task.published_at,
            version=task.version,
        )


class TaskPage(BaseModel):
    total: int
    items: list[TaskOut]


class PlanOut(BaseModel):
    """One version of a department's annual plan (年度抽查工作计划)."""

    plan_id: str
    district: str
    plan_no: str
    plan_name: str
    department: str
    year: int
    plan_version: int
    status: PlanStatus
    status_label: str
    items: list[PlanItem]
    supersedes_version: int | None
    adjustment_reason: str
    steps: dict[str, dict[str, Any]] = Field(description="本轮流转中已办的环节：办理人、时间等")
    filed_on: date | None
    filing_ref: str
    rejection_reason: str
    created_by: str
    created_at: Moment
    updated_at: Moment | None

    @classmethod
    def fields_of(cls, plan: AnnualPlan) -> dict[str, Any]:
        return {
            "plan_id": plan.plan_id,
            "district": plan.district,
            "plan_no": plan.plan_no,
            "plan_name": plan.plan_name,
            "department": plan.department,
            "year": plan.year,
            "plan_version": plan.plan_version,
            "status": plan.status,
            "status_label": PLAN_STATUS_LABELS[plan.status],
            "items": plan.items,
            "supersedes_version": plan.supersedes_version,
            "adjustment_reason": plan.adjustment_reason,
            "steps": plan.steps,
            "filed_on": plan.filed_on,
            "filing_ref": plan.filing_ref,
            "rejection_reason": plan.rejection_reason,
            "created_by": plan.created_by,
            "created_at": plan.created_at,
            "updated_at": plan.updated_at,
        }

    @classmethod
    def of(cls, plan: AnnualPlan) -> PlanOut:
        return cls(**cls.fields_of(plan))


class TransitionOut(BaseModel):
    plan_version: int
    action: str
    from_status: str
    to_status: str
    actor: str
    at: Moment
    reason: str
    details: dict[str, Any]

    @classmethod
    def of(cls, t: Transition) -> TransitionOut:
        return cls(
            plan_version=t.plan_version,
            action=t.action,
            from_status=t.from_status,
            to_status=t.to_status,
            actor=t.actor,
            at=t.at,
            reason=t.reason,
            details=t.details,
        )


class PlanVersionOut(BaseModel):
    plan_version: int
    status: PlanStatus
    status_label: str
    adjustment_reason: str


class PlanDetailOut(PlanOut):
    """The latest version of a plan, with every transition and every version."""

    history: list[TransitionOut]
    versions: list[PlanVersionOut]

    @classmethod
    def of_detail(cls, detail: PlanDetail) -> PlanDetailOut:
        return cls(
            **cls.fields_of(detail.latest),
            history=[TransitionOut.of(t) for t in detail.history],
            versions=[
                PlanVersionOut(
                    plan_version=v.plan_version,
                    status=v.status,
                    status_label=PLAN_STATUS_LABELS[v.status],
                    adjustment_reason=v.adjustment_reason,
                )
                for v in detail.versions
            ],
        )


class PlanList(BaseModel):
    total: int
    items: list[PlanOut]


class ConsolidationOut(BaseModel):
    year: int
    consolidated: list[PlanOut]


class PlanRefOut(BaseModel):
    plan_id: str
    plan_no: str
    department: str
    plan_version: int
    status: str


class ItemCoverageOut(BaseModel):
    code: str
    name: str
    covered: bool
    plans: list[PlanRefOut] = Field(description="计入覆盖的计划（分管局长已签字及以后）")
    in_drafts: list[PlanRefOut] = Field(description="尚在草稿或报审中的计划")


class ItemOut(BaseModel):
    code: str
    name: str


class CoverageOut(BaseModel):
    """How the plans of a year cover the current item list (第五条). ``reason`` only when there
    is no list yet."""

    year: int
    list_version: int | None
    complete: bool
    items: list[ItemCoverageOut]
    uncovered: list[ItemOut]
    reason: str | None = Field(None, description="无法判断覆盖情况的原因（尚无清单）")
