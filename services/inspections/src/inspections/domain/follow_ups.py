"""Follow-up of what an inspection found (第十条). Pure rules, no I/O.

谁监管、谁负责: the task's lead department handles it and reports each outcome to the credit
supervision department (报信用监管科备案). A submission opens a follow-up when a result is
发现问题待后续处理 (kind ``problem``; an unreachable target is one too) or the target seriously
refused (kind ``refusal``: 后续监管措施). Outcomes::

    open ──rectified──▶ closed                          (已改正)
    open ──case_filed [suspected_crime]──▶ case_filed   (立案查处, case number)
    open | case_filed ──transferred──▶ transferred      (涉嫌犯罪移送司法机关)
    open | case_filed | transferred ──closed──▶ closed  (办结)
    case_filed ──rectified──▶ case_filed                (改正 noted; the case goes on)

A case filed on a suspected crime (kind ``suspected_crime``) must be transferred within N
working days of the filing (``transfer_due_on``); until then it cannot be closed, and past that
day it is overdue (第十三条: 未对涉嫌犯罪案件依法移送 is a failure of duty). A filing whose
deadline reaches a year with no holiday schedule yet is recorded all the same, the date pending
until the year is recorded (:meth:`FollowUp.recompute`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field

from inspections.domain.model import (
    FieldError,
    Inspection,
    InspectionStatus,
    NotAllowed,
    NotInspectedReason,
    ResultsInvalid,
    StateRefused,
)
from spotcheck_common.clock import china_date
from spotcheck_common.events.inspections import FollowUpKind, FollowUpOpened, FollowUpRecorded
from spotcheck_common.events.types import ResultCategory
from spotcheck_common.text import RequestModel
from spotcheck_common.workdays import Deadline, WorkCalendar

FOLLOW_UP_NS = uuid.UUID("a4b3e1d2-6c5f-4e8a-9b7d-1f0e2c3d4b5a")
DEFAULT_TRANSFER_WORKDAYS = 10


def follow_up_id_for(inspection_id: str) -> str:
    return str(uuid.uuid5(FOLLOW_UP_NS, inspection_id))


class FollowUpStatus(StrEnum):
    OPEN = "open"  # 待处理
    CASE_FILED = "case_filed"  # 已立案
    TRANSFERRED = "transferred"  # 已移送司法机关
    CLOSED = "closed"  # 已办结


STATUS_LABELS = {
    FollowUpStatus.OPEN: "待处理",
    FollowUpStatus.CASE_FILED: "已立案查处",
    FollowUpStatus.TRANSFERRED: "已移送司法机关",
    FollowUpStatus.CLOSED: "已办结",
}


class FollowUpAction(StrEnum):
    RECTIFIED = "rectified"  # 已改正
    CASE_FILED = "case_filed"  # 立案查处
    TRANSFERRED = "transferred"  # 涉嫌犯罪移送司法机关
    CLOSED = "closed"  # 办结


ALLOWED_FROM: dict[FollowUpAction, frozenset[FollowUpStatus]] = {
    FollowUpAction.RECTIFIED: frozenset({FollowUpStatus.OPEN, FollowUpStatus.CASE_FILED}),
    FollowUpAction.CASE_FILED: frozenset({FollowUpStatus.OPEN}),
    FollowUpAction.TRANSFERRED: frozenset({FollowUpStatus.OPEN, FollowUpStatus.CASE_FILED}),
    FollowUpAction.CLOSED: frozenset(
        {FollowUpStatus.OPEN, FollowUpStatus.CASE_FILED, FollowUpStatus.TRANSFERRED}
    ),
}


class OutcomeIn(RequestModel):
    """One outcome of a follow-up, as the lead department records it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: FollowUpAction = Field(
        description="rectified 已改正 / case_filed 立案查处 / transferred 移送司法机关 / "
        "closed 办结"
    )
    outcome: str = Field(min_length=2, max_length=1000, description="处理情况")
    case_no: str = Field("", max_length=100, description="案件编号（立案查处时必填）")
    suspected_crime: bool = Field(False, description="涉嫌犯罪（立案时标明；须及时移送司法机关）")
    recorded_on: date | None = Field(None, description="处理日期，默认今天")


def follow_up_kind(inspection: Inspection) -> FollowUpKind | None:
    """What a submitted inspection needs afterwards, if anything."""
    if inspection.not_inspected_reason is NotInspectedReason.SERIOUS_REFUSAL:
        return FollowUpKind.REFUSAL
    if any(r.category is ResultCategory.PROBLEM_PENDING for r in inspection.results):
        return FollowUpKind.PROBLEM
    return None


def finding(inspection: Inspection) -> str:
    if inspection.not_inspected_reason is not None:
        return inspection.not_inspected_label
    return "；".join(
        f"{r.check_item_name}：{r.pending_reason or r.category}"
        + (f"（{r.remark}）" if r.remark else "")
        for r in inspection.results
        if r.category is ResultCategory.PROBLEM_PENDING
    )


@dataclass
class FollowUp:
    follow_up_id: str
    inspection_id: str
    task_id: str
    task_no: str
    uscc: str
    entity_name: str
    kind: FollowUpKind
    lead_department: str
    reason: str
    opened_on: date
    opened_at: datetime
    status: FollowUpStatus = FollowUpStatus.OPEN
    case_no: str = ""
    suspected_crime_on: date | None = None
    transfer_due_on: date | None = None
    # The calendar versions transfer_due_on was computed with, or the year it waits for.
    transfer_due_calendar: str | None = None
    transfer_due_pending: int | None = None
    transferred_on: date | None = None
    rectified_on: date | None = None
    closed_on: date | None = None
    # Every outcome recorded, in order (append-only; 报信用监管科备案).
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    updated_at: datetime | None = None
    version: int = 0

    @classmethod
    def open_for(cls, inspection: Inspection, at: datetime) -> FollowUp | None:
        if inspection.status is not InspectionStatus.SUBMITTED:
            raise StateRefused("检查记录尚未提交")
        kind = follow_up_kind(inspection)
        if kind is None:
            return None
        return cls(
            follow_up_id=follow_up_id_for(inspection.inspection_id),
            inspection_id=inspection.inspection_id,
            task_id=inspection.task_id,
            task_no=inspection.task_no,
            uscc=inspection.uscc,
            entity_name=inspection.entity_name,
            kind=kind,
            lead_department=inspection.inspecting_authority,
            reason=finding(inspection),
            opened_on=china_date(at),
            opened_at=at,
            updated_at=at,
        )

    @property
    def transfer_deadline(self) -> Deadline | None:
        if self.suspected_crime_on is None:
            return None
        return Deadline(self.transfer_due_on, self.transfer_due_calendar, self.transfer_due_pending)

    def recompute(self, calendar: WorkCalendar, year: int, days: int) -> bool:
        """Recompute the transfer deadline if recording ``year`` may change it; True if it
        changed."""
        current = self.transfer_deadline
        if current is None or self.suspected_crime_on is None or not current.reads(year):
            return False
        self._set_transfer_deadline(calendar.deadline(self.suspected_crime_on, days))
        return self.transfer_deadline != current

    def _set_transfer_deadline(self, d: Deadline) -> None:
        self.transfer_due_on = d.due_on
        self.transfer_due_calendar = d.calendar_version
        self.transfer_due_pending = d.pending_year

    @property
    def is_open(self) -> bool:
        return self.status is not FollowUpStatus.CLOSED

    def overdue(self, today: date) -> bool:
        """A suspected crime not transferred by its due day (第十条、第十三条)."""
        return (
            self.transfer_due_on is not None
            and self.transferred_on is None
            and self.status is not FollowUpStatus.CLOSED
            and today > self.transfer_due_on
        )

    @property
    def transferred_late(self) -> bool:
        return (
            self.transfer_due_on is not None
            and self.transferred_on is not None
            and self.transferred_on > self.transfer_due_on
        )

    def opened_event(self) -> FollowUpOpened:
        return FollowUpOpened(
            follow_up_id=self.follow_up_id,
            inspection_id=self.inspection_id,
            task_id=self.task_id,
            uscc=self.uscc,
            kind=self.kind,
            lead_department=self.lead_department,
            opened_on=self.opened_on,
            due_on=None,
            task_no=self.task_no,
            entity_name=self.entity_name,
            reason=self.reason,
        )

    def record(
        self,
        outcome: OutcomeIn,
        by: str,
        at: datetime,
        calendar: WorkCalendar,
        transfer_workdays: int = DEFAULT_TRANSFER_WORKDAYS,
    ) -> FollowUpRecorded:
        """Record one outcome; a suspected crime's transfer deadline is counted on
        ``calendar`` (pending if it reaches a year the calendar does not cover)."""
        today = china_date(at)
        on = outcome.recorded_on or today
        errors: list[FieldError] = []
        if on > today:
            errors.append(FieldError("recorded_on", f"处理日期不能晚于今天（{today}）"))
        if on < self.opened_on:
            errors.append(
                FieldError("recorded_on", f"处理日期不能早于立项日期（{self.opened_on}）")
            )
        action = outcome.action
        if action is FollowUpAction.CASE_FILED and not outcome.case_no:
            errors.append(FieldError("case_no", "立案查处须填写案件编号"))
        if outcome.suspected_crime and action not in (
            FollowUpAction.CASE_FILED,
            FollowUpAction.TRANSFERRED,
        ):
            errors.append(FieldError("suspected_crime", "仅立案或移送时标明涉嫌犯罪"))
        if errors:
            raise ResultsInvalid(errors)
        if self.status not in ALLOWED_FROM[action]:
            raise StateRefused(
                f"后续处理当前为「{STATUS_LABELS[self.status]}」，不能记录「{action}」",
                status=str(self.status),
            )
        if (
            action is FollowUpAction.CLOSED
            and self.kind is FollowUpKind.SUSPECTED_CRIME
            and self.transferred_on is None
        ):
            raise StateRefused(
                "涉嫌犯罪的案件须先移送司法机关，方可办结（第十条）", status=str(self.status)
            )
        closed = False
        if action is FollowUpAction.RECTIFIED:
            self.rectified_on = on
            if self.status is FollowUpStatus.OPEN:
                self.status, self.closed_on, closed = FollowUpStatus.CLOSED, on, True
        elif action is FollowUpAction.CASE_FILED:
            self.status, self.case_no = FollowUpStatus.CASE_FILED, outcome.case_no
            self.kind = FollowUpKind.VIOLATION
            if outcome.suspected_crime:
                self._suspected_crime(on, calendar, transfer_workdays)
        elif action is FollowUpAction.TRANSFERRED:
            if self.kind is not FollowUpKind.SUSPECTED_CRIME:
                self._suspected_crime(on, calendar, transfer_workdays)
            self.status, self.transferred_on = FollowUpStatus.TRANSFERRED, on
            if outcome.case_no and not self.case_no:
                self.case_no = outcome.case_no
        else:
            self.status, self.closed_on, closed = FollowUpStatus.CLOSED, on, True
        self.outcomes.append(
            {
                "action": str(action),
                "outcome": outcome.outcome,
                "case_no": outcome.case_no,
                "suspected_crime": outcome.suspected_crime,
                "recorded_on": on.isoformat(),
                "recorded_by": by,
                "at": at.isoformat(),
            }
        )
        self.updated_at = at
        return FollowUpRecorded(
            follow_up_id=self.follow_up_id,
            task_id=self.task_id,
            uscc=self.uscc,
            action=str(action),
            outcome=outcome.outcome,
            case_no=self.case_no,
            recorded_on=on,
            recorded_by=by,
            closed=closed,
            kind=self.kind,
            lead_department=self.lead_department,
            suspected_crime=self.kind is FollowUpKind.SUSPECTED_CRIME,
            transfer_due_on=self.transfer_due_on,
            calendar_version=self.transfer_due_calendar,
        )

    def _suspected_crime(self, on: date, calendar: WorkCalendar, days: int) -> None:
        self.kind = FollowUpKind.SUSPECTED_CRIME
        self.suspected_crime_on = on
        self._set_transfer_deadline(calendar.deadline(on, days))


def check_lead_department(follow_up: FollowUp, roles: set[str], department: str) -> None:
    """The lead department (监管科室 of that department) or the credit department records."""
    if "credit_dept" in roles:
        return
    if "supervising_dept" in roles and department == follow_up.lead_department:
        return
    raise NotAllowed(
        f"只有牵头监管科室（{follow_up.lead_department}）或信用监管科可以记录后续处理结果",
        department=department,
    )
