"""The objections API's request and response models (what the OpenAPI document shows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from objections.domain import model
from objections.domain.model import Objection, Status
from objections.domain.requests import STATUS_LABELS as REQUEST_LABELS
from objections.domain.requests import CorrectionRequest, RequestStatus
from objections.domain.scans import Scan
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import ObjectId, ObjectionDecision
from spotcheck_common.text import RequestModel

# ---------------------------------------------------------------------------- requests


class ObjectionIn(RequestModel):
    """An objection of the inspected entity against a published result (异议申请)."""

    model_config = ConfigDict(extra="forbid")

    record_id: str = Field(min_length=1, max_length=36, description="公示记录编号")
    uscc: ObjectId = Field(description="申请人（检查对象）的统一社会信用代码或对象编码")
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
    uscc: ObjectId = Field(description="申请人（检查对象）的统一社会信用代码或对象编码")
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


class CityRequestIn(RequestModel):
    """The credit department requests the confirmed correction of the city bureau (第九条:
    向市局报请更正), by a document."""

    model_config = ConfigDict(extra="forbid")

    request_no: str = Field(min_length=1, max_length=100, description="报请更正文件的文号")
    requested_on: date | None = Field(None, description="报请文件的日期，默认今天")
    note: str = Field("", max_length=2000, description="报请说明")


class BureauCorrectionIn(CityRequestIn):
    """An error the bureau found itself in a published result (not from an objection): the
    credit department requests its correction of the city bureau."""

    record_id: str = Field(min_length=1, max_length=36, description="公示记录编号")
    corrected_results: list[ItemResult] = Field(
        min_length=1, description="更正后的检查事项结果（仅列出需更正的事项）"
    )
    reason: str = Field(min_length=1, max_length=4000, description="更正理由（发现的错误）")


class CityReplyIn(RequestModel):
    """The city bureau's reply to a request (市局批复), recorded by the credit department."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["granted", "refused"] = Field(
        description="granted 同意更正 | refused 不予更正"
    )
    reply_no: str = Field(min_length=1, max_length=100, description="市局批复的文号")
    replied_on: date | None = Field(None, description="市局批复的日期，默认今天")
    reason: str = Field(
        "", max_length=4000, description="市局的意见；不予更正的必填（反馈检查对象）"
    )


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
    """A scan as kept — a paper application's, or the city bureau's reply (its content:
    ``href``)."""

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
    def of(cls, scan: Scan, href: str | None = None) -> ScanOut:
        return cls(
            filename=scan.filename,
            media_type=scan.media_type,
            size=scan.size,
            sha256=scan.sha256,
            recorded_by=scan.recorded_by,
            recorded_at=scan.recorded_at,
            href=href or f"/api/objections/objections/{scan.owner_id}/scan",
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
    awaiting_credit_department: bool = Field(description="确有错误，待信用监管科报请市局更正")
    city_request_id: str | None = Field(description="报请市局更正的编号（第九条）")
    city_requested_on: date | None = Field(description="报请文件的日期")
    city_replied_on: date | None = Field(description="市局批复的日期")
    city_granted: bool | None = Field(description="市局是否同意更正；未批复为空")
    correction_clock_stopped: bool = Field(
        description="更正期限因报请市局而停止计算（市局批复同意后接续计算，不予更正则终止）"
    )
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
                o.status == Status.CORRECTED
                and o.city_request_id is None
                and o.correction_published_on is None
            ),
            city_request_id=o.city_request_id,
            city_requested_on=o.city_requested_on,
            city_replied_on=o.city_replied_on,
            city_granted=o.city_granted,
            correction_clock_stopped=model.correction_stopped(o),
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


class CorrectionRequestOut(BaseModel):
    """A correction requested from the city bureau, and its reply (第九条)."""

    request_id: str
    record_id: str
    task_id: str
    uscc: str
    objection_id: str | None = Field(description="据以更正的异议；本局自行发现的错误为空")
    source: Literal["objection", "credit_department"]
    corrected_results: list[ItemResult]
    reason: str
    request_no: str = Field(description="报请文件的文号")
    requested_on: date
    requested_by: str
    requested_at: datetime
    record_version: int = Field(description="报请更正的公示版本")
    note: str
    status: RequestStatus
    status_label: str
    reply_no: str | None = Field(description="市局批复的文号")
    replied_on: date | None
    reply_reason: str | None
    reply_recorded_by: str | None
    reply_recorded_at: datetime | None
    document: ScanOut | None = Field(description="市局批复的扫描件（如有）")

    @classmethod
    def of(cls, r: CorrectionRequest) -> CorrectionRequestOut:
        href = f"/api/objections/corrections/{r.request_id}/document"
        return cls(
            request_id=r.request_id,
            record_id=r.record_id,
            task_id=r.task_id,
            uscc=r.uscc,
            objection_id=r.objection_id,
            source=r.source,
            corrected_results=list(r.corrected_results),
            reason=r.reason,
            request_no=r.request_no,
            requested_on=r.requested_on,
            requested_by=r.requested_by,
            requested_at=r.requested_at,
            record_version=r.record_version,
            note=r.note,
            status=r.status,
            status_label=REQUEST_LABELS[r.status],
            reply_no=r.reply_no,
            replied_on=r.replied_on,
            reply_reason=r.reply_reason,
            reply_recorded_by=r.reply_recorded_by,
            reply_recorded_at=r.reply_recorded_at,
            document=ScanOut.of(r.document, href) if r.document else None,
        )


class CorrectionRequestPage(BaseModel):
    total: int
    items: list[CorrectionRequestOut]
