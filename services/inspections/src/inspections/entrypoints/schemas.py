"""The inspections API's request and response models (what the OpenAPI document shows).

Instants are ISO 8601 strings as the service has always written them (``isoformat()``), dates
are ``YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from inspections.domain import attachments as att
from inspections.domain.follow_ups import STATUS_LABELS as FOLLOW_UP_LABELS
from inspections.domain.follow_ups import FollowUp
from inspections.domain.joint import JointInspection
from inspections.domain.model import (
    STATUS_LABELS,
    Inspection,
    InspectionStatus,
    NotInspected,
    ResultEntry,
    Withhold,
)
from inspections.domain.visits import Visit
from inspections.service_layer import views
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import ItemResult, Sample
from spotcheck_common.events.planning import CheckItemRef
from spotcheck_common.objects import ObjectKind
from spotcheck_common.text import RequestModel

MAX_SAMPLES = 100

# ---------------------------------------------------------------------------- requests


class ResultsIn(RequestModel):
    """The whole record form: one result per check item of the task; or, for a target not
    inspected (第八条), the reason (every item then carries its national category)."""

    model_config = ConfigDict(extra="forbid")

    results: list[ResultEntry] = Field(default_factory=list)
    not_inspected: NotInspected | None = Field(
        None, description="未开展检查、视为完成抽查的情形（无法联系、不配合检查情节严重、注销等）"
    )
    withhold: Withhold | None = Field(
        None, description="依法依规不予公示：理由及法律依据（检查结果记录但不公示）"
    )


class VisitResultEntry(ResultEntry):
    """One line of one task's record form, recorded for the whole visit."""

    task_id: str = Field(min_length=1, description="该检查事项所属的抽查任务")


class VisitResultsIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    results: list[VisitResultEntry] = Field(default_factory=list)
    not_inspected: NotInspected | None = None

    def entries(self) -> list[tuple[str, ResultEntry]]:
        """(task_id, result) per line."""
        return [
            (e.task_id, ResultEntry.model_validate(e.model_dump(exclude={"task_id"})))
            for e in self.results
        ]


class SamplesIn(RequestModel):
    """A product's samples (抽样, ADR 0011): the whole list, replacing the one recorded."""

    model_config = ConfigDict(extra="forbid")

    samples: list[Sample] = Field(
        max_length=MAX_SAMPLES, description="抽取的样品（整表替换；提交前至少一个）"
    )


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    completed_on: date | None = Field(None, description="检查完成日期，默认今天")


# --------------------------------------------------------------------------- responses


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class HistoryEntry(BaseModel):
    action: str
    actor: str
    at: str
    detail: dict[str, Any]


class InspectionOut(BaseModel):
    """An inspection (one target of one task): its record form, team, signatures, state."""

    inspection_id: str
    task_id: str
    task_no: str
    task_title: str
    draw_id: str
    uscc: str
    entity_name: str
    object_kind: ObjectKind = Field(description="检查对象类别（由对象编码得出）")
    details: dict[str, str] = Field(description="产品、项目、行为的登记信息；市场主体等为空")
    samples: list[Sample] = Field(description="产品抽样登记的样品")
    risk_class: str
    inspecting_authority: str
    check_type: str
    deadline: date
    status: InspectionStatus
    status_label: str
    check_items: list[CheckItemRef]
    team: list[TeamMember]
    results: list[ItemResult]
    signatures: dict[str, str] = Field(description="执法人员编号 → 签名时间")
    unsigned: list[str] = Field(description="尚未签名的检查组成员")
    recorded_by: str | None
    recorded_at: str | None
    submitted_by: str | None
    submitted_at: str | None
    completed_on: date | None
    version: int
    plan_no: str
    plan_name: str
    visit_id: str | None
    visit_leader_id: str | None
    not_inspected_reason: str | None
    not_inspected_label: str | None
    not_inspected_on: date | None
    done: bool = Field(description="视为完成抽查：已提交（检查或未检查）")
    withhold_reason: str | None

    @classmethod
    def of(cls, i: Inspection) -> InspectionOut:
        return cls(
            inspection_id=i.inspection_id,
            task_id=i.task_id,
            task_no=i.task_no,
            task_title=i.task_title,
            draw_id=i.draw_id,
            uscc=i.uscc,
            entity_name=i.entity_name,
            object_kind=i.object_kind,
            details=dict(i.details),
            samples=list(i.samples),
            risk_class=i.risk_class,
            inspecting_authority=i.inspecting_authority,
            check_type=i.check_type,
            deadline=i.deadline,
            status=i.status,
            status_label=STATUS_LABELS[i.status],
            check_items=list(i.check_items),
            team=list(i.team),
            results=list(i.results),
            signatures={k: v.isoformat() for k, v in sorted(i.signatures.items())},
            unsigned=i.unsigned,
            recorded_by=i.recorded_by,
            recorded_at=_iso(i.recorded_at),
            submitted_by=i.submitted_by,
            submitted_at=_iso(i.submitted_at),
            completed_on=i.completed_on,
            version=i.version,
            plan_no=i.plan_no,
            plan_name=i.plan_name,
            visit_id=i.visit_id or None,
            visit_leader_id=i.visit_leader_id or None,
            not_inspected_reason=str(i.not_inspected_reason) if i.not_inspected_reason else None,
            not_inspected_label=i.not_inspected_label or None,
            not_inspected_on=i.not_inspected_on,
            # Counts as done (视为完成抽查): submitted, inspected or not.
            done=i.status is InspectionStatus.SUBMITTED,
            withhold_reason=i.withhold_reason or None,
        )


class InspectionDetail(InspectionOut):
    history: list[HistoryEntry] = Field(description="全程记录")

    @classmethod
    def with_history(cls, i: Inspection, history: list[dict[str, Any]]) -> InspectionDetail:
        return cls(
            **InspectionOut.of(i).model_dump(),
            history=[HistoryEntry.model_validate(h) for h in history],
        )


class InspectionPage(BaseModel):
    total: int
    items: list[InspectionOut]


# ---------------------------------------------------------------------------- visits


class VisitCheckItem(CheckItemRef):
    task_id: str


class TaskCheckItem(VisitCheckItem):
    task_no: str


class VisitInspection(BaseModel):
    inspection_id: str
    task_id: str
    task_no: str
    task_title: str
    deadline: date
    status: InspectionStatus
    status_label: str
    team: list[TeamMember]
    unsigned: list[str]
    check_items: list[VisitCheckItem]
    results: list[ItemResult]

    @classmethod
    def of(cls, i: Inspection) -> VisitInspection:
        return cls(
            inspection_id=i.inspection_id,
            task_id=i.task_id,
            task_no=i.task_no,
            task_title=i.task_title,
            deadline=i.deadline,
            status=i.status,
            status_label=STATUS_LABELS[i.status],
            team=list(i.team),
            unsigned=i.unsigned,
            check_items=[
                VisitCheckItem(**c.model_dump(), task_id=i.task_id) for c in i.check_items
            ],
            results=list(i.results),
        )


class VisitOut(BaseModel):
    """One visit (进一次门、查多项事): the tasks' inspections of one target, one team."""

    visit_id: str
    uscc: str
    entity_name: str
    leader: TeamMember
    lead_task_id: str
    lead_inspection_id: str
    members: list[dict[str, Any]]
    created_at: str
    done: bool
    inspections: list[VisitInspection]
    check_items: list[TaskCheckItem] = Field(
        description="各任务的检查事项（注明所属任务）：检查组逐项检查的清单"
    )
    version: int

    @classmethod
    def of(cls, v: Visit, inspections: list[Inspection]) -> VisitOut:
        return cls(
            visit_id=v.visit_id,
            uscc=v.uscc,
            entity_name=v.entity_name,
            leader=v.leader,
            lead_task_id=v.lead_task_id,
            lead_inspection_id=v.lead_inspection_id,
            members=v.members,
            created_at=v.created_at.isoformat(),
            done=all(i.status is InspectionStatus.SUBMITTED for i in inspections),
            inspections=[VisitInspection.of(i) for i in inspections],
            check_items=[
                TaskCheckItem(**c.model_dump(), task_id=i.task_id, task_no=i.task_no)
                for i in inspections
                for c in i.check_items
            ],
            version=v.version,
        )


class VisitDetail(VisitOut):
    history: list[dict[str, Any]] = Field(description="全程记录")

    @classmethod
    def with_history(
        cls, v: Visit, inspections: list[Inspection], history: list[dict[str, Any]]
    ) -> VisitDetail:
        return cls(**VisitOut.of(v, inspections).model_dump(), history=history)


class VisitPage(BaseModel):
    total: int = Field(description="本页的条数")
    items: list[VisitOut]


# ---------------------------------------------------------------------------- attachments


class AttachmentOut(BaseModel):
    attachment_id: str
    inspection_id: str
    task_id: str
    uscc: str
    kind: str
    kind_label: str
    filename: str
    media_type: str
    size: int
    sha256: str
    added_by: str
    added_at: str

    @classmethod
    def of(cls, a: att.Attachment) -> AttachmentOut:
        return cls(
            attachment_id=a.attachment_id,
            inspection_id=a.inspection_id,
            task_id=a.task_id,
            uscc=a.uscc,
            kind=str(a.kind),
            kind_label=att.KIND_LABELS[a.kind],
            filename=a.filename,
            media_type=a.media_type,
            size=a.size,
            sha256=a.sha256,
            added_by=a.added_by,
            added_at=a.added_at.isoformat(),
        )


class AttachmentPage(BaseModel):
    total: int
    items: list[AttachmentOut]


# ---------------------------------------------------------------------------- follow-ups


class TransferDueOut(BaseModel):
    due_on: str | None = Field(description="移送期限；待定时为空")
    due_status: Literal["set", "pending_calendar"]
    calendar_version: str | None
    pending_reason: str | None


class FollowUpOut(BaseModel):
    """A follow-up of a finding (第十条), its transfer clock and outcomes."""

    follow_up_id: str
    inspection_id: str
    task_id: str
    task_no: str
    uscc: str
    entity_name: str
    kind: str
    lead_department: str
    reason: str
    status: str
    status_label: str
    case_no: str | None
    opened_on: date
    suspected_crime_on: date | None
    transfer_due_on: date | None
    transfer_due: TransferDueOut | None = Field(
        description="移送期限：该年节假日安排尚未录入时待定"
    )
    transferred_on: date | None
    rectified_on: date | None
    closed_on: date | None
    overdue: bool = Field(description="涉嫌犯罪逾期未移送")
    transferred_late: bool
    outcomes: list[dict[str, Any]]
    version: int

    @classmethod
    def of(cls, f: FollowUp, today: date) -> FollowUpOut:
        due = f.transfer_deadline
        return cls(
            follow_up_id=f.follow_up_id,
            inspection_id=f.inspection_id,
            task_id=f.task_id,
            task_no=f.task_no,
            uscc=f.uscc,
            entity_name=f.entity_name,
            kind=str(f.kind),
            lead_department=f.lead_department,
            reason=f.reason,
            status=str(f.status),
            status_label=FOLLOW_UP_LABELS[f.status],
            case_no=f.case_no or None,
            opened_on=f.opened_on,
            suspected_crime_on=f.suspected_crime_on,
            transfer_due_on=f.transfer_due_on,
            # Pending while the year the deadline reaches has no holiday schedule yet.
            transfer_due=TransferDueOut.model_validate(due.json()) if due else None,
            transferred_on=f.transferred_on,
            rectified_on=f.rectified_on,
            closed_on=f.closed_on,
            overdue=f.overdue(today),
            transferred_late=f.transferred_late,
            outcomes=f.outcomes,
            version=f.version,
        )


class FollowUpRegister(BaseModel):
    total: int
    overdue: int = Field(description="逾期未移送的条数")
    transfer_due_workdays: int = Field(description="移送时限（工作日）")
    items: list[FollowUpOut]


# ------------------------------------------------------- a neighbour's joint inspections


class JointInspectionOut(BaseModel):
    """A neighbour district's inspection with this bureau's inspectors on the team (issue 10):
    the form as the drawing district last sent it, and what this bureau's inspectors signed."""

    inspection_id: str
    drawing_district: str = Field(description="抽取区（检查记录由该区保存）")
    task_no: str
    task_title: str
    draw_id: str
    uscc: str
    entity_name: str
    area: str
    deadline: date
    team: list[TeamMember] = Field(description="检查组；本局以外人员编号为「区:编号」")
    our_members: list[str] = Field(description="本局在检查组中的执法人员编号")
    status: str
    status_label: str
    results: list[ItemResult]
    not_inspected_reason: str
    recorded_by: str
    check_items: list[CheckItemRef]
    signatures: dict[str, datetime] = Field(description="抽取区已记录的签名")
    acted_here: dict[str, dict[str, Any]] = Field(
        description="本局人员在本局办理的录入、签名、提交（「办理:编号」→ form_sha256、时间）；"
        "以抽取区记录为准"
    )
    form_sha256: str = Field(description="当前检查结果的摘要：签名所确认的内容")
    revision: int
    received_at: datetime

    @classmethod
    def of(cls, j: JointInspection, district: str) -> JointInspectionOut:
        s = j.state
        return cls(
            inspection_id=j.inspection_id,
            drawing_district=j.drawing_district,
            task_no=s.task_no,
            task_title=s.task_title,
            draw_id=s.draw_id,
            uscc=s.uscc,
            entity_name=s.entity_name,
            area=s.area,
            deadline=s.deadline,
            team=list(s.team),
            our_members=j.members_of(district),
            status=s.status,
            status_label=STATUS_LABELS.get(InspectionStatus(s.status), s.status),
            results=list(s.results),
            check_items=list(s.check_items),
            not_inspected_reason=s.not_inspected_reason,
            recorded_by=s.recorded_by,
            signatures=dict(s.signatures),
            acted_here=dict(j.acted_here),
            form_sha256=s.form_sha256,
            revision=s.revision,
            received_at=j.received_at,
        )


class JointInspectionPage(BaseModel):
    total: int
    items: list[JointInspectionOut]


class WorkloadOut(BaseModel):
    """One inspector of this bureau in a year (检查任务量): this bureau's inspections and the
    neighbours' joint inspections they are on, open and submitted."""

    inspector_id: str
    name: str
    own: dict[str, int] = Field(description="本局任务：open 未提交、submitted 已提交")
    neighbours: dict[str, dict[str, int]] = Field(description="相邻区联合抽取任务，按抽取区")
    total: int

    @classmethod
    def of(cls, w: views.Workload) -> WorkloadOut:
        return cls(
            inspector_id=w.inspector_id,
            name=w.name,
            own=w.own,
            neighbours=w.neighbours,
            total=w.total,
        )


class WorkloadList(BaseModel):
    year: int
    items: list[WorkloadOut]
