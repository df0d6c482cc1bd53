"""Events of the planning service: tasks (implementation plans)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

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


class TaskSource(StrEnum):
    """Who set the task: the district itself, or the city / province sending it down (第七条)."""

    LOCAL = "local"  # 本局
    CITY = "city"  # 市局下派
    PROVINCE = "province"  # 省局下派


class CheckType(StrEnum):
    """Check type as the national publicity system shows it (检查类型)."""

    DIRECTED = "定向抽查"  # drawn within given entity types, industries or areas
    UNDIRECTED = "不定向抽查"  # drawn from every entity of the district


class CheckMethod(StrEnum):
    """Inspection methods of the rules (第八条)."""

    ON_SITE = "现场检查"
    WRITTEN = "书面检查"
    FIELD_VERIFICATION = "实地核查"
    SAMPLING = "抽样检测"
    OTHER_AUTHORITY = "利用其他部门检查结论"  # 其他政府部门检查结论、司法机关生效文书等
    THIRD_PARTY = "委托第三方专业机构核查"


class TaskDrafted(Event):
    """A task (implementation plan) was drafted by its lead department; not yet approved."""

    service = "planning"
    name = "task-drafted"

    task_id: str
    task_no: str
    title: str
    lead_department: str
    co_lead_departments: list[str] = Field(default_factory=list)
    assisting_departments: list[str] = Field(default_factory=list)
    check_items: list[CheckItemRef]
    target_filter: TargetFilter
    ratio_bp: dict[RiskClass, int]
    inspector_departments: list[str]
    team_size: int = Field(ge=2)
    methods: list[CheckMethod] = Field(default_factory=list)
    deadline: date
    source: TaskSource = TaskSource.LOCAL
    check_type: CheckType | None = None
    created_by: str

    def aggregate_id(self) -> str:
        return self.task_id


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
    # Added after v1 shipped (defaults keep older payloads valid).
    co_lead_departments: list[str] = Field(default_factory=list)
    assisting_departments: list[str] = Field(default_factory=list)
    methods: list[CheckMethod] = Field(default_factory=list)
    source: TaskSource = TaskSource.LOCAL
    approved_at: datetime | None = None
    check_type: CheckType | None = None

    def aggregate_id(self) -> str:
        return self.task_id
