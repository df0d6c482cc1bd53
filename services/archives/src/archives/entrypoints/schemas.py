"""The archives API's models (what the OpenAPI document shows). Dossiers grow from events and
from the exemptions of 第十三条 (a proposal, the director's meeting's decision: the only JSON
request bodies); the other bodies are files' raw bytes.

Models built from the domain's report dictionaries forbid extra keys, so a key the domain adds
and the model does not know fails loudly instead of vanishing from the answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from archives.domain.chain import CHAIN_RULE, CHAIN_RULE_TEXT, EntryKind, Verification
from archives.domain.exemptions import (
    CIRCUMSTANCE_LABELS,
    MAX_MINUTE_NO,
    MAX_STATEMENT,
    Circumstance,
    Evidence,
    Exemption,
)
from archives.domain.model import DossierHead, Entry, ParkedFold
from archives.service_layer.accountability import Refolded
from archives.service_layer.views import AttachmentCheck, DossierView, PlanFile, dossier_contents


class _Report(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------- dossiers


class DossierSummary(BaseModel):
    task_id: str
    task_no: str | None = Field(description="任务编号")
    title: str | None = Field(description="任务名称")
    entry_count: int = Field(description="条目数")
    head_hash: str = Field(description="链头哈希（最后一个条目的哈希，十六进制）")
    opened_at: str = Field(description="建档时间")
    last_activity_at: str = Field(description="最近归档时间")
    last_event_type: str | None = Field(description="最近归档的事件类型")
    drawing_district: str | None = Field(
        description="相邻区的任务（本局参与其联合抽取）：发起抽取、负责该任务的区；本局任务为空"
    )

    @classmethod
    def of(cls, head: DossierHead) -> DossierSummary:
        return cls(
            task_id=head.task_id,
            task_no=head.task_no,
            title=head.title,
            entry_count=head.entry_count,
            head_hash=head.head_hash,
            opened_at=head.opened_at.isoformat(),
            last_activity_at=head.last_activity_at.isoformat(),
            last_event_type=head.last_event_type,
            drawing_district=head.drawing_district,
        )


class VerificationOut(BaseModel):
    ok: bool = Field(description="哈希链是否完整")
    checked: int = Field(description="校验通过的条目数")
    head_hash: str = Field(description="重新计算得到的链头哈希")
    first_bad_seq: int | None = Field(description="第一个不符的条目序号")
    reason: str | None = Field(description="不符的原因")
    chain_rule: str = Field(description="哈希链规则标识")

    @classmethod
    def of(cls, verification: Verification) -> VerificationOut:
        return cls.model_validate(verification.as_dict())


class EntryOut(BaseModel):
    seq: int = Field(description="序号（从 1 起，连续）")
    kind: str = Field(
        description="条目类别：event 事件、attachment 附件、plan 抽查工作计划、"
        "joint_act 本局在相邻区联合抽取中的行为、exemption 免责申请或局长办公会的决定"
    )
    event_id: str | None
    event_type: str | None
    occurred_at: str | None = Field(description="事件发生时间")
    actor: str | None = Field(description="操作人")
    recorded_at: str = Field(description="归档时间（不在哈希覆盖范围内）")
    prev_hash: str
    entry_hash: str
    document: dict[str, Any] = Field(description="归档内容：事件的完整信封")

    @classmethod
    def of(cls, entry: Entry) -> EntryOut:
        document = entry.document
        event_id, event_type = entry.event_id, entry.event_type
        envelope = entry.envelope or {}
        occurred_at, actor = envelope.get("occurred_at"), envelope.get("actor")
        if entry.kind == EntryKind.PLAN:
            # The plan version's own event (the same in every dossier that links it).
            plan = document.get("plan_envelope")
            plan = plan if isinstance(plan, Mapping) else {}
            event_id, event_type = document.get("plan_event_id"), plan.get("event_type")
            occurred_at, actor = plan.get("occurred_at"), plan.get("actor")
        if entry.kind == EntryKind.EXEMPTION:  # an act recorded here: who, and when
            proposed = document.get("act") == "proposed"
            occurred_at = document.get("proposed_at" if proposed else "decided_at")
            actor = document.get("proposed_by" if proposed else "decided_by")
        return cls(
            seq=entry.seq,
            kind=entry.kind,
            event_id=event_id,
            event_type=event_type,
            occurred_at=occurred_at,
            actor=actor,
            recorded_at=entry.recorded_at.isoformat(),
            prev_hash=entry.link.prev_hash,
            entry_hash=entry.link.entry_hash,
            document=dict(document),
        )


class ContentsCategory(_Report):
    code: str
    label: str
    required: bool = Field(description="第十二条要求必备")
    count: int
    entries: list[dict[str, Any]] = Field(description="该类别的条目（序号、哈希及摘要）")


class Contents(_Report):
    article: str
    categories: list[ContentsCategory]
    missing: list[str] = Field(description="缺少的必备材料类别")


class ChainRule(BaseModel):
    id: str
    description: str

    @classmethod
    def current(cls) -> ChainRule:
        return cls(id=CHAIN_RULE, description=CHAIN_RULE_TEXT)


class DossierOut(BaseModel):
    dossier: DossierSummary
    entries: list[EntryOut]
    verification: VerificationOut
    chain_rule: ChainRule
    contents: Contents = Field(
        description="按实施细则第十二条分类的档案目录（由条目导出，不在哈希覆盖范围内）"
    )

    @classmethod
    def of(cls, view: DossierView) -> DossierOut:
        return cls(
            dossier=DossierSummary.of(view.head),
            entries=[EntryOut.of(e) for e in view.entries],
            verification=VerificationOut.of(view.verification),
            chain_rule=ChainRule.current(),
            contents=Contents.model_validate(dossier_contents(view)),
        )


class DossierContentsOut(Contents):
    task_id: str
    entry_count: int
    head_hash: str
    verification: VerificationOut

    @classmethod
    def of(cls, view: DossierView) -> DossierContentsOut:
        return cls.model_validate(
            {
                "task_id": view.head.task_id,
                "entry_count": view.head.entry_count,
                "head_hash": view.head.head_hash,
                "verification": view.verification.as_dict(),
                **dossier_contents(view),
            }
        )


class DossierList(BaseModel):
    total: int
    items: list[DossierSummary]


class AttachmentCheckOut(BaseModel):
    attachment_id: str
    seq: int = Field(description="附件条目的序号")
    entry_hash: str
    filename: str | None = Field(description="归档的文件名")
    filed_sha256: str | None = Field(description="归档的 SHA-256")
    filed_size: int | None = Field(description="归档的文件大小（字节）")
    sha256: str = Field(description="所交文件的 SHA-256")
    size: int = Field(description="所交文件的大小（字节）")
    matches: bool = Field(description="与归档的哈希和大小是否一致")
    chain_ok: bool = Field(description="档案哈希链是否完整")

    @classmethod
    def of(cls, check: AttachmentCheck) -> AttachmentCheckOut:
        return cls.model_validate(dataclasses.asdict(check))


# ---------------------------------------------------------------------------- plans


class PlanVersionOut(BaseModel):
    plan_version: int
    event_id: str
    envelope: dict[str, Any] = Field(description="该版本的完整事件信封")


class PlanOut(BaseModel):
    plan_id: str
    versions: list[PlanVersionOut]
    tasks: list[str] = Field(description="按该计划批准的任务 ID")

    @classmethod
    def of(cls, plan: PlanFile) -> PlanOut:
        return cls(
            plan_id=plan.plan_id,
            versions=[
                PlanVersionOut(
                    plan_version=v.plan_version, event_id=v.event_id, envelope=dict(v.envelope)
                )
                for v in plan.versions
            ],
            tasks=plan.tasks,
        )


# ---------------------------------------------------------------------------- accountability


class Member(_Report):
    inspector_id: str | None
    name: str | None
    department: str | None
    role: str | None


class ExemptionDecisionSummary(_Report):
    granted: bool
    reasons: str
    meeting_date: str = Field(description="局长办公会日期")
    minute_no: str = Field(description="会议纪要编号")
    decided_by: str


class ExemptionSummary(_Report):
    exemption_id: str
    status: str = Field(description="proposed 待局长办公会决定 | granted 免责 | refused 不予免责")
    circumstances: list[str]
    circumstance_labels: list[str]
    proposed_by: str
    proposing_department: str
    proposed_on: str
    seq: int = Field(description="申请在任务档案中的条目序号")
    decision: ExemptionDecisionSummary | None


class Item(_Report):
    """A failure under 第十三条: overdue (still not done) or late (done after the deadline);
    answerable (问责) or exempted by the director's meeting (免责)."""

    item_id: str = Field(description="事项编号（类别:任务:对象），申请免责时引用")
    kind: str
    kind_label: str
    status: str = Field(description="overdue 逾期未完成 | late 逾期完成")
    task_id: str | None
    task_no: str | None
    task_title: str | None
    department: str | None = Field(description="责任科室")
    inspectors: list[Member] = Field(description="责任检查人员")
    due_on: str = Field(description="期限（最后一天）")
    calendar_version: str | None = Field(
        description="计算期限所用的工作日历版本；由业务服务给出的日期为空"
    )
    done_on: str | None
    overdue_workdays: int | None = Field(description="逾期工作日数；日历未覆盖时为空")
    subject: dict[str, Any] = Field(description="对象：检查对象、检查结果、异议或后续处理")
    description: str
    accountability: str = Field(description="accountable 问责 | exempt 免责")
    accountability_label: str
    exemption: ExemptionSummary | None = Field(
        description="最近一次免责申请及局长办公会的决定（已免责的，为免责的那一次）"
    )


class PendingItem(_Report):
    """A clock whose deadline waits for a year's holiday schedule (or lacks its start)."""

    kind: str
    kind_label: str
    due_status: str = Field(description="pending_calendar 日历未录入 | no_start 缺少起算日期")
    task_id: str | None
    task_no: str | None
    department: str | None
    subject: dict[str, Any]
    reason: str
    description: str


class Summary(_Report):
    overdue: int = Field(description="问责：逾期未完成")
    late: int = Field(description="问责：逾期完成")
    exempt: int = Field(description="免责：经局长办公会决定免责")
    exemption_proposed: int = Field(description="免责申请待局长办公会决定（仍计入问责）")
    pending_calendar: int


class DepartmentCounts(_Report):
    department: str
    overdue: dict[str, int] = Field(description="问责：按类别的逾期未完成数")
    late: dict[str, int] = Field(description="问责：按类别的逾期完成数")
    exempt: dict[str, int] = Field(description="免责：按类别")
    overdue_total: int
    late_total: int
    accountable_total: int = Field(description="问责合计")
    exempt_total: int = Field(description="免责合计")


class InspectorCounts(_Report):
    inspector_id: str | None
    name: str | None
    department: str | None
    overdue: dict[str, int]
    late: dict[str, int]
    exempt: dict[str, int]
    overdue_total: int
    late_total: int
    accountable_total: int
    exempt_total: int


class AccountabilityOut(_Report):
    as_of: str = Field(description="截止日")
    year: int | None
    department: str | None
    kinds: dict[str, str] = Field(description="类别及其名称")
    summary: Summary
    by_department: list[DepartmentCounts]
    by_inspector: list[InspectorCounts]
    items: list[Item]
    pending_calendar: list[PendingItem] = Field(description="期限待定（该年节假日安排未录入）")

    @classmethod
    def of(cls, report: Mapping[str, Any]) -> AccountabilityOut:
        return cls.model_validate(report)


class Rates(_Report):
    targets: int
    submitted: int
    not_inspected_counted_done: int
    completion_rate: float | None
    results_formed: int
    results_published: int
    results_withheld: int
    results_on_time: int
    publication_rate: float | None
    on_time_rate: float | None


class TaskStatistics(Rates):
    task_id: str
    task_no: str | None
    title: str | None
    department: str
    deadline: str | None
    drawn: bool
    overdue: dict[str, int] = Field(description="问责：按类别的逾期未完成数（不含免责）")
    exempt: dict[str, int] = Field(description="免责：按类别")


class DepartmentStatistics(Rates):
    department: str
    tasks: int
    tasks_completed: int
    tasks_past_deadline: int
    results_by_category: dict[str, int]


class InspectorStatistics(Rates):
    """One inspector's share: the targets of every team they were on, and their results."""

    inspector_id: str
    name: str | None
    department: str | None


class StatisticsOut(_Report):
    as_of: str
    year: int
    department: str | None
    tasks: list[TaskStatistics]
    departments: list[DepartmentStatistics]
    inspectors: list[InspectorStatistics] = Field(
        description="按检查人员：所在检查组的检查对象数、完成率、公示率（第十三条）"
    )
    results_by_category: dict[str, int] = Field(description="检查结果按类别计数（现行版本）")
    by_department: list[DepartmentCounts]
    by_inspector: list[InspectorCounts]

    @classmethod
    def of(cls, report: Mapping[str, Any]) -> StatisticsOut:
        return cls.model_validate(report)


# ---------------------------------------------------------------------------- parked folds


class ParkedFoldOut(BaseModel):
    event_id: str
    event_type: str
    error: str = Field(description="折算失败的原因（最近一次）")
    attempts: int = Field(description="已尝试次数")
    parked_at: str
    last_tried_at: str
    envelope: dict[str, Any] = Field(description="完整事件信封（含 payload）")

    @classmethod
    def of(cls, parked: ParkedFold) -> ParkedFoldOut:
        return cls(
            event_id=parked.event_id,
            event_type=parked.event_type,
            error=parked.error,
            attempts=parked.attempts,
            parked_at=parked.parked_at.isoformat(),
            last_tried_at=parked.last_tried_at.isoformat(),
            envelope=dict(parked.envelope),
        )


class ParkedFoldPage(BaseModel):
    total: int
    items: list[ParkedFoldOut]


class RefoldOut(BaseModel):
    refolded: int = Field(description="重新折算成功、已移出的事件数")
    still_parked: int = Field(description="仍搁置的事件数")

    @classmethod
    def of(cls, refolded: Refolded) -> RefoldOut:
        return cls(refolded=refolded.refolded, still_parked=refolded.still_parked)


# ---------------------------------------------------------------------------- exemptions


class EvidenceOut(BaseModel):
    evidence_id: str = Field(description="上传的证明材料编号，或档案中附件的编号")
    source: str = Field(description="archives 上传至档案服务 | dossier 档案中已归档的附件")
    task_id: str
    filename: str
    media_type: str
    size: int
    sha256: str
    added_by: str
    added_at: str
    seq: int | None = Field(description="档案附件：归档该附件的条目序号")

    @classmethod
    def of(cls, evidence: Evidence) -> EvidenceOut:
        return cls.model_validate(
            {**dataclasses.asdict(evidence), "added_at": evidence.added_at.isoformat()}
        )


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(min_length=5, max_length=300, description="责任追究报告中事项的 item_id")
    circumstances: list[Circumstance] = Field(
        min_length=1,
        description="免责情形（第十三条）："
        + "；".join(f"{k.value} {v}" for k, v in CIRCUMSTANCE_LABELS.items()),
    )
    statement: str = Field(min_length=1, max_length=MAX_STATEMENT, description="免责理由")
    evidence_ids: list[str] = Field(
        default_factory=list, max_length=50, description="已上传的证明材料编号"
    )
    attachment_ids: list[str] = Field(
        default_factory=list, max_length=50, description="任务档案中已归档的附件编号"
    )


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    granted: bool = Field(description="true 免责 | false 不予免责")
    reasons: str = Field(min_length=1, max_length=MAX_STATEMENT, description="决定理由")
    meeting_date: date = Field(description="局长办公会日期（不早于申请日，不晚于今天）")
    minute_no: str = Field(min_length=1, max_length=MAX_MINUTE_NO, description="会议纪要编号")


class DecisionOut(BaseModel):
    granted: bool
    reasons: str
    meeting_date: str
    minute_no: str
    decided_by: str
    decided_at: str
    seq: int | None = Field(description="决定在任务档案中的条目序号")
    proposal_entry_hash: str = Field(description="所决定的申请条目的哈希")


class ExemptionOut(BaseModel):
    exemption_id: str
    status: str = Field(description="proposed 待局长办公会决定 | granted 免责 | refused 不予免责")
    item_id: str
    task_id: str
    department: str = Field(description="责任科室")
    item: dict[str, Any] = Field(description="申请时的逾期事项（类别、责任人、期限、对象）")
    circumstances: list[str]
    circumstance_labels: list[str]
    statement: str
    evidence: list[EvidenceOut]
    proposed_by: str
    proposing_department: str
    proposed_at: str
    seq: int = Field(description="申请在任务档案中的条目序号")
    entry_hash: str
    decision: DecisionOut | None

    @classmethod
    def of(cls, exemption: Exemption) -> ExemptionOut:
        p, d = exemption.proposal, exemption.decision
        doc = p.document()
        return cls(
            exemption_id=p.exemption_id,
            status=str(exemption.status),
            item_id=p.item_id,
            task_id=p.task_id,
            department=p.department,
            item=doc["item"],
            circumstances=doc["circumstances"],
            circumstance_labels=[CIRCUMSTANCE_LABELS[c] for c in p.circumstances],
            statement=p.statement,
            evidence=[EvidenceOut.of(e) for e in p.evidence],
            proposed_by=p.proposed_by,
            proposing_department=p.proposing_department,
            proposed_at=p.proposed_at.isoformat(),
            seq=exemption.seq,
            entry_hash=exemption.entry_hash,
            decision=None
            if d is None
            else DecisionOut(
                granted=d.granted,
                reasons=d.reasons,
                meeting_date=d.meeting_date.isoformat(),
                minute_no=d.minute_no,
                decided_by=d.decided_by,
                decided_at=d.decided_at.isoformat(),
                seq=exemption.decision_seq,
                proposal_entry_hash=d.proposal_entry_hash,
            ),
        )


class ExemptionPage(BaseModel):
    total: int
    items: list[ExemptionOut]
