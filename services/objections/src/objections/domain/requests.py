"""Corrections requested from the city bureau (第九条). Pure rules, no I/O.

"检查结果一经公示不得擅自更改。但事后发现检查结果确有错误的，及时报信用监管科汇集，由信用监管科
依规向市局报请更正": the district bureau does not correct a published result itself. The credit
department requests it of the city bureau by a document (its number 文号 and date); the city's
reply — granted or refused, with its own document number and date, and the document itself
when the bureau has a scan of it — is recorded by the credit department. Only a grant lets
publication issue the new version; a refusal of an objection's correction is answered to the
entity. The error comes from an objection's review (``source`` objection) or was found by the
bureau itself (``source`` credit_department); both go through the same request.

One request per objection; at most one request of a record waits for the city at a time (two
would merge onto the same published version).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from objections.domain.scans import Scan
from spotcheck_common.errors import Conflict, DomainError, Invalid
from spotcheck_common.events.inspections import ItemResult

SOURCE_OBJECTION = "objection"
SOURCE_CREDIT_DEPARTMENT = "credit_department"
# The name a reply's scan sent without one is kept under.
DOCUMENT_NAME = "市局批复"


class RequestStatus(StrEnum):
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"


STATUS_LABELS = {
    RequestStatus.REQUESTED: "已报市局，待批复",
    RequestStatus.GRANTED: "市局同意更正",
    RequestStatus.REFUSED: "市局不予更正",
}


@dataclass
class CorrectionRequest:
    request_id: str
    record_id: str
    task_id: str
    uscc: str
    objection_id: str | None
    source: str
    corrected_results: list[ItemResult]
    reason: str
    request_no: str
    requested_on: date
    requested_by: str
    requested_at: datetime
    record_version: int
    note: str = ""
    status: RequestStatus = RequestStatus.REQUESTED
    reply_no: str | None = None
    replied_on: date | None = None
    reply_reason: str | None = None
    reply_recorded_by: str | None = None
    reply_recorded_at: datetime | None = None
    # The scan of the city's document (kept in its own table), if the bureau attached one.
    document: Scan | None = None


def check_requested_on(requested_on: date, earliest: date | None, today: date) -> None:
    """A request's document is dated between the act it follows (the review result, or the
    result's publication) and today."""
    if requested_on > today:
        raise Invalid("报请更正文件的日期不能晚于今天", field="requested_on")
    if earliest is not None and requested_on < earliest:
        raise Invalid(
            f"报请更正文件的日期 {requested_on} 早于 {earliest}（复查结果或公示之日）",
            field="requested_on",
        )


def record_reply(
    r: CorrectionRequest,
    granted: bool,
    reply_no: str,
    replied_on: date,
    reason: str,
    recorded_by: str,
    recorded_at: datetime,
    today: date,
) -> None:
    """The city's reply, once; a refusal says why (the entity is told)."""
    if r.status != RequestStatus.REQUESTED:
        raise Conflict(
            f"该报请已于 {r.replied_on} 收到市局批复（{STATUS_LABELS[r.status]}，{r.reply_no}），"
            "不能重复登记"
        )
    if replied_on > today:
        raise Invalid("市局批复的日期不能晚于今天", field="replied_on")
    if replied_on < r.requested_on:
        raise Invalid(
            f"市局批复的日期 {replied_on} 早于报请之日 {r.requested_on}", field="replied_on"
        )
    if not granted and not reason:
        raise DomainError("市局不予更正的，须填写理由（将反馈检查对象）", field="reason")
    r.status = RequestStatus.GRANTED if granted else RequestStatus.REFUSED
    r.reply_no = reply_no
    r.replied_on = replied_on
    r.reply_reason = reason
    r.reply_recorded_by = recorded_by
    r.reply_recorded_at = recorded_at


def refusal_note(r: CorrectionRequest) -> str:
    """What the objecting entity is told of a refusal."""
    return f"市局不予更正（{r.reply_no}，{r.replied_on}）：{r.reply_reason}"
