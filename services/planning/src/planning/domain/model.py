"""Planning domain: tasks (抽查任务 / 实施方案) and their life cycle. Pure rules, no I/O.

Life cycle (第六条): a supervising department drafts the implementation plan, the deputy
director approves it, it is published, and it is closed when its inspections are done::

    draft ──approve──▶ approved ──publish──▶ published ──close──▶ closed

A task may belong to a published annual plan (``plan_id``; its number and name travel with the
approval), or be an ad-hoc check without one (第五条 临时抽查). A task sent down by the city or
the province (第七条) is received by the credit department, which assigns it to the matching
department (业务对口) and records the sending authority and its document number.

A task may have other government agencies as co-organisers (联合检查单位, 第三条: the credit
department coordinates joint checks with other units): each with its code, name, own check
items (their codes distinct from the task's and from each other agency's, so one record form
holds them all) and how many of its inspectors join each team, on top of ``team_size``. They
are approved and published with the task and travel in its events (``co_organisers``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from spotcheck_common.clock import china_date
from spotcheck_common.errors import Conflict, DomainError, StaleWrite
from spotcheck_common.events.planning import (
    CheckItemRef,
    CheckMethod,
    CheckType,
    CoOrganiser,
    TargetFilter,
    TaskApproved,
    TaskDrafted,
    TaskPublished,
    TaskSource,
)
from spotcheck_common.events.types import RiskClass
from spotcheck_common.objects import ObjectKind
from spotcheck_common.text import RequestModel

MAX_BP = 10_000
MAX_TEAM_SIZE = 20


class TaskStatus(StrEnum):
    DRAFT = "draft"  # 草稿
    APPROVED = "approved"  # 已批准
    PUBLISHED = "published"  # 已公示
    CLOSED = "closed"  # 已结束


STATUS_LABELS = {
    TaskStatus.DRAFT: "草稿",
    TaskStatus.APPROVED: "已批准",
    TaskStatus.PUBLISHED: "已公示",
    TaskStatus.CLOSED: "已结束",
}

# The only moves a task can make; anything else is refused with 409.
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.DRAFT: frozenset({TaskStatus.APPROVED}),
    TaskStatus.APPROVED: frozenset({TaskStatus.PUBLISHED}),
    TaskStatus.PUBLISHED: frozenset({TaskStatus.CLOSED}),
    TaskStatus.CLOSED: frozenset(),
}


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


class TaskInvalid(DomainError):
    """The task's content breaks a rule; nothing is written (422)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "抽查任务内容不符合要求：" + "；".join(f"{e.field}：{e.reason}" for e in errors),
            errors=[e.as_dict() for e in errors],
        )
        self.errors = errors


class TransitionRefused(Conflict):
    """The task is not in a state that allows this step (409)."""


class DuplicateTaskNo(Conflict):
    """Another task of the district already has this number (409)."""

    def __init__(self, task_no: str) -> None:
        super().__init__(f"任务编号 {task_no} 已存在", task_no=task_no)


class StaleTask(StaleWrite):
    """The task changed since it was read: another request got there first (409)."""

    def __init__(self, task_no: str) -> None:
        super().__init__(f"任务 {task_no} 已被他人同时修改，请刷新后重试")


BasisPoints = Annotated[int, Field(strict=True, ge=0, le=MAX_BP)]
TeamSize = Annotated[int, Field(strict=True, ge=2, le=MAX_TEAM_SIZE)]


class TaskSpec(RequestModel):
    """What a department submits as the draft of an implementation plan (实施方案)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    task_no: str = Field(min_length=1, max_length=50, description="任务编号（本区唯一）")
    title: str = Field(min_length=1, max_length=200, description="任务名称")
    lead_department: str = Field(min_length=1, max_length=100, description="主办科室")
    co_lead_departments: list[str] = Field(default_factory=list, description="联合主办科室")
    assisting_departments: list[str] = Field(default_factory=list, description="协助办理科室")
    check_items: list[CheckItemRef] = Field(min_length=1, description="检查事项")
    target_filter: TargetFilter = Field(default_factory=TargetFilter, description="抽取范围")
    ratio_bp: dict[RiskClass, BasisPoints] = Field(
        description="各风险等级抽查比例（万分之一，整数 0..10000）；未列出的等级为 0"
    )
    inspector_departments: list[str] = Field(min_length=1, description="检查人员选派范围（科室）")
    team_size: TeamSize = Field(description="每个检查对象的检查人员数（含组长，不少于 2）")
    methods: list[CheckMethod] = Field(min_length=1, description="检查方式")
    deadline: date = Field(description="检查截止日期")
    source: TaskSource = Field(TaskSource.LOCAL, description="任务来源：本局、市局或省局下派")
    plan_id: str | None = Field(
        None, max_length=36, description="所属年度抽查计划（临时抽查可不填）"
    )
    issuing_authority: str = Field("", max_length=200, description="下派机关（市局、省局下派）")
    document_no: str = Field("", max_length=100, description="下派文号")
    experts_per_target: int = Field(
        0, ge=0, le=10, description="每个检查对象从专家库随机抽取的专家人数（0 为不需要专家）"
    )
    expert_fields: list[str] = Field(
        default_factory=list, description="专家须属的专业领域（空为不限）"
    )
    co_organisers: list[CoOrganiser] = Field(
        default_factory=list,
        description="联合检查单位（第三条）：单位代码、名称、该单位的检查事项、每组该单位人数",
    )


class ReceivedTaskSpec(TaskSpec):
    """A task sent down by the city or the province, as the credit department receives it and
    assigns it to the matching department (``lead_department``)."""

    source: TaskSource = Field(description="任务来源：city（市局下派）或 province（省局下派）")
    issuing_authority: str = Field(min_length=1, max_length=200, description="下派机关")
    document_no: str = Field(min_length=1, max_length=100, description="下派文号")


def _names(field_name: str, values: Iterable[str], errors: list[FieldError]) -> list[str]:
    names = [v.strip() for v in values]
    if any(not n for n in names):
        errors.append(FieldError(field_name, "科室名称不能为空"))
    for name, count in Counter(n for n in names if n).items():
        if count > 1:
            errors.append(FieldError(field_name, f"「{name}」重复"))
    return [n for n in names if n]


def _check_items(spec: TaskSpec, errors: list[FieldError]) -> None:
    """Every item named, once on the whole form: the task's own and each agency's."""
    for i, item in enumerate(spec.check_items):
        if not item.code.strip() or not item.name.strip():
            errors.append(FieldError(f"check_items[{i}]", "检查事项的编码和名称不能为空"))
        if item.agency:
            errors.append(
                FieldError(f"check_items[{i}]", "本局的检查事项不属于联合检查单位（agency 应为空）")
            )
    for code, count in Counter(item.code.strip() for item in spec.check_items).items():
        if count > 1 and code:
            errors.append(FieldError("check_items", f"检查事项「{code}」重复"))
    owner = {item.code.strip(): "本局" for item in spec.check_items}
    for n, co in enumerate(spec.co_organisers):
        for i, item in enumerate(co.check_items):
            where = f"co_organisers[{n}].check_items[{i}]"
            code = item.code.strip()
            if not code or not item.name.strip():
                errors.append(FieldError(where, "检查事项的编码和名称不能为空"))
            elif code in owner:
                errors.append(FieldError(where, f"检查事项「{code}」已是{owner[code]}的事项"))
            else:
                owner[code] = f"「{co.name}」"
            if item.agency and item.agency != co.agency:
                errors.append(FieldError(where, f"事项属于 {item.agency}，不属于 {co.agency}"))


def _check_co_organisers(
    spec: TaskSpec, reserved: frozenset[str], errors: list[FieldError]
) -> None:
    """No agency twice, none named like a district whose inspectors a draw here may hold
    (``<district>:<id>`` and ``<agency>:<id>`` share one namespace), teams within bounds."""
    agencies = Counter(co.agency for co in spec.co_organisers)
    for agency, count in agencies.items():
        if count > 1:
            errors.append(FieldError("co_organisers", f"联合检查单位「{agency}」重复"))
        if agency in reserved:
            errors.append(
                FieldError("co_organisers", f"单位代码「{agency}」是本区或相邻区的名称，不能使用")
            )
    extra = sum(co.inspectors_per_team for co in spec.co_organisers)
    if spec.team_size + extra > MAX_TEAM_SIZE:
        errors.append(
            FieldError(
                "co_organisers",
                f"每组人数（本局 {spec.team_size} 人、联合检查单位 {extra} 人）"
                f"超过 {MAX_TEAM_SIZE} 人",
            )
        )


def check_spec(
    spec: TaskSpec, today: date, reserved: frozenset[str] = frozenset()
) -> list[FieldError]:
    """The rules a draft must meet beyond its shape; an empty list means it may be saved.
    ``reserved``: names no co-organiser may take (the district's and its neighbours')."""
    errors: list[FieldError] = []
    co_leads = _names("co_lead_departments", spec.co_lead_departments, errors)
    assisting = _names("assisting_departments", spec.assisting_departments, errors)
    _names("inspector_departments", spec.inspector_departments, errors)
    if spec.lead_department in co_leads:
        errors.append(FieldError("co_lead_departments", "主办科室不能同时是联合主办科室"))
    if spec.lead_department in assisting:
        errors.append(FieldError("assisting_departments", "主办科室不能同时是协助办理科室"))
    for name in sorted((set(co_leads) & set(assisting)) - {spec.lead_department}):
        errors.append(FieldError("assisting_departments", f"「{name}」已是联合主办科室"))

    _check_items(spec, errors)
    _check_co_organisers(spec, reserved, errors)

    drawn = [rc for rc in RiskClass if spec.ratio_bp.get(rc, 0) > 0]
    if not drawn:
        errors.append(FieldError("ratio_bp", "至少一个风险等级的抽查比例须大于 0"))
    if spec.target_filter.risk_classes:
        outside = [rc for rc in drawn if rc not in spec.target_filter.risk_classes]
        for rc in outside:
            errors.append(
                FieldError(
                    "ratio_bp",
                    f"风险等级 {rc} 设置了抽查比例，但不在抽取范围（target_filter.risk_classes）内",
                )
            )

    for method, count in Counter(spec.methods).items():
        if count > 1:
            errors.append(FieldError("methods", f"检查方式「{method}」重复"))
    # 第八条: a product is checked by sampling and testing (ADR 0011: samples, lab report)
    if spec.target_filter.object_kind is ObjectKind.PRODUCT and (
        CheckMethod.SAMPLING not in spec.methods
    ):
        errors.append(FieldError("methods", "检查对象为产品的任务，检查方式须包含「抽样检测」"))
    if isinstance(spec, ReceivedTaskSpec) and spec.source is TaskSource.LOCAL:
        errors.append(FieldError("source", "下派任务的来源应为 city（市局）或 province（省局）"))
    if spec.deadline < today:
        errors.append(
            FieldError("deadline", f"截止日期 {spec.deadline} 早于今天（{today}），不能设置在过去")
        )
    return errors


def _owned(co: CoOrganiser) -> CoOrganiser:
    """The agency as entered, each of its items marked as the agency's."""
    items = [
        CheckItemRef(code=i.code.strip(), name=i.name.strip(), agency=co.agency)
        for i in co.check_items
    ]
    return co.model_copy(update={"name": co.name.strip(), "check_items": items})


@dataclass
class Task:
    """One task / implementation plan of a district; ``version`` guards concurrent changes."""

    task_id: str
    district: str
    task_no: str
    title: str
    lead_department: str
    check_items: list[CheckItemRef]
    target_filter: TargetFilter
    ratio_bp: dict[RiskClass, int]
    inspector_departments: list[str]
    team_size: int
    methods: list[CheckMethod]
    deadline: date
    source: TaskSource
    created_by: str
    created_at: datetime
    co_lead_departments: list[str] = field(default_factory=list)
    assisting_departments: list[str] = field(default_factory=list)
    status: TaskStatus = TaskStatus.DRAFT
    approved_by: str | None = None
    approved_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0
    plan_id: str = ""
    plan_no: str = ""
    plan_name: str = ""
    issuing_authority: str = ""
    document_no: str = ""
    received_by: str | None = None
    received_at: datetime | None = None
    published_by: str | None = None
    published_at: datetime | None = None
    experts_per_target: int = 0
    expert_fields: list[str] = field(default_factory=list)
    co_organisers: list[CoOrganiser] = field(default_factory=list)

    @classmethod
    def draft(
        cls,
        spec: TaskSpec,
        *,
        task_id: str,
        district: str,
        by: str,
        at: datetime,
        neighbours: frozenset[str] = frozenset(),
    ) -> Task:
        """A new draft; refuses (TaskInvalid) a spec that breaks a rule."""
        errors = check_spec(spec, china_date(at), neighbours | {district})
        if errors:
            raise TaskInvalid(errors)
        return cls(
            task_id=task_id,
            district=district,
            task_no=spec.task_no,
            title=spec.title,
            lead_department=spec.lead_department,
            co_lead_departments=[d.strip() for d in spec.co_lead_departments],
            assisting_departments=[d.strip() for d in spec.assisting_departments],
            check_items=[
                CheckItemRef(code=i.code.strip(), name=i.name.strip()) for i in spec.check_items
            ],
            target_filter=spec.target_filter,
            # Every class explicit, so what the draw reads leaves nothing to guess.
            ratio_bp={rc: spec.ratio_bp.get(rc, 0) for rc in RiskClass},
            inspector_departments=[d.strip() for d in spec.inspector_departments],
            team_size=spec.team_size,
            methods=list(spec.methods),
            deadline=spec.deadline,
            source=spec.source,
            created_by=by,
            created_at=at,
            updated_at=at,
            plan_id=spec.plan_id or "",
            issuing_authority=spec.issuing_authority.strip(),
            document_no=spec.document_no.strip(),
            experts_per_target=spec.experts_per_target,
            expert_fields=sorted({f.strip() for f in spec.expert_fields if f.strip()}),
            co_organisers=[_owned(co) for co in spec.co_organisers],
        )

    @property
    def check_type(self) -> CheckType:
        """定向抽查 when the scope names entity types, industries or areas; else 不定向抽查."""
        scope = self.target_filter
        if scope.entity_types or scope.industries or scope.areas:
            return CheckType.DIRECTED
        return CheckType.UNDIRECTED

    # -- life cycle -----------------------------------------------------------------------

    def can_move_to(self, target: TaskStatus) -> bool:
        return target in TRANSITIONS[self.status]

    def _move(self, target: TaskStatus, action: str, at: datetime) -> None:
        if not self.can_move_to(target):
            raise TransitionRefused(
                f"任务 {self.task_no} 当前状态为「{STATUS_LABELS[self.status]}」，不能{action}",
                status=str(self.status),
            )
        self.status = target
        self.updated_at = at

    def approve(self, by: str, at: datetime) -> None:
        """The deputy director approves the draft (第六条); who and when are kept."""
        if self.status is TaskStatus.DRAFT and self.deadline < china_date(at):
            raise TaskInvalid(
                [FieldError("deadline", f"截止日期 {self.deadline} 已过，请修改后再报审批")]
            )
        self._move(TaskStatus.APPROVED, "审批", at)
        self.approved_by = by
        self.approved_at = at

    def publish(self, at: datetime, by: str = "") -> None:
        """The approved implementation plan is published (第六条 公示)."""
        self._move(TaskStatus.PUBLISHED, "公示", at)
        self.published_by = by or None
        self.published_at = at

    def attach_plan(self, plan_id: str, plan_no: str, plan_name: str) -> None:
        self.plan_id, self.plan_no, self.plan_name = plan_id, plan_no, plan_name

    def close(self, at: datetime) -> None:
        self._move(TaskStatus.CLOSED, "结束", at)

    # -- events ---------------------------------------------------------------------------

    def _content(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "task_no": self.task_no,
            "title": self.title,
            "lead_department": self.lead_department,
            "co_lead_departments": self.co_lead_departments,
            "assisting_departments": self.assisting_departments,
            "check_items": self.check_items,
            "target_filter": self.target_filter,
            "ratio_bp": self.ratio_bp,
            "inspector_departments": self.inspector_departments,
            "team_size": self.team_size,
            "methods": self.methods,
            "deadline": self.deadline,
            "source": self.source,
            "check_type": self.check_type,
            "plan_id": self.plan_id,
            "plan_no": self.plan_no,
            "plan_name": self.plan_name,
            "issuing_authority": self.issuing_authority,
            "document_no": self.document_no,
            "experts_per_target": self.experts_per_target,
            "expert_fields": list(self.expert_fields),
            "co_organisers": list(self.co_organisers),
        }

    def drafted_event(self) -> TaskDrafted:
        return TaskDrafted(**self._content(), created_by=self.created_by)

    def approved_event(self) -> TaskApproved:
        if self.status is TaskStatus.DRAFT or self.approved_by is None:
            raise TransitionRefused(f"任务 {self.task_no} 尚未批准")
        return TaskApproved(
            **self._content(), approved_by=self.approved_by, approved_at=self.approved_at
        )

    def published_event(self) -> TaskPublished:
        if self.published_at is None:
            raise TransitionRefused(f"任务 {self.task_no} 尚未公示")
        content = self._content()
        for key in ("inspector_departments", "team_size", "experts_per_target", "expert_fields"):
            content.pop(key)
        return TaskPublished(
            **content,
            published_at=self.published_at,
            published_by=self.published_by or "",
        )
