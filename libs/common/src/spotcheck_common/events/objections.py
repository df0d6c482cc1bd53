"""Events of the objections service.

Deadlines are working days on the official calendar (``spotcheck_common.workdays``), the day of
the triggering act not counted: review within 20 of receipt, feedback within 15 of the review
result, a confirmed error corrected within 5 of the decision. A deadline reaching a year whose
holiday schedule is not recorded yet is null (pending); ``objection-deadlines-set`` gives it
once the year is recorded (or a correction of the year moves it).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from spotcheck_common.events.envelope import Event
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import ObjectId, ObjectionDecision


class ObjectionFiledV1(Event):
    """Version 1 (``review_due_on`` always a date): no longer produced; its schema stays so
    consumers can still read what the topic holds."""

    service = "objections"
    name = "objection-filed"
    retired = True

    objection_id: str
    record_id: str
    task_id: str
    uscc: ObjectId
    reason: str
    received_on: date
    review_due_on: date
    record_version: int = 0
    review_department: str = ""

    def aggregate_id(self) -> str:
        return self.task_id


class ObjectionFiled(Event):
    """An objection was received (第十一条). ``review_due_on`` is null while the working-day
    calendar does not cover the year it reaches (``due_status`` ``pending_calendar``)."""

    service = "objections"
    name = "objection-filed"
    version = 2

    objection_id: str
    record_id: str
    task_id: str
    uscc: ObjectId
    reason: str
    received_on: date
    review_due_on: date | None
    due_status: Literal["set", "pending_calendar"] = "set"
    # The calendar versions the date was computed with, e.g. "2026/v1,2027/v1".
    calendar_version: str | None = None
    # The published version the entity objects to (0: unknown, older producers).
    record_version: int = 0
    # The department that reviews it (the task's lead department), "" if unknown.
    review_department: str = ""

    def aggregate_id(self) -> str:
        return self.task_id


class ObjectionDeadlinesSet(Event):
    """Deadlines of an objection computed later: a clock that was pending got its date once
    the year's holiday schedule was recorded, or a corrected schedule moved a date. Each field
    is the clock's date now (null: not started, or still pending)."""

    service = "objections"
    name = "objection-deadlines-set"

    objection_id: str
    record_id: str
    task_id: str
    uscc: ObjectId
    review_due_on: date | None = None
    feedback_due_on: date | None = None
    correction_due_on: date | None = None
    # The clocks this event changed, e.g. ["review"].
    changed: list[str]
    calendar_version: str
    reason: str

    def aggregate_id(self) -> str:
        return self.task_id


class ObjectionDecided(Event):
    """The review's outcome; ``corrected`` carries the corrected results. Publication does not
    act on it: the credit department submits the correction (``ObjectionCorrectionSubmitted``).

    ``corrected_results`` lists only the items whose result changes (each a check item of the
    record, at most once); publication merges them onto the current version.
    """

    service = "objections"
    name = "objection-decided"

    objection_id: str
    record_id: str
    task_id: str
    uscc: ObjectId
    decision: ObjectionDecision
    reason: str
    reviewer: str
    corrected_results: list[ItemResult] = Field(default_factory=list)
    decided_on: date
    record_version: int = 0
    review_due_on: date | None = None
    # Null while pending (the year it reaches has no holiday schedule yet).
    feedback_due_on: date | None = None
    correction_due_on: date | None = None
    calendar_version: str | None = None

    def aggregate_id(self) -> str:
        return self.task_id


class ObjectionFeedbackGiven(Event):
    """The review result was communicated to the inspected entity (复查情况反馈)."""

    service = "objections"
    name = "objection-feedback-given"

    objection_id: str
    record_id: str
    task_id: str
    uscc: ObjectId
    given_on: date
    feedback_due_on: date | None = None
    note: str = ""
    # Set when this answer is the city bureau's refusal of the correction (第九条): the
    # refused request; the note gives the city's document and reason.
    correction_request_id: str | None = None

    def aggregate_id(self) -> str:
        return self.task_id


class ObjectionCorrectionSubmitted(Event):
    """Before corrections went to the city bureau: the credit department submitted the
    correction a review confirmed, and publication published it at once. No longer produced
    (``CorrectionRequested`` replaced it); its schema stays so what the topic holds is still
    read. Publication no longer acts on it: no version is published without the city's grant
    (``CorrectionGranted``); an objection submitted this way and not yet corrected is requested
    from the city like any other (docs/corrections.md)."""

    service = "objections"
    name = "objection-correction-submitted"
    retired = True

    objection_id: str
    record_id: str
    task_id: str
    uscc: ObjectId
    corrected_results: list[ItemResult]
    reason: str
    reviewer: str
    decided_on: date
    submitted_by: str
    submitted_on: date
    correction_due_on: date | None = None
    record_version: int = 0
    note: str = ""

    def aggregate_id(self) -> str:
        return self.task_id


# Corrections requested from the city bureau (第九条: 由信用监管科依规向市局报请更正). Each
# request has its own id; ``objection_id`` names the objection whose review confirmed the error,
# null for an error the bureau found itself (``source`` credit_department).
CorrectionRequestSource = Literal["objection", "credit_department"]


class CorrectionRequested(Event):
    """The credit department requested the city bureau to correct a published result, by its
    document ``request_no`` dated ``requested_on``. Nothing is published on it: only
    ``CorrectionGranted`` lets publication issue the new version. For an objection, the
    correction clock stops while the city holds the request (``clock_suspended``: the request
    was sent within it)."""

    service = "objections"
    name = "correction-requested"

    request_id: str
    record_id: str
    task_id: str
    uscc: ObjectId
    objection_id: str | None = None
    source: CorrectionRequestSource
    # Only the items whose result changes; publication merges them onto the current version.
    corrected_results: list[ItemResult]
    reason: str
    request_no: str
    requested_on: date
    requested_by: str
    # The published version the request corrects.
    record_version: int
    note: str = ""
    correction_due_on: date | None = None
    clock_suspended: bool = False

    def aggregate_id(self) -> str:
        return self.task_id


class CorrectionGranted(Event):
    """The city bureau granted the request (its document ``reply_no`` of ``replied_on``), as
    recorded by the credit department: publication publishes ``corrected_results`` as a new
    version, once per request. ``correction_due_on``: an objection's correction clock, run
    again from the reply with the working days it had left."""

    service = "objections"
    name = "correction-granted"

    request_id: str
    record_id: str
    task_id: str
    uscc: ObjectId
    objection_id: str | None = None
    source: CorrectionRequestSource
    corrected_results: list[ItemResult]
    reason: str
    request_no: str
    requested_on: date
    requested_by: str
    reply_no: str
    replied_on: date
    recorded_by: str
    note: str = ""
    # The SHA-256 of the city's document, when the bureau attached it.
    document_sha256: str | None = None
    correction_due_on: date | None = None

    def aggregate_id(self) -> str:
        return self.task_id


class CorrectionRefused(Event):
    """The city bureau refused the request (its document ``reply_no`` of ``replied_on``, its
    ``reason``), as recorded by the credit department. Nothing is published; an objection's
    entity is answered with the refusal (``ObjectionFeedbackGiven`` naming this request)."""

    service = "objections"
    name = "correction-refused"

    request_id: str
    record_id: str
    task_id: str
    uscc: ObjectId
    objection_id: str | None = None
    source: CorrectionRequestSource
    request_no: str
    requested_on: date
    reply_no: str
    replied_on: date
    reason: str
    recorded_by: str
    document_sha256: str | None = None

    def aggregate_id(self) -> str:
        return self.task_id
