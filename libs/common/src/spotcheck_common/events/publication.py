"""Events of the publication service: what the public sees.

A published result record (公示) is never edited: a correction is a new version of the same
``record_id``; the older versions stay public, marked superseded. Both events carry the
record's published fields so a consumer can keep its own read model from either of them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from spotcheck_common.events.envelope import Event
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import ObjectId


class CorrectionSource(StrEnum):
    OBJECTION = "objection"  # 异议复查确有错误
    CREDIT_DEPARTMENT = "credit_department"  # 信用监管科汇集报请更正


class ResultPublished(Event):
    """Version 1 of a public result record (公示)."""

    service = "publication"
    name = "result-published"

    record_id: str
    record_version: int
    inspection_id: str
    task_id: str
    uscc: ObjectId
    entity_name: str
    results: list[ItemResult]
    published_at: datetime
    # Published fields (DESIGN.md §2); empty when the upstream event did not carry them.
    task_no: str = ""
    task_title: str = ""
    plan_no: str = ""
    plan_name: str = ""
    check_type: str = ""
    inspecting_authority: str = ""
    completed_on: date | None = None
    remark: str = ""
    # Legal limit: 20 working days after the result was formed (None: pending, the year it
    # reaches has no holiday schedule yet; publish-due-set gives it later).
    publish_due_on: date | None = None
    # The task's lead department (主办科室), who reviews objections; "" if unknown.
    lead_department: str = ""
    # The calendar versions publish_due_on was computed with ("2026/v1,2027/v1").
    calendar_version: str | None = None
    # Added with objects beyond market entities (ADR 0011): a product's, project's or
    # conduct's fields, published in clear fields of their own; empty for an organisation.
    details: dict[str, str] = Field(default_factory=dict)

    def aggregate_id(self) -> str:
        return self.task_id


class PublishDueSet(Event):
    """A record's publication deadline computed later: it was pending until the year's holiday
    schedule was recorded, or a corrected schedule moved it."""

    service = "publication"
    name = "publish-due-set"

    record_id: str
    inspection_id: str
    task_id: str
    uscc: ObjectId
    completed_on: date
    publish_due_on: date
    calendar_version: str

    def aggregate_id(self) -> str:
        return self.task_id


class ResultCorrected(Event):
    """A new version of a published record; the old version stays, marked superseded."""

    service = "publication"
    name = "result-corrected"

    record_id: str
    record_version: int
    supersedes_version: int
    task_id: str
    uscc: ObjectId
    results: list[ItemResult]
    reason: str
    objection_id: str | None = None
    published_at: datetime
    source: CorrectionSource = CorrectionSource.OBJECTION
    remark: str = ""
    entity_name: str = ""
    task_no: str = ""
    task_title: str = ""
    # Who in the credit department submitted the correction (第九条: 由信用监管科报请更正).
    submitted_by: str = ""
    # The record's object fields, as in ResultPublished (ADR 0011); empty for an organisation.
    details: dict[str, str] = Field(default_factory=dict)

    def aggregate_id(self) -> str:
        return self.task_id


class ResultWithheld(Event):
    """A result the law keeps private is recorded, not published; the reason is kept."""

    service = "publication"
    name = "result-withheld"

    inspection_id: str
    task_id: str
    uscc: ObjectId
    reason: str
    recorded_at: datetime

    def aggregate_id(self) -> str:
        return self.task_id
