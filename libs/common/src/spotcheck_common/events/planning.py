"""Events of the planning service: tasks (implementation plans)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from spotcheck_common.events.envelope import Event
from spotcheck_common.events.types import RiskClass
from spotcheck_common.objects import ObjectKind

# A co-organising agency's code (e.g. ``tax``, ``eco``): its inspectors are ``<agency>:<id>``
# outside the registry, as a neighbour's are ``<district>:<id>`` (ADR 0010); a service refuses
# the code of its own district or of a neighbour.
AGENCY_CODE_PATTERN = r"^[a-z][a-z0-9-]{1,30}$"


class CheckItemRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    # Added with joint checks (第三条): whose item it is on a merged list — a co-organising
    # agency's code, or "" for the bureau's own.
    agency: str = ""


class CoOrganiser(BaseModel):
    """Another government agency checking with the bureau (联合检查单位, 第三条): its own check
    items on the record form, and ``inspectors_per_team`` of its inspectors on every team, on top
    of the task's ``team_size`` (never its leader)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agency: str = Field(pattern=AGENCY_CODE_PATTERN, description="联合检查单位代码，如 tax、eco")
    name: str = Field(min_length=1, max_length=100, description="联合检查单位名称")
    check_items: list[CheckItemRef] = Field(min_length=1, description="该单位的检查事项")
    inspectors_per_team: int = Field(
        default=1, ge=1, le=10, description="每个检查组中该单位的执法人员数"
    )


class TargetFilter(BaseModel):
    """Which entities a task draws from; an empty list means no restriction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_types: list[str] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)
    areas: list[str] = Field(default_factory=list)
    risk_classes: list[RiskClass] = Field(default_factory=list)
    # Added with objects beyond market entities (第一条, ADR 0011): the one kind of object the
    # task draws from (``spotcheck_common.objects.ObjectKind``).
    object_kind: ObjectKind = ObjectKind.MARKET_ENTITY


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
    # Added later (defaults keep older payloads valid): the annual plan the task belongs to,
    # and for a task sent down (第七条) the sending authority and its document number.
    plan_id: str = ""
    plan_no: str = ""
    plan_name: str = ""
    issuing_authority: str = ""
    document_no: str = ""
    # Experts drawn per target from the expert pool (第六条); 0 = none. An expert qualifies
    # when their field is in ``expert_fields``, or that list is empty.
    experts_per_target: int = Field(default=0, ge=0, le=10)
    expert_fields: list[str] = Field(default_factory=list)
    # Other agencies checking with the bureau (第三条); their items carry ``agency``.
    co_organisers: list[CoOrganiser] = Field(default_factory=list)

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
    plan_id: str = ""
    plan_no: str = ""
    plan_name: str = ""
    issuing_authority: str = ""  # 下派机关 (source city / province)
    document_no: str = ""  # 下派文号
    # Experts drawn per target from the expert pool (第六条); 0 = none. An expert qualifies
    # when their field is in ``expert_fields``, or that list is empty.
    experts_per_target: int = Field(default=0, ge=0, le=10)
    expert_fields: list[str] = Field(default_factory=list)
    # Other agencies checking with the bureau (第三条); their items carry ``agency``.
    co_organisers: list[CoOrganiser] = Field(default_factory=list)

    def aggregate_id(self) -> str:
        return self.task_id


class PlanItem(BaseModel):
    """What an annual plan schedules for one item of the list: scope, time and ratio."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    check_item_code: str = Field(min_length=1)
    check_item_name: str = Field(min_length=1)
    scope: str = ""
    period_from: date
    period_to: date
    ratio_bp: dict[RiskClass, int] = Field(default_factory=dict)


class AnnualPlanPublished(Event):
    """A version of a department's annual plan (年度抽查工作计划) went through its approval
    chain, was filed with the city bureau and is published. An adjustment is a new version."""

    service = "planning"
    name = "annual-plan-published"

    plan_id: str
    plan_no: str
    plan_name: str
    department: str
    year: int
    plan_version: int = Field(ge=1)
    supersedes_version: int | None = None
    adjustment_reason: str = ""
    items: list[PlanItem]
    signed_by: str  # 分管局长
    consolidated_by: str  # 信用监管科
    approved_by: str  # 局长办公会
    filed_on: date  # 报市局备案
    published_at: datetime

    def aggregate_id(self) -> str:
        return self.plan_id


class TaskPublished(Event):
    """An approved implementation plan (实施方案) is published for the public."""

    service = "planning"
    name = "task-published"

    task_id: str
    task_no: str
    title: str
    plan_no: str = ""
    plan_name: str = ""
    lead_department: str
    co_lead_departments: list[str] = Field(default_factory=list)
    assisting_departments: list[str] = Field(default_factory=list)
    check_items: list[CheckItemRef]
    target_filter: TargetFilter
    ratio_bp: dict[RiskClass, int]
    methods: list[CheckMethod] = Field(default_factory=list)
    deadline: date
    source: TaskSource = TaskSource.LOCAL
    published_at: datetime
    # Added later (defaults keep older payloads valid).
    plan_id: str = ""
    check_type: CheckType | None = None
    issuing_authority: str = ""
    document_no: str = ""
    published_by: str = ""
    # Other agencies checking with the bureau (第三条): who joins, and their items.
    co_organisers: list[CoOrganiser] = Field(default_factory=list)

    def aggregate_id(self) -> str:
        return self.task_id
