"""Events of the inspections service."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.envelope import Event
from spotcheck_common.events.planning import CheckItemRef
from spotcheck_common.events.types import ObjectId, PendingReason, ResultCategory


class ItemResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    check_item_code: str
    check_item_name: str
    category: ResultCategory
    pending_reason: PendingReason | None = None
    remark: str = ""
    # Added with joint checks (第三条): the co-organising agency whose item it is, "" for the
    # bureau's own.
    agency: str = ""


class Sample(BaseModel):
    """One sample taken from a product for testing (抽样检测, 第八条; ADR 0011)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sample_no: str = Field(min_length=1, max_length=64)  # 样品编号
    quantity: str = Field(min_length=1, max_length=64)  # 抽样数量, with its unit
    taken_at: str = Field(min_length=1, max_length=200)  # 抽样地点
    taken_on: date  # 抽样日期
    sealed: bool  # 封样
    seal_no: str = Field(default="", max_length=64)  # 封条编号
    testing_body: str = Field(min_length=1, max_length=200)  # 检验机构


class InspectionSubmitted(Event):
    """The team leader submitted the signed record form of one target's inspection."""

    service = "inspections"
    name = "inspection-submitted"

    inspection_id: str
    task_id: str
    task_no: str
    task_title: str
    draw_id: str
    uscc: ObjectId
    entity_name: str
    inspecting_authority: str
    team: list[TeamMember]
    results: list[ItemResult]
    completed_on: date
    submitted_by: str
    # Added after v1 shipped (defaults keep older payloads valid): the task's check type
    # (定向抽查 / 不定向抽查) as the national publicity system shows it; empty if unknown.
    check_type: str = ""
    plan_no: str = ""
    plan_name: str = ""
    # One visit covers every task's items for this target in the same period (进一次门、查多项事).
    visit_id: str = ""
    # Not inspected but counted as done (unreachable, serious refusal, deregistered, revoked,
    # cancelled, moved out before the deadline): the reason, else "".
    not_inspected_reason: str = ""
    # The law keeps this result private: the legal reason, else "" (published).
    withhold_reason: str = ""
    # The date of the fact behind not_inspected_reason (e.g. the day of 注销), if known.
    not_inspected_on: date | None = None
    # The entity's area (区域) as the registry recorded it when drawn (DrawnTarget.area); "" for
    # older payloads. The public search filters by it.
    area: str = ""
    # Added with objects beyond market entities (ADR 0011): the object's fields when it is a
    # product, project or conduct (``DrawnTarget.details``), and a product's samples (抽样).
    details: dict[str, str] = Field(default_factory=dict)
    samples: list[Sample] = Field(default_factory=list)

    def aggregate_id(self) -> str:
        return self.task_id


class AttachmentKind(StrEnum):
    ONSITE_NOTE = "onsite_note"  # 现场笔录
    PHOTO = "photo"  # 现场照片
    RECTIFICATION_NOTICE = "rectification_notice"  # 责令整改通知书
    SERVICE_RECEIPT = "service_receipt"  # 送达回证
    RECORD_FORM = "record_form"  # 检查记录表
    SAMPLING_FORM = "sampling_form"  # 抽样单 (a product's sampling, ADR 0011)
    LAB_REPORT = "lab_report"  # 检验报告 (the testing body's, ADR 0011)
    OTHER = "other"


class AttachmentAdded(Event):
    """A file was attached to an inspection; its SHA-256 goes into the task's dossier."""

    service = "inspections"
    name = "attachment-added"

    attachment_id: str
    inspection_id: str
    task_id: str
    uscc: ObjectId
    kind: AttachmentKind
    filename: str
    media_type: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    added_by: str

    def aggregate_id(self) -> str:
        return self.task_id


class FollowUpKind(StrEnum):
    PROBLEM = "problem"  # 发现问题，后续处理
    VIOLATION = "violation"  # 违法违规，立案查处
    SUSPECTED_CRIME = "suspected_crime"  # 涉嫌犯罪，移送司法机关
    REFUSAL = "refusal"  # 不配合检查，后续监管措施


class FollowUpOpened(Event):
    """Follow-up of a finding, owned by the task's lead department (谁监管、谁负责)."""

    service = "inspections"
    name = "follow-up-opened"

    follow_up_id: str
    inspection_id: str
    task_id: str
    uscc: ObjectId
    kind: FollowUpKind
    lead_department: str
    opened_on: date
    due_on: date | None = None
    # Added with the follow-up register (defaults keep older payloads valid).
    task_no: str = ""
    entity_name: str = ""
    reason: str = ""  # what was found (the results' sub-reasons, or why not inspected)

    def aggregate_id(self) -> str:
        return self.task_id


class FollowUpRecorded(Event):
    """An outcome of a follow-up: rectified, case filed, transferred, closed; reported to the
    credit supervision department (报信用监管科备案)."""

    service = "inspections"
    name = "follow-up-recorded"

    follow_up_id: str
    task_id: str
    uscc: ObjectId
    action: str = Field(pattern="^(rectified|case_filed|transferred|closed)$")
    outcome: str
    case_no: str = ""
    recorded_on: date
    recorded_by: str
    closed: bool = False
    # Added with the follow-up register (defaults keep older payloads valid): the follow-up's
    # kind after this outcome (a case filed on a suspected crime turns it into suspected_crime),
    # the lead department, and the date by which a suspected crime must be transferred.
    kind: FollowUpKind | None = None
    lead_department: str = ""
    suspected_crime: bool = False
    # Null while pending (the year it reaches has no holiday schedule yet).
    transfer_due_on: date | None = None
    calendar_version: str | None = None

    def aggregate_id(self) -> str:
        return self.task_id


class TransferDueSet(Event):
    """A suspected crime's transfer deadline computed later: it was pending until the year's
    holiday schedule was recorded, or a corrected schedule moved it."""

    service = "inspections"
    name = "transfer-due-set"

    follow_up_id: str
    task_id: str
    uscc: ObjectId
    suspected_crime_on: date
    transfer_due_on: date
    calendar_version: str

    def aggregate_id(self) -> str:
        return self.task_id


# ------------------------------------------------------------- joint inspections (issue 10)


class JointInspectionState(Event):
    """The drawing district's inspection of one target whose team has neighbours' inspectors,
    as it now stands (every change, with a growing ``revision``): each neighbour shows it to
    its own inspectors, who sign at their own bureau. Team ids are as the drawing district
    keeps them: its own bare, a neighbour's ``<district>:<id>``. ``form_sha256`` fixes the
    record form a signature confirms (ADR 0010)."""

    service = "inspections"
    name = "joint-inspection-state"
    shared = True

    inspection_id: str
    task_id: str
    task_no: str
    task_title: str
    draw_id: str
    uscc: ObjectId
    entity_name: str
    area: str = ""
    deadline: date
    opened_at: datetime
    check_items: list[CheckItemRef] = Field(default_factory=list)
    team: list[TeamMember]
    status: str
    results: list[ItemResult] = Field(default_factory=list)
    not_inspected_reason: str = ""
    recorded_by: str = ""
    signatures: dict[str, datetime] = Field(default_factory=dict)
    form_sha256: str
    revision: int

    def aggregate_id(self) -> str:
        return self.inspection_id


class JointInspectionRecorded(Event):
    """A neighbour's inspector, leader of the drawing district's team, entered the record form
    at their own bureau (谁检查、谁录入). ``results``, ``not_inspected`` and ``withhold`` are the
    form as the inspections API takes it (``ResultsIn``); the drawing district validates it
    against its task as if entered there."""

    service = "inspections"
    name = "joint-inspection-recorded"
    shared = True

    inspection_id: str
    task_id: str
    drawing_district: str
    inspector_id: str
    results: list[dict[str, Any]] = Field(default_factory=list)
    not_inspected: dict[str, Any] | None = None
    withhold: dict[str, Any] | None = None
    recorded_at: datetime

    def aggregate_id(self) -> str:
        return self.inspection_id


class JointInspectionSigned(Event):
    """A neighbour's inspector, signed in at their own bureau, confirmed the record form of the
    drawing district's inspection as ``form_sha256`` fixes it. ``inspector_id`` is the
    inspector's own (bare) id; the drawing district reads it as ``<district>:<id>``."""

    service = "inspections"
    name = "joint-inspection-signed"
    shared = True

    inspection_id: str
    task_id: str
    drawing_district: str
    inspector_id: str
    form_sha256: str
    signed_at: datetime

    def aggregate_id(self) -> str:
        return self.inspection_id


class JointInspectionSubmitted(Event):
    """A neighbour's inspector, leader of the team, submitted the signed record form (as
    ``form_sha256`` fixes it) at their own bureau."""

    service = "inspections"
    name = "joint-inspection-submitted"
    shared = True

    inspection_id: str
    task_id: str
    drawing_district: str
    inspector_id: str
    form_sha256: str
    completed_on: date | None = None
    submitted_at: datetime

    def aggregate_id(self) -> str:
        return self.inspection_id


class NotInspectedReportItem(BaseModel):
    """One object of a "counted as done" report (第八条): not inspected, counted as done, as
    the submitted record form held it when the report was submitted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inspection_id: str
    task_id: str
    task_no: str
    task_title: str
    uscc: str
    entity_name: str
    area: str = ""
    reason: str  # NotInspectedReason's code: unreachable, serious_refusal, deregistered, …
    reason_label: str  # 情形, as the record form names it
    occurred_on: date | None = None  # 情形发生日期 (注销、吊销、撤销、迁出)
    completed_on: date  # 检查日期: the day the team established it
    submitted_on: date  # the day the record form was submitted (which period reports it)
    leader_id: str
    leader_name: str
    department: str  # 承办科室: the task's lead department
    remark: str = ""


class NotInspectedReportRef(BaseModel):
    """A department's report as a consolidated report took it in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    report_id: str
    department: str
    version: int
    items: int
    xlsx_sha256: str


class NotInspectedReportSubmitted(Event):
    """A department (the lead department of the tasks: a supervising department or a
    station) submitted its list of objects not inspected and counted as done in a period to
    the credit department (由各监管科室汇总后将名单报信用监管科). Final: a correction is a new
    version naming the one it replaces. Spans tasks, so it has no ``task_id``; ``task_ids``
    names the tasks whose objects it holds."""

    service = "inspections"
    name = "not-inspected-report-submitted"

    report_id: str
    department: str
    period_start: date
    period_end: date
    report_version: int  # 1, then each correction
    replaces: str = ""
    correction_reason: str = ""
    note: str = ""
    items: list[NotInspectedReportItem]
    task_ids: list[str]
    xlsx_sha256: str
    csv_sha256: str
    submitted_by: str
    submitted_by_name: str = ""
    submitted_at: datetime

    def aggregate_id(self) -> str:
        return self.report_id


class NotInspectedReportConsolidated(Event):
    """The credit department consolidated the departments' reports of a period into the
    report the city bureau receives (由信用监管科统一汇总并按市局要求上报). ``sources``: the
    department reports (and their file hashes) it took in. Final, like a department's."""

    service = "inspections"
    name = "not-inspected-report-consolidated"

    report_id: str
    period_start: date
    period_end: date
    report_version: int  # 1, then each correction
    replaces: str = ""
    correction_reason: str = ""
    note: str = ""
    sources: list[NotInspectedReportRef]
    items: list[NotInspectedReportItem]
    task_ids: list[str]
    xlsx_sha256: str
    csv_sha256: str
    submitted_by: str
    submitted_by_name: str = ""
    submitted_at: datetime

    def aggregate_id(self) -> str:
        return self.report_id
