"""Events of the objections service."""

from __future__ import annotations

from datetime import date

from spotcheck_common.events.envelope import Event
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import USCC, ObjectionDecision


class ObjectionFiled(Event):
    service = "objections"
    name = "objection-filed"

    objection_id: str
    record_id: str
    task_id: str
    uscc: USCC
    reason: str
    received_on: date
    review_due_on: date

    def aggregate_id(self) -> str:
        return self.task_id


class ObjectionDecided(Event):
    """The review's outcome; ``corrected`` carries the corrected results for publication."""

    service = "objections"
    name = "objection-decided"

    objection_id: str
    record_id: str
    task_id: str
    uscc: USCC
    decision: ObjectionDecision
    reason: str
    reviewer: str
    corrected_results: list[ItemResult] = []
    decided_on: date

    def aggregate_id(self) -> str:
        return self.task_id
