"""The objections API's request and response models (what the OpenAPI document shows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from objections.domain import model
from objections.domain.model import Objection, Status
from objections.domain.scans import Scan
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import USCC, ObjectionDecision
from spotcheck_common.text import RequestModel

# ---------------------------------------------------------------------------- requests


class ObjectionIn(RequestModel):
    """An objection of the inspected entity against a published result (异议申请)."""

    model_config = ConfigDict(extra="forbid")

    record_id: str = Field(min_length=1, max_length=36, description="公示记录编号")
    uscc: USCC = Field(description="申请人（检查对象）的统一社会信用代码")
    reason: str = Field(min_length=1, max_length=4000, description="异议理由")
    received_on: date | None = Field(
        None,
        description="不可填写：网上提出的以系统收到之日为准；书面申请须附扫描件，"
        "由信用监管科经 POST /api/objections/objections/paper 登记收到之日",
    )


class PaperObjectionIn(RequestModel):
    """A paper application registered by the credit department (书面异议申请): the form fields
    beside its scan (``file``) in ``POST …/paper``."""

    model_config = ConfigDict(extra="forbid")

    record_id: str = Field(min_length=1, max_length=36, description="公示记录编号")
    uscc: USCC = Field(description="申请人（检查对象）的统一社会信用代码")
    reason: str = Field(min_length=1, max_length=4000, description="异议理由")
    received_on: date | None = Field(
        None, description="收到书面申请之日（不早于公示之日，不晚于今天），默认今天"
    )


class DecisionIn(RequestModel):
    """The review result (复查结果)."""

    model_config = ConfigDict(extra="forbid")

    decision: ObjectionDecision = Field(description="upheld 维持 | corrected 确有错误予以更正")
    reason: str = Field(min_length=1, max_length=4000, description="复查意见")
    corrected_results: list[ItemResult] = Field(
        default_factory=list, description="更正后的检查事项结果（仅 corrected，列出需更正的事项）"
    )
    decided_on: date | None = Field(None, description="作出复查结果之日，默认今天")


class CorrectionSubmissionIn(RequestModel):
    """The credit department submits the confirmed correction (报请更正)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=2000, description="报请说明（如报市局的文号）")


class FeedbackIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    given_on: date | None = Field(None, description="反馈检查对象之日，默认今天")
    note: str = Field("", max_length=2000, description="反馈方式、送达情况等")


# --------------------------------------------------------------------------- responses


class DeadlineOut(BaseModel):
    due_on: date | None = Field(description="期限（最后一天）；待定时为空")
    due_status: Literal["set", "pending_calendar"] = Field(
        description="set 已确定 | pending_calendar 该年节假日安排尚未录入，期限待定"
    )
    calendar_version: str | None = Field(description="计算所用的工作日历版本")
    pending_reason: str | None = Field(description="期限待定的原因")


class OverdueOut(BaseModel):
    review: bool = Field(description="复查逾期（20 个工作日）")
    feedback: bool = Field(description="反馈逾期（15 个工作日）")
    correction: bool = Field(description="更正逾期（5 个工作日）")
    any: bool


class ScanOut(BaseModel):
    """The scan of a paper application, as kept (its content: ``href``)."""

    filename: str = Field(description="保存的文件名（扩展名与内容一致）")
    media_type: Literal["application/pdf", "image/jpeg", "image/png"] = Field(
        description="按内容识别的类型"
    )
    size: int = Field(description="字节数")
    sha256: str = Field(description="内容的 SHA-256（下载时校验）")
    recorded_by: str = Field(description="登记人（信用监管科）")
    recorded_at: datetime = Field(description="登记时间（服务器时间）")
    href: str = Field(description="下载地址（本局工作人员）")

    @classmethod
    def of(cls, scan: Scan) -> ScanOut:
        return cls(
            filename=scan.filename,
            media_type=scan.media_type,
            size=scan.size,
            sha256=scan.sha256,
            recorded_by=scan.recorded_by,
            recorded_at=scan.recorded_at,
            href=f"/api/objections/objections/{scan.objection_id}/scan",
        )


class ObjectionOut(BaseModel):
    """An objection with its three clocks (第十一条)."""

    objection_id: str
    record_id: str
    record_version: int
    task_id: str
    uscc: str
    reason: str
    received_on: date
    status: Status
    status_label: str
    decision: Status | None
    decision_reason: str | None
    reviewer: str | None
    decided_on: date | None
    corrected_results: list[ItemResult]
    review_due_on: date | None
    feedback_due_on: date | None
    correction_due_on: date | None
    feedback_given_on: date | None
    feedback_note: str | None
    correction_published_on: date | None
    correction_version: int | None
    review_department: str
    correction_submitted_by: str | None
    correction_submitted_on: date | None
    correction_note: str | None
    awaiting_credit_department: bool = Field(description="确有错误，待信用监管科报请更正")
    overdue: OverdueOut = Field(description="各期限是否逾期（含已逾期完成）")
    overdue_open: list[str] = Field(description="已逾期且仍未完成的期限（告警种类）")
    due_status: Literal["set", "pending_calendar"]
    due_reason: str | None
    pending_calendar: list[str] = Field(description="待工作日历录入的期限（告警种类）")
    deadlines: dict[str, DeadlineOut | None] = Field(
        description="review / feedback / correction：每个期限及其日历版本；未开始为空"
    )
    filed_by: str
    filed_at: datetime
    scan: ScanOut | None = Field(
        description="书面申请的扫描件（信用监管科登记时上传）；网上提出的异议为空"
    )

    @classmethod
    def of(cls, o: Objection, today: date) -> ObjectionOut:
        pending = model.pending_clocks(o)
        first_pending = model.deadline_of(o, pending[0]) if pending else None
        deadlines = {c: model.deadline_of(o, c) for c in model.CLOCKS}
        return cls(
            objection_id=o.objection_id,
            record_id=o.record_id,
            record_version=o.record_version,
            task_id=o.task_id,
            uscc=o.uscc,
            reason=o.reason,
            received_on=o.received_on,
            status=o.status,
            status_label=model.STATUS_LABELS[o.status],
            decision=o.status if o.status != Status.PENDING else None,
            decision_reason=o.decision_reason,
            reviewer=o.reviewer,
            decided_on=o.decided_on,
            corrected_results=list(o.corrected_results or []),
            review_due_on=o.review_due_on,
            feedback_due_on=o.feedback_due_on,
            correction_due_on=o.correction_due_on,
            feedback_given_on=o.feedback_given_on,
            feedback_note=o.feedback_note,
            correction_published_on=o.correction_published_on,
            correction_version=o.correction_version,
            review_department=o.review_department,
            correction_submitted_by=o.correction_submitted_by,
            correction_submitted_on=o.correction_submitted_on,
            correction_note=o.correction_note,
            awaiting_credit_department=(
                o.status == Status.CORRECTED and o.correction_submitted_by is None
            ),
            overdue=OverdueOut(**model.overdue(o, today)),
            overdue_open=model.outstanding_overdue(o, today),
            due_status="pending_calendar" if pending else "set",
            due_reason=first_pending.reason if first_pending else None,
            pending_calendar=[model.KIND_BY_CLOCK[c] for c in pending],
            deadlines={
                c: DeadlineOut.model_validate(d.json()) if d else None for c, d in deadlines.items()
            },
            filed_by=o.filed_by,
            filed_at=o.filed_at,
            scan=ScanOut.of(o.scan) if o.scan else None,
        )


class ObjectionPage(BaseModel):
    total: int
    today: date = Field(description="计算逾期所依据的日期（北京时间）")
    items: list[ObjectionOut]
