"""Objections domain (pure rules, no I/O): deadlines on working days, decisions, overdue flags.

第十一条: the review is due within 20 working days of receiving the application; the review
result is fed back to the entity within 15 working days of the review result; a confirmed
error is corrected within 5 working days. Working days follow the official calendar the
service holds; the day of receipt / decision is not counted (``WorkCalendar.add_workdays``).

A clock whose end reaches a year with no holiday schedule yet is *pending*: the objection is
received all the same, and the date is computed when the year is recorded (:func:`recompute`).
Each computed date keeps the calendar versions it was computed with.

第九条: the correction is requested from the city bureau (``domain.requests``). The 5 working
days are the bureau's own time: a request sent within them stops the correction clock while
the city holds it (the days after the request's date up to the reply's date do not count); a
grant starts it again from the reply's date with the working days it had left (none left: due
that same day); a refusal closes it, nothing being the bureau's to correct. A request sent
after the clock ran out stops nothing: the correction is late. The review and feedback clocks
do not wait for the city.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from objections.domain.scans import MISSING, Scan, Upload
from spotcheck_common import objects
from spotcheck_common.errors import Conflict, DomainError, Forbidden, Invalid
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import ObjectionDecision, ResultCategory
from spotcheck_common.workdays import CalendarNotCovered, Deadline, WorkCalendar

REVIEW_WORKDAYS = 20
FEEDBACK_WORKDAYS = 15
CORRECTION_WORKDAYS = 5
# The three clocks of 第十一条 and their length in working days.
CLOCKS = {
    "review": REVIEW_WORKDAYS,
    "feedback": FEEDBACK_WORKDAYS,
    "correction": CORRECTION_WORKDAYS,
}


class Status(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    CORRECTED = "corrected"


STATUS_LABELS = {
    Status.PENDING: "待复查",
    Status.UPHELD: "复查维持原结果",
    Status.CORRECTED: "复查确有错误，予以更正",
}


@dataclass(frozen=True)
class PublishedRecord:
    record_id: str
    task_id: str
    task_no: str
    task_title: str
    uscc: str
    entity_name: str
    current_version: int
    results: list[ItemResult]
    lead_department: str = ""
    # The day the result was first published (China): no objection is received before it.
    published_on: date | None = None
    # A product's, project's or conduct's fields (ResultPublished.details, ADR 0011).
    details: dict[str, str] = field(default_factory=dict)


def code_label(code: str) -> str:
    """What a code is called in a message: a registry-assigned id is no credit code."""
    return "对象编码" if code.upper().startswith(objects.NAMESPACE) else "统一社会信用代码"


def online_applicant(record: PublishedRecord) -> str | None:
    """Whose credit code may object online, in its own name, to the record (第十一条): an
    organisation's own; a product's producer's (the product has no code of its own); none for a
    project or a conduct, whose objection comes on paper through the credit department."""
    kind = objects.kind_of(record.uscc)
    if objects.has_uscc(kind):
        return record.uscc
    if kind is objects.ObjectKind.PRODUCT:
        return record.details.get("producer_uscc") or None
    return None


def check_applicant(record: PublishedRecord, applicant: str | None) -> None:
    """An entity filing in its own name (``applicant``, its token's code) must be the one
    ``online_applicant`` names; the credit department (``None``) registers for anyone."""
    if applicant is None:
        return
    allowed = online_applicant(record)
    if allowed is None:
        raise Forbidden(
            f"{objects.LABELS[objects.kind_of(record.uscc)]}的检查结果不能在网上提出异议："
            "请提交书面申请，由信用监管科登记"
        )
    if applicant.upper() != allowed:
        whose = "生产者" if allowed != record.uscc else "检查对象"
        raise Forbidden(
            f"只有该检查结果的{whose}（统一社会信用代码 {allowed}）能以本单位名义提出异议："
            f"令牌中的统一社会信用代码为「{applicant or '（无）'}」"
        )


@dataclass
class Objection:
    objection_id: str
    record_id: str
    record_version: int
    task_id: str
    uscc: str
    reason: str
    received_on: date
    review_due_on: date | None
    filed_by: str
    filed_at: datetime
    status: Status = Status.PENDING
    decision_reason: str | None = None
    reviewer: str | None = None
    decided_on: date | None = None
    decided_at: datetime | None = None
    corrected_results: list[ItemResult] | None = None
    feedback_due_on: date | None = None
    correction_due_on: date | None = None
    feedback_given_on: date | None = None
    feedback_note: str | None = None
    feedback_by: str | None = None
    correction_published_on: date | None = None
    correction_version: int | None = None
    review_department: str = ""
    correction_submitted_by: str | None = None
    correction_submitted_on: date | None = None
    correction_submitted_at: datetime | None = None
    correction_note: str | None = None
    # Per clock: the calendar versions its date was computed with, or the year it waits for.
    review_due_calendar: str | None = None
    review_due_pending: int | None = None
    feedback_due_calendar: str | None = None
    feedback_due_pending: int | None = None
    correction_due_calendar: str | None = None
    correction_due_pending: int | None = None
    # 第九条: the correction's request to the city bureau (its id and document date), the
    # reply's date and whether it granted; whether the request stopped the correction clock.
    city_request_id: str | None = None
    city_requested_on: date | None = None
    city_replied_on: date | None = None
    city_granted: bool | None = None
    correction_suspended: bool = False
    # A paper application's scan (kept in its own table); None for an online objection.
    scan: Scan | None = None


def clock_start(o: Objection, clock: str) -> date | None:
    """The day a clock starts from (not counted); None while it has not started."""
    if clock == "review":
        return o.received_on
    if clock == "correction" and o.status != Status.CORRECTED:
        return None
    return o.decided_on


def deadline_of(o: Objection, clock: str) -> Deadline | None:
    if clock_start(o, clock) is None:
        return None
    return Deadline(
        getattr(o, f"{clock}_due_on"),
        getattr(o, f"{clock}_due_calendar"),
        getattr(o, f"{clock}_due_pending"),
    )


def set_deadline(o: Objection, clock: str, d: Deadline) -> None:
    setattr(o, f"{clock}_due_on", d.due_on)
    setattr(o, f"{clock}_due_calendar", d.calendar_version)
    setattr(o, f"{clock}_due_pending", d.pending_year)


def start_clock(o: Objection, clock: str, calendar: WorkCalendar) -> None:
    start = clock_start(o, clock)
    assert start is not None, clock
    if clock == "correction" and resumed(o):
        set_deadline(o, clock, resumed_deadline(o, calendar))
    else:
        set_deadline(o, clock, calendar.deadline(start, CLOCKS[clock]))


def resumed(o: Objection) -> bool:
    """The city granted a request that had stopped the correction clock: it runs again."""
    return o.correction_suspended and o.city_granted is True


def correction_stopped(o: Objection) -> bool:
    """The city holds a request sent in time, or refused it: nothing is due from the bureau."""
    return o.correction_suspended and o.city_granted is not True


def resumed_deadline(o: Objection, calendar: WorkCalendar) -> Deadline:
    """The working days left when the request was sent, counted from the city's reply."""
    assert o.decided_on and o.city_requested_on and o.city_replied_on
    try:
        left = CORRECTION_WORKDAYS - calendar.count_workdays(o.decided_on, o.city_requested_on)
        due = calendar.add_workdays(o.city_replied_on, left) if left > 0 else o.city_replied_on
        return Deadline(due, calendar.version_label(o.decided_on + timedelta(days=1), due))
    except CalendarNotCovered as exc:
        return Deadline(None, pending_year=exc.year)


def recompute(o: Objection, calendar: WorkCalendar, year: int) -> list[str]:
    """Recompute the clocks that waited for ``year`` or were computed with another version of
    it; the clocks whose date changed."""
    changed = []
    for clock in CLOCKS:
        current = deadline_of(o, clock)
        if current is None or not current.reads(year):
            continue
        start_clock(o, clock, calendar)
        if deadline_of(o, clock) != current:
            changed.append(clock)
    return changed


def pending_clocks(o: Objection) -> list[str]:
    """The started clocks whose date waits for a year's holiday schedule."""
    return [c for c in CLOCKS if (d := deadline_of(o, c)) is not None and d.pending]


def check_corrections(record: PublishedRecord, changes: Sequence[ItemResult]) -> list[ItemResult]:
    """Validate a reviewer's corrected results against the record's current items.

    Each names a check item of the record (code and name), at most once; a sub-reason only with
    发现问题待后续处理; together they change at least one published result.
    """
    if not changes:
        raise DomainError("决定更正时须填写 corrected_results（需更正的检查事项结果）")
    by_code = {r.check_item_code: r for r in record.results}
    seen: set[str] = set()
    changed = False
    for c in changes:
        code = c.check_item_code
        if code not in by_code:
            raise DomainError(f"检查事项 {code} 不在该检查结果中", check_item_code=code)
        if code in seen:
            raise DomainError(f"检查事项 {code} 重复出现", check_item_code=code)
        seen.add(code)
        if c.check_item_name != by_code[code].check_item_name:
            raise DomainError(
                f"检查事项 {code} 的名称应为「{by_code[code].check_item_name}」",
                check_item_code=code,
            )
        if c.pending_reason is not None and c.category != ResultCategory.PROBLEM_PENDING:
            raise DomainError(
                f"检查事项 {code}：只有「{ResultCategory.PROBLEM_PENDING}」可填写后续处理原因",
                check_item_code=code,
            )
        changed = changed or c != by_code[code]
    if not changed:
        raise DomainError("更正结果与现公示结果相同；如无错误请选择维持（upheld）")
    return list(changes)


def check_received_on(record: PublishedRecord, received: date, today: date) -> None:
    """An objection is received between the result's publication and today."""
    if received > today:
        raise Invalid("收到异议申请的日期不能晚于今天", field="received_on")
    if record.published_on is not None and received < record.published_on:
        raise Invalid(
            f"收到异议申请的日期 {received} 早于该检查结果公示之日 {record.published_on}，不能受理",
            field="received_on",
        )


def check_channel(paper: bool, received_on: date | None, upload: Upload | None) -> None:
    """Online, the entity's objection is received on the system's day and carries nothing
    else; on paper, the credit department registers the day it was received (default today)
    and the scan of the paper, without which it is not registered."""
    if paper:
        if upload is None:
            raise Invalid(MISSING, field="file")
        return
    if received_on is not None:
        raise Invalid(
            "网上提出的异议以系统收到之日为准，不能自选日期；"
            "书面申请由信用监管科按收到之日登记（received_on）"
        )
    if upload is not None:
        raise Invalid("网上提出的异议不附扫描件；书面申请由信用监管科登记并上传扫描件")


def may_review(objection: Objection, department: str, credit_department: bool) -> None:
    """Only the department named to review the objection decides it, or the credit
    department (第十一条); an objection not yet assigned is taken by its first reviewer."""
    if credit_department or not objection.review_department:
        return
    if department != objection.review_department:
        raise Forbidden(
            f"该异议由「{objection.review_department}」复查，"
            f"「{department or '（令牌未载明科室）'}」不能作出复查决定或登记反馈"
        )


def decide(
    objection: Objection,
    decision: ObjectionDecision,
    reason: str,
    reviewer: str,
    decided_on: date,
    decided_at: datetime,
    corrected_results: list[ItemResult] | None,
    calendar: WorkCalendar,
) -> None:
    """Record the review result and the deadlines that start from it."""
    if decided_on < objection.received_on:
        raise DomainError("复查日期不能早于收到异议申请的日期")
    objection.status = Status(decision.value)
    objection.decision_reason = reason
    objection.reviewer = reviewer
    objection.decided_on = decided_on
    objection.decided_at = decided_at
    start_clock(objection, "feedback", calendar)
    if decision == ObjectionDecision.CORRECTED:
        objection.corrected_results = corrected_results
        start_clock(objection, "correction", calendar)


def overdue(o: Objection, today: date) -> dict[str, bool]:
    """Per clock: late if it was done after its due date, or is still not done past it (a
    pending clock is neither)."""
    review = o.review_due_on is not None and (o.decided_on or today) > o.review_due_on
    feedback = o.feedback_due_on is not None and (o.feedback_given_on or today) > o.feedback_due_on
    # A refusal ends the correction clock, late only if the request was (it stopped nothing).
    refused_on = o.city_replied_on if o.city_granted is False else None
    correction = (
        o.correction_due_on is not None
        and not correction_stopped(o)
        and (o.correction_published_on or refused_on or today) > o.correction_due_on
    )
    return {
        "review": review,
        "feedback": feedback,
        "correction": correction,
        "any": review or feedback or correction,
    }


# Kinds of the shared gauge ``spotcheck_overdue_items`` (one per clock of 第十一条).
KIND_REVIEW = "objection_review"
KIND_FEEDBACK = "objection_feedback"
KIND_CORRECTION = "objection_correction"
KINDS = (KIND_REVIEW, KIND_FEEDBACK, KIND_CORRECTION)
KIND_BY_CLOCK = {"review": KIND_REVIEW, "feedback": KIND_FEEDBACK, "correction": KIND_CORRECTION}
UNASSIGNED = "未指定"


def outstanding_overdue(o: Objection, today: date) -> list[str]:
    """The clocks that have run out and are still open today (not those done late): what
    someone has to act on now. Each is a kind of the overdue gauge."""
    kinds = []
    if o.decided_on is None and o.review_due_on is not None and today > o.review_due_on:
        kinds.append(KIND_REVIEW)
    if o.feedback_due_on is not None and o.feedback_given_on is None and today > o.feedback_due_on:
        kinds.append(KIND_FEEDBACK)
    if (
        o.correction_due_on is not None
        and o.correction_published_on is None
        and o.city_granted is not False
        and not correction_stopped(o)
        and today > o.correction_due_on
    ):
        kinds.append(KIND_CORRECTION)
    return kinds


def department(o: Objection) -> str:
    return o.review_department or UNASSIGNED


def check_requestable(o: Objection) -> None:
    """A confirmed error not yet requested of the city, nor already published."""
    if o.status == Status.PENDING:
        raise Conflict("尚未作出复查结果，不能报请更正")
    if o.status != Status.CORRECTED or not o.corrected_results:
        raise DomainError("只有经复查确有错误（corrected）的异议才需报请更正")
    if o.city_request_id is not None:
        raise Conflict(f"该异议的更正已于 {o.city_requested_on} 报请市局，不能重复报请")
    if o.correction_published_on is not None:
        raise Conflict(
            f"该异议的更正已于 {o.correction_published_on} 公示（第 "
            f"{o.correction_version} 版），无需报请"
        )


def request_city(
    o: Objection,
    request_id: str,
    requested_by: str,
    requested_on: date,
    requested_at: datetime,
    note: str,
    calendar: WorkCalendar,
) -> None:
    """The credit department requests the correction a review confirmed of the city bureau
    (第九条); sent within the correction clock, it stops the clock until the city replies."""
    check_requestable(o)
    assert o.decided_on is not None
    used = calendar.elapsed(o.decided_on, requested_on)
    o.city_request_id = request_id
    o.city_requested_on = requested_on
    # A day the calendar cannot count yet is not held against the bureau.
    o.correction_suspended = used is None or used <= CORRECTION_WORKDAYS
    o.correction_submitted_by = requested_by
    o.correction_submitted_on = requested_on
    o.correction_submitted_at = requested_at
    o.correction_note = note


def city_replied(o: Objection, granted: bool, replied_on: date, calendar: WorkCalendar) -> None:
    """The city's reply: a grant starts a stopped correction clock again."""
    o.city_replied_on = replied_on
    o.city_granted = granted
    if resumed(o):
        start_clock(o, "correction", calendar)
