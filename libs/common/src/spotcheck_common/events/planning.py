"""Events of the planning service: tasks (implementation plans)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from spotcheck_common.events.envelope import Event
from spotcheck_common.events.types import RiskClass


class CheckItemRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)


class TargetFilter(BaseModel):
    """Which entities a task draws from; an empty list means no restriction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_types: list[str] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)
    areas: list[str] = Field(default_factory=list)
    risk_classes: list[RiskClass] = Field(default_factory=list)


class TaskApproved(Event):
    """A task (抽查任务 / 实施方案) was approved and may be drawn."""

    service = "planning"
    name = "task-approved"

    task_id: str
    task_no: str
    title: str
    lead_department: str
    check_items: list[CheckItemRef]
    target_filter: TargetFilter
    # Ratio per risk class in basis points (1/10000), integer so quotas are exact.
    ratio_bp: dict[RiskClass, int]
    inspector_departments: list[str]
    team_size: int = Field(ge=2)
    deadline: date
    approved_by: str

    def aggregate_id(self) -> str:
        return self.task_id
