"""Events of the publication service: what the public sees."""

from __future__ import annotations

from datetime import datetime

from spotcheck_common.events.envelope import Event
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import USCC


class ResultPublished(Event):
    """Version 1 of a public result record (公示)."""

    service = "publication"
    name = "result-published"

    record_id: str
    record_version: int
    inspection_id: str
    task_id: str
    uscc: USCC
    entity_name: str
    results: list[ItemResult]
    published_at: datetime

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
    uscc: USCC
    results: list[ItemResult]
    reason: str
    objection_id: str | None = None
    published_at: datetime

    def aggregate_id(self) -> str:
        return self.task_id
