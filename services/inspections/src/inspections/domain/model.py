"""Inspections domain: one target's inspection in one task, its record form and sign-off.
Pure rules, no I/O. Visits (one visit, many tasks) are in ``visits``, follow-up in
``follow_ups``, attachments in ``attachments``.

"One visit, many checks" (进一次门、查多项事, 第八条): an inspection covers every check item its
task holds for the target, on one record form (检查记录表). The team leader records a result
per item in the national categories; every inspector of the team confirms and signs (第八条);
the leader submits, and the record goes to publication (第九条)::

    pending ──record──▶ recorded ──sign (all)──▶ signed ──submit──▶ submitted
                          ▲  │ sign (some)         │
                          └──┴───── record (clears every signature) ◀┘

A product's inspection (ADR 0011) also records its samples (抽样; changing them clears every
signature too) and is submitted only with a sample, the sampling form and the lab report —
unless the product was not inspected (counted as done).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from spotcheck_common.clock import china_date
from spotcheck_common.errors import Conflict, Forbidden, Invalid
from spotcheck_common.events.draws import DrawnTarget, TeamMember
from spotcheck_common.events.inspections import (
    AttachmentKind,
    InspectionSubmitted,
    ItemResult,
    Sample,
)
from spotcheck_common.events.planning import CheckItemRef, TaskApproved
from spotcheck_common.events.types import PendingReason, ResultCategory, TeamRole
from spotcheck_common.objects import LABELS as OBJECT_LABELS
from spotcheck_common.objects import ObjectKind, kind_of

MAX_REMARK = 500

# Outcomes that concern the entity, not one item: the target was not (or could not be)
# inspected, so every item of the form carries the same category (第八条: 视为完成抽查).
ENTITY_OUTCOMES = frozenset(
    {
        ResultCategory.CLOSED_OR_LIQUIDATING,
        ResultCategory.SERIOUS_REFUSAL,
        ResultCategory.DEREGISTERED,
        ResultCategory.REVOKED,
        ResultCategory.CANCELLED,
        ResultCategory.MOVED_OUT,
    }
)
# Inspectors who must sign the record form; experts may sign but are not required to.
SIGNING_ROLES = frozenset({TeamRole.LEADER, TeamRole.MEMBER})
MAX_WITHHOLD = 300
# A product's sampling (抽样检测, ADR 0011): what its submission needs besides the samples.
SAMPLING_ATTACHMENTS = {
    AttachmentKind.SAMPLING_FORM: "抽样单",
    AttachmentKind.LAB_REPORT: "检验报告",
}


class NotInspectedReason(StrEnum):
    """Why a target was not inspected yet counts as done (第八条: 不再开展检查，视为完成抽查)."""

    UNREACHABLE = "unreachable"  # 通过登记的住所（经营场所）无法联系
    SERIOUS_REFUSAL = "serious_refusal"  # 不配合检查情节严重
    DEREGISTERED = "deregistered"  # 检查任务截止前完成注销
    REVOKED = "revoked"  # 被吊销营业执照
    CANCELLED = "cancelled"  # 被撤销设立登记
    MOVED_OUT = "moved_out"  # 迁出


NOT_INSPECTED_LABELS = {
    NotInspectedReason.UNREACHABLE: "通过登记的住所（经营场所）无法联系",
    NotInspectedReason.SERIOUS_REFUSAL: "不配合检查情节严重",
    NotInspectedReason.DEREGISTERED: "检查任务截止前已注销",
    NotInspectedReason.REVOKED: "检查任务截止前被吊销营业执照",
    NotInspectedReason.CANCELLED: "检查任务截止前被撤销设立登记",
    NotInspectedReason.MOVED_OUT: "检查任务截止前已迁出",
}

# The national category (and sub-reason) every item of the form carries for each reason.
NOT_INSPECTED_RESULT: dict[NotInspectedReason, tuple[ResultCategory, PendingReason | None]] = {
    NotInspectedReason.UNREACHABLE: (ResultCategory.PROBLEM_PENDING, PendingReason.UNREACHABLE),
    NotInspectedReason.SERIOUS_REFUSAL: (ResultCategory.SERIOUS_REFUSAL, None),
    NotInspectedReason.DEREGISTERED: (ResultCategory.DEREGISTERED, None),
    NotInspectedReason.REVOKED: (ResultCategory.REVOKED, None),
    NotInspectedReason.CANCELLED: (ResultCategory.CANCELLED, None),
    NotInspectedReason.MOVED_OUT: (ResultCategory.MOVED_OUT, None),
}
# Registry changes that must have happened before the task's deadline (检查任务截止前).
BEFORE_DEADLINE = frozenset(
    {
        NotInspectedReason.DEREGISTERED,
        NotInspectedReason.REVOKED,
        NotInspectedReason.CANCELLED,
        NotInspectedReason.MOVED_OUT,
    }
)


class InspectionStatus(StrEnum):
    PENDING = "pending"  # 待录入结果
    RECORDED = "recorded"  # 已录入，待签名
    SIGNED = "signed"  # 全员已签名，待提交
    SUBMITTED = "submitted"  # 已提交


STATUS_LABELS = {
    InspectionStatus.PENDING: "待录入结果",
    InspectionStatus.RECORDED: "已录入，待签名",
    InspectionStatus.SIGNED: "全员已签名，待提交",
    InspectionStatus.SUBMITTED: "已提交",
}


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


class ResultsInvalid(Invalid):
    """The record form's results break a rule; nothing is written (422)."""

    def __init__(self, errors: list[FieldError], heading: str = "检查结果不符合要求") -> None:
        super().__init__(
            f"{heading}：" + "；".join(f"{e.field}：{e.reason}" for e in errors),
            errors=[e.as_dict() for e in errors],
        )
        self.errors = errors


class NotAllowed(Forbidden):
    """The acting user may not do this (403): not on the team, or not its leader."""


class StateRefused(Conflict):
    """The inspection is not in a state that allows this step (409)."""


class TeamInvalid(Invalid):
    """A drawn target's team breaks 第六条 (≥ 2 inspectors, exactly one leader)."""


class ResultEntry(BaseModel):
    """One line of the record form as the leader enters it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    check_item_code: str = Field(min_length=1, description="检查事项编码")
    category: ResultCategory = Field(description="检查结果（全国统一分类）")
    pending_reason: PendingReason | None = Field(
        None, description="发现问题待后续处理时必填：具体情形"
    )
    remark: str = Field("", max_length=MAX_REMARK, description="备注")


class NotInspected(BaseModel):
    """The target was not inspected and counts as done (第八条)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: NotInspectedReason = Field(
        description="unreachable 无法联系 / serious_refusal 不配合检查情节严重 / deregistered 注销 "
        "/ revoked 被吊销 / cancelled 被撤销 / moved_out 迁出"
    )
    occurred_on: date | None = Field(
        None,
        description="情形发生日期（注销、吊销、撤销、迁出时必填，且不晚于检查任务截止日期）",
    )
    remark: str = Field("", max_length=MAX_REMARK, description="情况说明（写入每个检查事项的备注）")


class Withhold(BaseModel):
    """The law keeps this result private (依法依规不予公开): the reason and its legal basis."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(
        min_length=2, max_length=MAX_WITHHOLD, description="不予公示的理由，如 涉及商业秘密"
    )
    legal_basis: str = Field(
        min_length=2,
        max_length=MAX_WITHHOLD,
        description="法律依据，如 《政府信息公开条例》第十五条",
    )

    def text(self) -> str:
        return f"{self.reason}（依据：{self.legal_basis}）"


@dataclass(frozen=True)
class TaskInfo:
    """What inspections needs to know of an approved task (from TaskApproved)."""

    task_id: str
    task_no: str
    title: str
    lead_department: str
    check_items: list[CheckItemRef]
    deadline: date
    check_type: str = ""  # 定向抽查 / 不定向抽查; empty if the task did not say
    plan_id: str = ""
    plan_no: str = ""
    plan_name: str = ""

    @classmethod
    def from_event(cls, event: TaskApproved) -> TaskInfo:
        """One record form for the visit: the task's items, then each co-organising agency's
        (第三条), every item saying whose it is."""
        return cls(
            task_id=event.task_id,
            task_no=event.task_no,
            title=event.title,
            lead_department=event.lead_department,
            check_items=[
                *event.check_items,
                *(item for co in event.co_organisers for item in co.check_items),
            ],
            deadline=event.deadline,
            check_type=str(event.check_type) if event.check_type else "",
            plan_id=event.plan_id,
            plan_no=event.plan_no,
            plan_name=event.plan_name,
        )


@dataclass(frozen=True)
class LogEntry:
    """One step in the inspection's history (全程留痕)."""

    action: str
    actor: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


def check_team(team: list[TeamMember]) -> None:
    ids = [m.inspector_id for m in team]
    if len(set(ids)) != len(ids):
        raise TeamInvalid("检查组成员重复")
    leaders = [m for m in team if m.role is TeamRole.LEADER]
    if len(leaders) != 1:
        raise TeamInvalid(f"检查组应有且仅有 1 名组长，实有 {len(leaders)} 名")
    if sum(1 for m in team if m.role in SIGNING_ROLES) < 2:
        raise TeamInvalid("每个检查对象不少于 2 名执法检查人员")


def check_results(items: list[CheckItemRef], entries: list[ResultEntry]) -> list[FieldError]:
    """Every item of the task exactly once, in a national category, with the reason the
    category requires; an empty list means the form is complete and consistent."""
    errors: list[FieldError] = []
    known = {item.code for item in items}
    counts = Counter(e.check_item_code for e in entries)
    for code, count in counts.items():
        if code not in known:
            errors.append(FieldError("results", f"检查事项「{code}」不属于本任务"))
        elif count > 1:
            errors.append(
                FieldError("results", f"检查事项「{code}」有 {count} 条结果，应恰好 1 条")
            )
    for item in items:
        if item.code not in counts:
            errors.append(FieldError("results", f"缺少检查事项「{item.code} {item.name}」的结果"))
    for i, entry in enumerate(entries):
        where = f"results[{i}]"
        if entry.category is ResultCategory.PROBLEM_PENDING:
            if entry.pending_reason is None:
                errors.append(
                    FieldError(f"{where}.pending_reason", "检查结果为「发现问题待后续处理」时必填")
                )
            elif entry.pending_reason is PendingReason.OTHER and not entry.remark:
                errors.append(FieldError(f"{where}.remark", "具体情形为「其他」时须在备注中说明"))
        elif entry.pending_reason is not None:
            errors.append(
                FieldError(
                    f"{where}.pending_reason", "仅检查结果为「发现问题待后续处理」时填写具体情形"
                )
            )
    outcomes = {e.category for e in entries if e.category in ENTITY_OUTCOMES}
    if outcomes and len({e.category for e in entries}) > 1:
        errors.append(
            FieldError(
                "results",
                f"「{'、'.join(sorted(outcomes))}」是对检查对象整体的结论，各检查事项的结果应一致",
            )
        )
    return errors


def not_inspected_entries(
    items: list[CheckItemRef], outcome: NotInspected, entries: list[ResultEntry]
) -> tuple[list[ResultEntry], list[FieldError]]:
    """Every item carries the reason's national category; results given alongside must agree."""
    category, pending = NOT_INSPECTED_RESULT[outcome.reason]
    errors = [
        FieldError(
            f"results[{i}].category",
            f"未开展检查（{NOT_INSPECTED_LABELS[outcome.reason]}）时各检查事项的结果应为「{category}」",
        )
        for i, e in enumerate(entries)
        if e.category is not category or e.pending_reason is not pending
    ]
    remarks = {e.check_item_code: e.remark for e in entries}
    filled = [
        ResultEntry(
            check_item_code=item.code,
            category=category,
            pending_reason=pending,
            remark=remarks.get(item.code) or outcome.remark,
        )
        for item in items
    ]
    return filled, errors


def inferred_reason(entries: list[ResultEntry]) -> NotInspectedReason | None:
    """A form whose every item carries a not-inspected category is a not-inspected outcome."""
    found = {(e.category, e.pending_reason) for e in entries}
    if len(found) != 1:
        return None
    (only,) = found
    for reason, result in NOT_INSPECTED_RESULT.items():
        if result == only:
            return reason
    return None


def check_samples(samples: list[Sample], opened_on: date, today: date) -> list[FieldError]:
    """A product's samples as the leader records them: each numbered once, the seal's number
    when sealed (and only then), taken between the draw and today."""
    errors: list[FieldError] = []
    counts = Counter(s.sample_no.strip() for s in samples)
    for i, s in enumerate(samples):
        where = f"samples[{i}]"
        blank = [
            name
            for name in ("sample_no", "quantity", "taken_at", "testing_body")
            if not getattr(s, name).strip()
        ]
        errors += [FieldError(f"{where}.{name}", "不能为空") for name in blank]
        if counts[s.sample_no.strip()] > 1 and "sample_no" not in blank:
            errors.append(FieldError(f"{where}.sample_no", f"样品编号「{s.sample_no}」重复"))
        if s.sealed and not s.seal_no.strip():
            errors.append(FieldError(f"{where}.seal_no", "已封样的须填写封条编号"))
        elif not s.sealed and s.seal_no.strip():
            errors.append(FieldError(f"{where}.seal_no", "未封样的不填写封条编号"))
        if s.taken_on > today:
            errors.append(FieldError(f"{where}.taken_on", f"抽样日期不能晚于今天（{today}）"))
        elif s.taken_on < opened_on:
            errors.append(
                FieldError(f"{where}.taken_on", "抽样日期不能早于抽取完成、检查任务下达之日")
            )
    return errors


def windows_overlap(a: tuple[date, date], b: tuple[date, date]) -> bool:
    """Two inspection windows (from the draw to the task's deadline) share a day."""
    return a[0] <= b[1] and b[0] <= a[1]


@dataclass
class Inspection:
    """One drawn target of one task: its team, record form, signatures and submission."""

    inspection_id: str
    task_id: str
    task_no: str
    task_title: str
    draw_id: str
    uscc: str
    entity_name: str
    risk_class: str
    inspecting_authority: str
    check_items: list[CheckItemRef]
    deadline: date
    team: list[TeamMember]
    created_at: datetime
    check_type: str = ""
    plan_no: str = ""
    plan_name: str = ""
    # One visit, many checks: the visit this inspection belongs to and the visit's leader
    # (the leader of the earliest task's team), who may record and submit for the visit.
    visit_id: str = ""
    visit_leader_id: str = ""
    not_inspected_reason: NotInspectedReason | None = None
    not_inspected_on: date | None = None
    withhold_reason: str = ""
    # The entity's area (区域) as the registry recorded it when drawn; "" for older draws.
    area: str = ""
    # A product's, project's or conduct's fields from the draw (ADR 0011); {} for a USCC.
    details: dict[str, str] = field(default_factory=dict)
    # A product's samples (抽样), as its leader last recorded them.
    samples: list[Sample] = field(default_factory=list)
    status: InspectionStatus = InspectionStatus.PENDING
    results: list[ItemResult] = field(default_factory=list)
    signatures: dict[str, datetime] = field(default_factory=dict)
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    completed_on: date | None = None
    updated_at: datetime | None = None
    version: int = 0
    # Steps taken since this object was loaded; the repository appends them to the history.
    new_log: list[LogEntry] = field(default_factory=list)

    @classmethod
    def open(
        cls, task: TaskInfo, draw_id: str, target: DrawnTarget, inspection_id: str, at: datetime
    ) -> Inspection:
        """The inspection of one drawn target; the team is the one the draw matched."""
        check_team(list(target.team))
        inspection = cls(
            inspection_id=inspection_id,
            task_id=task.task_id,
            task_no=task.task_no,
            task_title=task.title,
            draw_id=draw_id,
            uscc=target.uscc,
            entity_name=target.entity_name,
            risk_class=target.risk_class,
            inspecting_authority=task.lead_department,
            check_items=list(task.check_items),
            deadline=task.deadline,
            team=list(target.team),
            check_type=task.check_type,
            plan_no=task.plan_no,
            plan_name=task.plan_name,
            area=target.area,
            details=dict(target.details),
            created_at=at,
            updated_at=at,
        )
        inspection._log("opened", "system", at, draw_id=draw_id)
        return inspection

    # -- who ------------------------------------------------------------------------------

    @property
    def leader(self) -> TeamMember:
        return next(m for m in self.team if m.role is TeamRole.LEADER)

    @property
    def signers(self) -> list[str]:
        return [m.inspector_id for m in self.team if m.role in SIGNING_ROLES]

    @property
    def unsigned(self) -> list[str]:
        return [i for i in self.signers if i not in self.signatures]

    def _member(self, actor: str) -> TeamMember:
        for m in self.team:
            if m.inspector_id == actor:
                return m
        raise NotAllowed(f"{actor} 不是该检查对象的检查组成员", actor=actor)

    @property
    def object_kind(self) -> ObjectKind:
        """What was drawn: always read from the object id (ADR 0011), never stored."""
        return kind_of(self.uscc)

    @property
    def window(self) -> tuple[date, date]:
        """From the day the inspection was opened (draw completed) to the task's deadline."""
        return china_date(self.created_at), self.deadline

    @property
    def is_open(self) -> bool:
        return self.status is not InspectionStatus.SUBMITTED

    @property
    def members(self) -> frozenset[str]:
        """Who works on it in the field: the team (inspectors, experts) and the visit's
        leader; they, and the departments, may read it."""
        return frozenset({m.inspector_id for m in self.team} | {self.visit_leader_id} - {""})

    @property
    def agencies(self) -> frozenset[str]:
        """The co-organising agencies whose items the form holds (第三条); their inspectors,
        ``<agency>:<id>``, sign here like any member."""
        return frozenset(item.agency for item in self.check_items if item.agency)

    def is_team_member(self, actor: str) -> bool:
        return bool(actor) and actor in self.members

    def _leader(self, actor: str, action: str) -> None:
        if self.visit_leader_id and actor == self.visit_leader_id:
            return  # the visit's leader organises the whole visit (第八条)
        if self._member(actor).role is not TeamRole.LEADER:
            raise NotAllowed(f"只有检查组长（{self.leader.inspector_id}）可以{action}", actor=actor)

    def _open_for(self, action: str) -> None:
        if self.status is InspectionStatus.SUBMITTED:
            raise StateRefused(f"检查记录已提交，不能再{action}", status=str(self.status))

    def _log(self, action: str, actor: str, at: datetime, **detail: Any) -> None:
        self.new_log.append(LogEntry(action, actor, at, detail))
        self.updated_at = at

    # -- steps ----------------------------------------------------------------------------

    def record_results(
        self,
        actor: str,
        entries: list[ResultEntry],
        at: datetime,
        not_inspected: NotInspected | None = None,
        withhold: Withhold | None = None,
    ) -> bool:
        """The leader enters the whole form (谁检查、谁录入). Returns True if signatures given
        to earlier results were cleared (they confirmed something that no longer stands).

        ``not_inspected``: the target was not inspected and counts as done; every item gets
        the reason's national category. ``withhold``: the law keeps the result private."""
        self._open_for("修改检查结果")
        self._leader(actor, "录入检查结果")
        errors = self.form_errors(entries, at, not_inspected)
        if errors:
            raise ResultsInvalid(errors)
        if not_inspected is not None:
            entries, _ = not_inspected_entries(self.check_items, not_inspected, entries)
            reason: NotInspectedReason | None = not_inspected.reason
            occurred_on = not_inspected.occurred_on
        else:
            reason, occurred_on = inferred_reason(entries), None
        names = {item.code: item.name for item in self.check_items}
        by_code = {e.check_item_code: e for e in entries}
        results = [
            ItemResult(
                check_item_code=item.code,
                check_item_name=names[item.code],
                category=by_code[item.code].category,
                pending_reason=by_code[item.code].pending_reason,
                remark=by_code[item.code].remark,
                agency=item.agency,
            )
            for item in self.check_items
        ]
        cleared = sorted(self.signatures)
        self.results = results
        self.not_inspected_reason, self.not_inspected_on = reason, occurred_on
        self.withhold_reason = withhold.text() if withhold else ""
        self.signatures = {}
        self.recorded_by, self.recorded_at = actor, at
        self.status = InspectionStatus.RECORDED
        self._log(
            "results_recorded",
            actor,
            at,
            results=[r.model_dump(mode="json") for r in results],
            signatures_cleared=cleared,
            not_inspected_reason=str(reason) if reason else None,
            not_inspected_on=occurred_on.isoformat() if occurred_on else None,
            withhold_reason=self.withhold_reason or None,
        )
        return bool(cleared)

    def form_errors(
        self, entries: list[ResultEntry], at: datetime, not_inspected: NotInspected | None
    ) -> list[FieldError]:
        """What is wrong with a form before it is recorded (empty: nothing)."""
        if not_inspected is None:
            if not entries:
                return [FieldError("results", "至少录入一条检查结果，或说明未开展检查的情形")]
            return check_results(self.check_items, entries)
        _, errors = not_inspected_entries(self.check_items, not_inspected, entries)
        codes = {item.code for item in self.check_items}
        errors += [
            FieldError(
                f"results[{i}].check_item_code", f"检查事项「{e.check_item_code}」不属于本任务"
            )
            for i, e in enumerate(entries)
            if e.check_item_code not in codes
        ]
        when = not_inspected.occurred_on
        if not_inspected.reason in BEFORE_DEADLINE:
            if when is None:
                errors.append(
                    FieldError("not_inspected.occurred_on", "注销、吊销、撤销、迁出须填写发生日期")
                )
            elif when > self.deadline:
                errors.append(
                    FieldError(
                        "not_inspected.occurred_on",
                        f"发生在检查任务截止日期（{self.deadline}）之后，不属于视为完成抽查的情形",
                    )
                )
        if when is not None and when > china_date(at):
            errors.append(FieldError("not_inspected.occurred_on", "发生日期不能晚于今天"))
        return errors

    def record_samples(self, actor: str, samples: list[Sample], at: datetime) -> bool:
        """The leader records (replaces) a product's samples. Returns True if signatures were
        cleared: the team confirmed a record that no longer stands."""
        self._open_for("登记抽样")
        self._leader(actor, "登记抽样")
        if self.object_kind is not ObjectKind.PRODUCT:
            label = OBJECT_LABELS[self.object_kind]
            raise ResultsInvalid(
                [FieldError("samples", f"只有产品的检查登记抽样，本检查对象为{label}")],
                heading="不能登记抽样",
            )
        errors = check_samples(samples, china_date(self.created_at), china_date(at))
        if errors:
            raise ResultsInvalid(errors, heading="抽样登记不符合要求")
        if samples == self.samples:
            return False
        cleared = sorted(self.signatures)
        self.samples = list(samples)
        self.signatures = {}
        if self.status is InspectionStatus.SIGNED:
            self.status = InspectionStatus.RECORDED
        self._log(
            "samples_recorded",
            actor,
            at,
            samples=[s.model_dump(mode="json") for s in samples],
            signatures_cleared=cleared,
        )
        return bool(cleared)

    def sampling_missing(self, attached: Collection[AttachmentKind]) -> list[FieldError]:
        """What a product's submission still lacks (抽样检测, ADR 0011): a sample, the sampling
        form, the lab report. A product not inspected (counted as done) needs none."""
        if self.object_kind is not ObjectKind.PRODUCT or self.not_inspected_reason:
            return []
        missing = [] if self.samples else [FieldError("samples", "至少登记一个样品")]
        return missing + [
            FieldError("attachments", f"缺少{label}（{kind}）附件")
            for kind, label in SAMPLING_ATTACHMENTS.items()
            if kind not in attached
        ]

    @property
    def not_inspected_label(self) -> str:
        return NOT_INSPECTED_LABELS[self.not_inspected_reason] if self.not_inspected_reason else ""

    def replace_inspector(
        self,
        replaced: str,
        team: list[TeamMember],
        at: datetime,
        *,
        reason: str,
        approved_by: str,
        approval_ref: str,
        actor: str = "system",
    ) -> bool:
        """The draw replaced a drawn inspector with the deputy director's approval (第六条).
        The replaced inspector's signature no longer stands; the new member has to sign.
        A submitted form cannot change: the replacement is only noted. Returns True if the
        team changed."""
        detail: dict[str, Any] = {
            "replaced_inspector_id": replaced,
            "team": [m.model_dump(mode="json") for m in team],
            "reason": reason,
            "approved_by": approved_by,
            "approval_ref": approval_ref,
        }
        if self.status is InspectionStatus.SUBMITTED:
            self._log("inspector_replacement_after_submission", actor, at, **detail)
            return False
        if [m.model_dump() for m in team] == [m.model_dump() for m in self.team]:
            return False
        try:
            check_team(team)
        except TeamInvalid as exc:  # kept, not applied: the draw's record must be put right
            self._log("inspector_replacement_refused", actor, at, refusal=str(exc), **detail)
            return False
        self.team = list(team)
        signers = set(self.signers)
        dropped = sorted(s for s in self.signatures if s not in {m.inspector_id for m in team})
        self.signatures = {k: v for k, v in self.signatures.items() if k not in dropped}
        if self.status is not InspectionStatus.PENDING:
            self.status = (
                InspectionStatus.SIGNED
                if all(s in self.signatures for s in signers)
                else InspectionStatus.RECORDED
            )
        self._log("inspector_replaced", actor, at, signatures_dropped=dropped, **detail)
        return True

    def sign(self, actor: str, at: datetime) -> None:
        """A team member confirms the results and signs the record form; signing twice
        changes nothing."""
        self._open_for("签名")
        self._member(actor)
        if self.status is InspectionStatus.PENDING:
            raise StateRefused("检查结果尚未录入，不能签名", status=str(self.status))
        if actor in self.signatures:
            return
        self.signatures[actor] = at
        if not self.unsigned:
            self.status = InspectionStatus.SIGNED
        self._log("signed", actor, at)

    def submit(
        self,
        actor: str,
        at: datetime,
        completed_on: date | None = None,
        attached: Collection[AttachmentKind] | None = (),
    ) -> None:
        """The leader submits the signed record form; it cannot change afterwards.

        ``attached``: the kinds of the files attached (a product needs its sampling form and
        lab report); None where the files are kept by another district, which checks them
        (a neighbour's copy of a joint inspection)."""
        self._open_for("提交")
        self._leader(actor, "提交检查记录")
        if self.status is InspectionStatus.PENDING or not self.results:
            raise StateRefused("检查结果尚未录入，不能提交", status=str(self.status))
        if self.unsigned:
            raise StateRefused(
                f"检查组成员尚未全部签名：{'、'.join(self.unsigned)}",
                status=str(self.status),
                unsigned=self.unsigned,
            )
        today = china_date(at)
        completed = completed_on or today
        if completed > today:
            raise ResultsInvalid([FieldError("completed_on", f"完成日期不能晚于今天（{today}）")])
        if completed < china_date(self.created_at):
            raise ResultsInvalid(
                [FieldError("completed_on", "完成日期不能早于抽取完成、检查任务下达之日")]
            )
        missing = [] if attached is None else self.sampling_missing(attached)
        if missing:
            raise ResultsInvalid(missing, heading="产品抽样检测材料不全，不能提交")
        self.status = InspectionStatus.SUBMITTED
        self.submitted_by, self.submitted_at, self.completed_on = actor, at, completed
        self._log("submitted", actor, at, completed_on=completed.isoformat())

    def submitted_event(self) -> InspectionSubmitted:
        if (
            self.status is not InspectionStatus.SUBMITTED
            or self.completed_on is None
            or self.submitted_by is None
        ):
            raise StateRefused("检查记录尚未提交")
        return InspectionSubmitted(
            inspection_id=self.inspection_id,
            task_id=self.task_id,
            task_no=self.task_no,
            task_title=self.task_title,
            draw_id=self.draw_id,
            uscc=self.uscc,
            entity_name=self.entity_name,
            inspecting_authority=self.inspecting_authority,
            team=self.team,
            results=self.results,
            completed_on=self.completed_on,
            submitted_by=self.submitted_by,
            check_type=self.check_type,
            plan_no=self.plan_no,
            plan_name=self.plan_name,
            visit_id=self.visit_id,
            not_inspected_reason=self.not_inspected_label,
            not_inspected_on=self.not_inspected_on,
            withhold_reason=self.withhold_reason,
            area=self.area,
            details=self.details,
            samples=self.samples,
        )
