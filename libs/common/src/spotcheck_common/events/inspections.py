"""Events of the inspections service."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.envelope import Event
from spotcheck_common.events.types import USCC, PendingReason, ResultCategory


class ItemResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    check_item_code: str
    check_item_name: str
    category: ResultCategory
    pending_reason: PendingReason | None = None
    remark: str = ""


class InspectionSubmitted(Event):
    """The team leader submitted the signed record form of one target's inspection."""

    service = "inspections"
    name = "inspection-submitted"

    inspection_id: str
    task_id: str
    task_no: str
    task_title: str
    draw_id: str
    uscc: USCC
    entity_name: str
    inspecting_authority: str
    team: list[TeamMember]
    results: list[ItemResult]
    completed_on: date
    submitted_by: str
    # Added after v1 shipped (defaults keep older payloads valid): the task's check type
    # (定向抽查 / 不定向抽查) as the national publicity system shows it; empty if unknown.
    check_type: str = ""

    def aggregate_id(self) -> str:
        return self.task_id
