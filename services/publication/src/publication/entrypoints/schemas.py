"""The publication API's request and response models (what the OpenAPI document shows).

The public pages are read by citizens and by other systems: every answer keeps its keys, their
order and their values. Instants are given as ISO 8601 strings exactly as before (``+00:00``),
not re-serialised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from publication.domain import model
from publication.domain.model import (
    PlanVersion,
    PublishedTask,
    ResultRecord,
    ResultVersion,
    WithheldResult,
)
from spotcheck_common import objects
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.workdays import WorkCalendar

Instant = str
"""An instant as ISO 8601 with its offset (``2026-03-16T01:00:00+00:00``)."""

# ---------------------------------------------------------------------------- requests


# ----------------------------------------------------------------------- public results


class VersionOut(BaseModel):
    """One published version of a result: the current one, or one superseded by a correction."""

    version: int
    status: Literal["current", "superseded"]
    status_label: str
    superseded_by_version: int | None
    superseded_at: Instant | None
    published_at: Instant
    source: str = Field(description="inspection 检查结果 | objection 异议复查更正 | …")
    source_label: str
    reason: str | None
    objection_id: str | None
    submitted_by: str | None
    remark: str
    results: list[ItemResult]

    @classmethod
    def all_of(cls, versions: Sequence[ResultVersion]) -> list[VersionOut]:
        """Every version, oldest first; the highest is current, the others superseded by the
        next."""
        ordered = sorted(versions, key=lambda v: v.version)
        successors: list[ResultVersion | None] = [*ordered[1:], None]
        return [cls.of(v, successor) for v, successor in zip(ordered, successors, strict=True)]

    @classmethod
    def of(cls, v: ResultVersion, successor: ResultVersion | None) -> VersionOut:
        return cls(
            version=v.version,
            status="current" if successor is None else "superseded",
            status_label="现行" if successor is None else "已被更正",
            superseded_by_version=successor.version if successor else None,
            superseded_at=successor.published_at.isoformat() if successor else None,
            published_at=v.published_at.isoformat(),
            source=v.source,
            source_label=model.SOURCE_LABELS.get(v.source, v.source),
            reason=v.reason,
            objection_id=v.objection_id,
            submitted_by=v.submitted_by,
            remark=v.remark,
            results=list(v.results),
        )


class ObjectFieldOut(BaseModel):
    """One clear field of a product, project or conduct (产品名称、商标、规格型号…)."""

    label: str
    value: str


def _object(record: ResultRecord) -> dict[str, Any]:
    """What the object is (ADR 0011): its kind, and a product's, project's or conduct's fields
    (its ``uscc`` then carries the registry's object id, never a credit code)."""
    kind = record.object_kind
    return {
        "object_kind": kind.value,
        "object_kind_label": objects.LABELS[kind],
        "has_uscc": objects.has_uscc(kind),
        "details": record.details,
        "object_fields": [
            ObjectFieldOut(label=label, value=value) for label, value in model.object_fields(record)
        ],
    }


def _summary(record: ResultRecord, current: ResultVersion | None) -> dict[str, Any]:
    """The published fields of a result (DESIGN.md §2), as of its current version."""
    return {
        "record_id": record.record_id,
        "uscc": record.uscc,
        "entity_name": record.entity_name,
        "area": record.area,
        "plan_no": record.plan_no,
        "plan_name": record.plan_name,
        "task_no": record.task_no,
        "task_name": record.task_title,
        "check_type": record.check_type,
        "inspecting_authority": record.inspecting_authority,
        "completed_on": record.completed_on,
        "first_published_at": record.published_at.isoformat(),
        "current_version": current.version if current else None,
        "corrected": bool(current and current.version > 1),
        "results": list(current.results) if current else [],
        "remark": current.remark if current else "",
        **_object(record),
    }


_OBJECT_ID = (
    "检查对象的编码：组织为统一社会信用代码；产品、项目、行为为登记系统赋予的对象编码"
    "（Z 开头，不是统一社会信用代码）"
)
_OBJECT_KIND = (
    "检查对象类型：market_entity 市场主体 | organ 国家机关 | institution 事业单位 | "
    "social_organisation 社会组织 | other_organisation 其他组织 | product 产品 | project 项目 | "
    "conduct 行为"
)

_HAS_USCC = "uscc 是否为统一社会信用代码（组织）；否则为对象编码"
_DETAILS = "产品、项目、行为的字段（字段名：值）；组织为空"
_OBJECT_FIELDS = "产品、项目、行为的字段，按公示顺序（中文名称与值）；组织为空"


class ResultOut(BaseModel):
    """A published result as the public list shows it (its current version)."""

    record_id: str
    uscc: str = Field(description=_OBJECT_ID)
    entity_name: str
    area: str = Field(description="区域（登记的所在区域；早期记录为空）")
    plan_no: str
    plan_name: str
    task_no: str
    task_name: str
    check_type: str
    inspecting_authority: str
    completed_on: date
    first_published_at: Instant
    current_version: int | None
    corrected: bool = Field(description="是否经过更正（现行版本高于第 1 版）")
    results: list[ItemResult]
    remark: str
    # Added last (ADR 0011), so the keys before keep their order.
    object_kind: str = Field(description=_OBJECT_KIND)
    object_kind_label: str
    has_uscc: bool = Field(description=_HAS_USCC)
    details: dict[str, str] = Field(description=_DETAILS)
    object_fields: list[ObjectFieldOut] = Field(description=_OBJECT_FIELDS)

    @classmethod
    def of(cls, record: ResultRecord, current: ResultVersion | None) -> ResultOut:
        return cls(**_summary(record, current))


class ResultPage(BaseModel):
    total: int
    items: list[ResultOut]


class WithheldCount(BaseModel):
    """How many results the law keeps private (依法不予公示): a count, never their content."""

    total: int


class ResultDetailOut(BaseModel):
    """A published result with every version and the Chinese labels of its fields (a product's,
    project's or conduct's ``uscc`` labelled 对象编码)."""

    labels: dict[str, str]
    record_id: str
    uscc: str = Field(description=_OBJECT_ID)
    entity_name: str
    area: str = Field(description="区域（登记的所在区域；早期记录为空）")
    plan_no: str
    plan_name: str
    task_no: str
    task_name: str
    check_type: str
    inspecting_authority: str
    completed_on: date
    first_published_at: Instant
    current_version: int | None
    corrected: bool
    results: list[ItemResult]
    remark: str
    publish_due_on: date | None = Field(description="公示期限（形成结果后 20 个工作日）")
    publish_due_status: Literal["set", "pending_calendar"]
    publish_due_reason: str | None
    publish_due_calendar: str | None
    published_late: bool
    versions: list[VersionOut]
    current: VersionOut | None
    # Added last (ADR 0011), so the keys before keep their order.
    object_kind: str = Field(description=_OBJECT_KIND)
    object_kind_label: str
    has_uscc: bool = Field(description=_HAS_USCC)
    details: dict[str, str] = Field(description=_DETAILS)
    object_fields: list[ObjectFieldOut] = Field(description=_OBJECT_FIELDS)

    @classmethod
    def of(cls, record: ResultRecord, versions: Sequence[ResultVersion]) -> ResultDetailOut:
        views = VersionOut.all_of(versions)
        return cls(
            labels=model.result_labels(record.object_kind),
            **_summary(record, max(versions, key=lambda v: v.version) if versions else None),
            publish_due_on=record.publish_due_on,
            publish_due_status=record.publish_deadline.status,
            publish_due_reason=record.publish_deadline.reason,
            publish_due_calendar=record.publish_due_calendar,
            published_late=model.published_late(record),
            versions=views,
            current=views[-1] if views else None,
        )


# ------------------------------------------------------------------------ plans, tasks


class PlanOut(BaseModel):
    """One version of an annual plan (第四条)."""

    plan_id: str
    plan_no: str
    plan_name: str
    department: str
    year: int
    plan_version: int
    status: Literal["current", "superseded"]
    status_label: str
    supersedes_version: int | None
    adjustment_reason: str
    items: list[dict[str, Any]] = Field(description="抽查事项（含抽查比例的文字表述 ratio）")
    signed_by: str
    consolidated_by: str
    approved_by: str
    filed_on: date
    published_at: Instant

    @classmethod
    def of(cls, plan: PlanVersion, current_version: int) -> PlanOut:
        current = plan.plan_version == current_version
        return cls(
            plan_id=plan.plan_id,
            plan_no=plan.plan_no,
            plan_name=plan.plan_name,
            department=plan.department,
            year=plan.year,
            plan_version=plan.plan_version,
            status="current" if current else "superseded",
            status_label="现行" if current else "已调整（被新版本取代）",
            supersedes_version=plan.supersedes_version,
            adjustment_reason=plan.adjustment_reason,
            items=[{**i, "ratio": model.ratio_text(i.get("ratio_bp") or {})} for i in plan.items],
            signed_by=plan.signed_by,
            consolidated_by=plan.consolidated_by,
            approved_by=plan.approved_by,
            filed_on=plan.filed_on,
            published_at=plan.published_at.isoformat(),
        )


class PlanList(BaseModel):
    total: int
    labels: dict[str, str]
    item_labels: dict[str, str]
    items: list[PlanOut]

    @classmethod
    def of(cls, plans: Sequence[PlanVersion]) -> PlanList:
        return cls(
            total=len(plans),
            labels=model.PLAN_LABELS,
            item_labels=model.PLAN_ITEM_LABELS,
            items=[PlanOut.of(p, p.plan_version) for p in plans],
        )


class PlanDetailOut(BaseModel):
    plan_id: str
    current_version: int
    labels: dict[str, str]
    item_labels: dict[str, str]
    current: PlanOut
    versions: list[PlanOut]

    @classmethod
    def of(cls, plan_id: str, versions: Sequence[PlanVersion]) -> PlanDetailOut:
        current = versions[-1].plan_version
        views = [PlanOut.of(p, current) for p in versions]
        return cls(
            plan_id=plan_id,
            current_version=current,
            labels=model.PLAN_LABELS,
            item_labels=model.PLAN_ITEM_LABELS,
            current=views[-1],
            versions=views,
        )


def _task(task: PublishedTask) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "task_no": task.task_no,
        "title": task.title,
        "plan_no": task.plan_no,
        "plan_name": task.plan_name,
        "lead_department": task.lead_department,
        "co_lead_departments": task.co_lead_departments,
        "assisting_departments": task.assisting_departments,
        "check_items": task.check_items,
        "target_scope": model.target_scope_text(task.target_filter),
        "ratio": model.ratio_text(task.ratio_bp),
        "ratio_bp": task.ratio_bp,
        "methods": task.methods,
        "deadline": task.deadline,
        "source": task.source,
        "source_label": model.SOURCE_LABELS_TASK.get(task.source, task.source),
        "published_at": task.published_at.isoformat(),
    }


class TaskOut(BaseModel):
    """A published implementation plan (实施方案, 第六条)."""

    task_id: str
    task_no: str
    title: str
    plan_no: str
    plan_name: str
    lead_department: str
    co_lead_departments: list[str]
    assisting_departments: list[str]
    check_items: list[dict[str, Any]]
    target_scope: str
    ratio: str
    ratio_bp: dict[str, int] = Field(description="各风险等级的抽取比例（万分比）")
    methods: list[str]
    deadline: date
    source: str
    source_label: str
    published_at: Instant

    @classmethod
    def of(cls, task: PublishedTask) -> TaskOut:
        return cls(**_task(task))


class TaskDetailOut(TaskOut):
    labels: dict[str, str]

    @classmethod
    def of(cls, task: PublishedTask) -> TaskDetailOut:
        return cls(**_task(task), labels=model.TASK_LABELS)


class TaskPage(BaseModel):
    total: int
    labels: dict[str, str]
    items: list[TaskOut]


# ------------------------------------------------------------------------- staff reads


class WithheldOut(BaseModel):
    """A result the law keeps private (依法依规不予公开), with its legal reason."""

    inspection_id: str
    task_id: str
    task_no: str
    task_name: str
    plan_no: str
    plan_name: str
    check_type: str
    inspecting_authority: str
    lead_department: str
    uscc: str
    entity_name: str
    completed_on: date
    results: list[ItemResult]
    withhold_reason: str
    recorded_at: Instant
    recorded_by: str

    @classmethod
    def of(cls, w: WithheldResult) -> WithheldOut:
        return cls(
            inspection_id=w.inspection_id,
            task_id=w.task_id,
            task_no=w.task_no,
            task_name=w.task_title,
            plan_no=w.plan_no,
            plan_name=w.plan_name,
            check_type=w.check_type,
            inspecting_authority=w.inspecting_authority,
            lead_department=w.lead_department,
            uscc=w.uscc,
            entity_name=w.entity_name,
            completed_on=w.completed_on,
            results=list(w.results),
            withhold_reason=w.reason,
            recorded_at=w.recorded_at.isoformat(),
            recorded_by=w.recorded_by,
        )


class WithheldPage(BaseModel):
    total: int
    items: list[WithheldOut]


class OverdueOut(BaseModel):
    """A result published after its deadline (20 working days after it was formed)."""

    kind: Literal["result_publication"]
    record_id: str
    inspection_id: str
    task_id: str
    task_no: str
    task_name: str
    uscc: str
    entity_name: str
    department: str = Field(description="主办科室")
    completed_on: date
    publish_due_on: date | None
    published_on: date
    workdays_late: int | None = Field(description="晚于期限的工作日数")

    @classmethod
    def of(cls, record: ResultRecord, calendar: WorkCalendar) -> OverdueOut:
        due = record.publish_due_on
        done = model.published_on(record)
        return cls(
            kind="result_publication",
            record_id=record.record_id,
            inspection_id=record.inspection_id,
            task_id=record.task_id,
            task_no=record.task_no,
            task_name=record.task_title,
            uscc=record.uscc,
            entity_name=record.entity_name,
            department=record.lead_department,
            completed_on=record.completed_on,
            publish_due_on=due,
            published_on=done,
            workdays_late=calendar.elapsed(due, done) if due else None,
        )


class OverduePage(BaseModel):
    total: int
    limit_workdays: int
    pending_calendar: int = Field(
        description="等待该年节假日安排录入、尚无法计算期限的检查结果数（未逾期）"
    )
    items: list[OverdueOut]


class ExportJson(BaseModel):
    """``format=json`` of the export: the columns and one row per check item."""

    columns: list[str]
    rows: list[dict[str, str]]
