"""Exemptions from accountability (实施细则第十三条：尽职照单免责，失职照单问责). Pure: no I/O.

A failure the accountability report lists (an *item*, named by its stable ``item_id``) may be
exempted for one of the circumstances of 第十三条 第三款. The department answering for it (or
the credit department) proposes, with a statement and evidence (files with their SHA-256); the
director's meeting (局长办公会) decides, granted or refused, with reasons, the meeting's date and
its minute number. Both acts are filed in the task's dossier as entries of kind ``exemption``
(documents: :meth:`Proposal.document`, :meth:`Decision.document`).

An item stays listed either way: exempted (免责) when a granted decision's meeting took place on
or before the day the report is read as of, otherwise answerable (问责). A refused proposal may
be followed by a new one (new evidence); a granted one is final, and an item has at most one
proposal waiting for the meeting at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from spotcheck_common.clock import china_date
from spotcheck_common.errors import Conflict, Invalid

MAX_STATEMENT = 5000
MAX_MINUTE_NO = 100


class Circumstance(StrEnum):
    """第十三条 第三款: the circumstances that exempt the inspectors."""

    DUTIES_DONE = "duties_done_under_plan"
    TECHNICAL_LIMITS = "technical_limits"
    NO_CAUSAL_LINK = "no_causal_link"
    FALSE_PROFESSIONAL_REPORT = "false_professional_report"


CIRCUMSTANCE_LABELS = {
    Circumstance.DUTIES_DONE: "已按照相关规定和年度抽查工作计划安排履行抽查检查职责",
    Circumstance.TECHNICAL_LIMITS: "因现有专业技术手段限制未发现问题",
    Circumstance.NO_CAUSAL_LINK: "检查对象发生事故与执法检查人员的抽查检查不存在因果关系",
    Circumstance.FALSE_PROFESSIONAL_REPORT: "受委托的专业机构出具虚假报告导致错误判定或者处理",
}


class Status(StrEnum):
    PROPOSED = "proposed"  # 待局长办公会决定
    GRANTED = "granted"  # 决定免责
    REFUSED = "refused"  # 决定不予免责


ACCOUNTABLE, EXEMPT = "accountable", "exempt"
ACCOUNTABILITY_LABELS = {ACCOUNTABLE: "问责", EXEMPT: "免责"}


class EvidenceSource(StrEnum):
    UPLOADED = "archives"  # uploaded to archives with the proposal (content kept here)
    DOSSIER = "dossier"  # an attachment already filed in the task's dossier (inspections keeps it)


@dataclass(frozen=True)
class Evidence:
    """One file a proposal rests on: named and hashed, so the dossier binds its content."""

    evidence_id: str
    source: EvidenceSource
    task_id: str
    filename: str
    media_type: str
    size: int
    sha256: str
    added_by: str
    added_at: datetime
    # An attachment of the dossier: the entry that filed it.
    seq: int | None = None

    def document(self) -> dict[str, Any]:
        return {
            "evidence_id": self.evidence_id,
            "source": str(self.source),
            "filename": self.filename,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "added_by": self.added_by,
            "added_at": self.added_at.isoformat(),
            "seq": self.seq,
        }


def item_id(kind: str, task_id: Any, ref: Any) -> str:
    """A failure's stable name: the kind, the task and the thing that failed (target, result,
    objection, follow-up). The same on every read, whatever the day or the status."""
    return f"{kind}:{task_id}:{ref}"


@dataclass(frozen=True)
class Proposal:
    exemption_id: str
    item: Mapping[str, Any]  # the failure as listed when proposed (kind, task, who, subject, …)
    circumstances: tuple[Circumstance, ...]
    statement: str
    evidence: tuple[Evidence, ...]
    proposed_by: str
    proposing_department: str
    proposed_at: datetime

    @property
    def item_id(self) -> str:
        return str(self.item["item_id"])

    @property
    def task_id(self) -> str:
        return str(self.item["task_id"])

    @property
    def department(self) -> str:
        return str(self.item.get("department") or "")

    @property
    def proposed_on(self) -> date:
        return china_date(self.proposed_at)

    def document(self) -> dict[str, Any]:
        """The ``exemption`` entry filed when proposed (and kept as the proposal's record)."""
        item = self.item
        return {
            "task_id": self.task_id,
            "act": "proposed",
            "exemption_id": self.exemption_id,
            "item_id": self.item_id,
            "item": {
                "kind": item.get("kind"),
                "kind_label": item.get("kind_label"),
                "status": item.get("status"),
                "department": item.get("department"),
                "inspectors": list(item.get("inspectors") or []),
                "due_on": item.get("due_on"),
                "done_on": item.get("done_on"),
                "subject": dict(item.get("subject") or {}),
                "description": item.get("description"),
            },
            "circumstances": [str(c) for c in self.circumstances],
            "statement": self.statement,
            "evidence": [e.document() for e in self.evidence],
            "proposed_by": self.proposed_by,
            "proposing_department": self.proposing_department,
            "proposed_at": self.proposed_at.isoformat(),
        }

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Proposal:
        item = {**doc["item"], "item_id": doc["item_id"], "task_id": doc["task_id"]}
        return cls(
            exemption_id=doc["exemption_id"],
            item=item,
            circumstances=tuple(Circumstance(c) for c in doc["circumstances"]),
            statement=doc["statement"],
            evidence=tuple(
                Evidence(
                    evidence_id=e["evidence_id"],
                    source=EvidenceSource(e["source"]),
                    task_id=doc["task_id"],
                    filename=e["filename"],
                    media_type=e["media_type"],
                    size=e["size"],
                    sha256=e["sha256"],
                    added_by=e["added_by"],
                    added_at=datetime.fromisoformat(e["added_at"]),
                    seq=e.get("seq"),
                )
                for e in doc["evidence"]
            ),
            proposed_by=doc["proposed_by"],
            proposing_department=doc["proposing_department"],
            proposed_at=datetime.fromisoformat(doc["proposed_at"]),
        )


@dataclass(frozen=True)
class Decision:
    exemption_id: str
    task_id: str
    item_id: str
    granted: bool
    reasons: str
    meeting_date: date
    minute_no: str
    decided_by: str
    decided_at: datetime
    # The proposal's entry in the dossier: the decision is bound to exactly what was proposed.
    proposal_seq: int
    proposal_entry_hash: str

    def document(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "act": "decided",
            "exemption_id": self.exemption_id,
            "item_id": self.item_id,
            "granted": self.granted,
            "reasons": self.reasons,
            "meeting_date": self.meeting_date.isoformat(),
            "minute_no": self.minute_no,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat(),
            "proposal_seq": self.proposal_seq,
            "proposal_entry_hash": self.proposal_entry_hash,
        }

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Decision:
        return cls(
            exemption_id=doc["exemption_id"],
            task_id=doc["task_id"],
            item_id=doc["item_id"],
            granted=bool(doc["granted"]),
            reasons=doc["reasons"],
            meeting_date=date.fromisoformat(doc["meeting_date"]),
            minute_no=doc["minute_no"],
            decided_by=doc["decided_by"],
            decided_at=datetime.fromisoformat(doc["decided_at"]),
            proposal_seq=int(doc["proposal_seq"]),
            proposal_entry_hash=doc["proposal_entry_hash"],
        )


@dataclass(frozen=True)
class Exemption:
    """A proposal, where it is filed, and the meeting's decision once there is one."""

    proposal: Proposal
    seq: int
    entry_hash: str
    decision: Decision | None = None
    decision_seq: int | None = None  # the decision's entry in the dossier

    @property
    def exemption_id(self) -> str:
        return self.proposal.exemption_id

    @property
    def status(self) -> Status:
        if self.decision is None:
            return Status.PROPOSED
        return Status.GRANTED if self.decision.granted else Status.REFUSED

    def as_of(self, day: date) -> Exemption | None:
        """What was known on ``day``: None before the proposal, undecided before the meeting."""
        if self.proposal.proposed_on > day:
            return None
        if self.decision is not None and self.decision.meeting_date > day:
            return Exemption(self.proposal, self.seq, self.entry_hash)
        return self

    def summary(self) -> dict[str, Any]:
        """How an item of the report shows its exemption."""
        p, d = self.proposal, self.decision
        return {
            "exemption_id": p.exemption_id,
            "status": str(self.status),
            "circumstances": [str(c) for c in p.circumstances],
            "circumstance_labels": [CIRCUMSTANCE_LABELS[c] for c in p.circumstances],
            "proposed_by": p.proposed_by,
            "proposing_department": p.proposing_department,
            "proposed_on": p.proposed_on.isoformat(),
            "seq": self.seq,
            "decision": None
            if d is None
            else {
                "granted": d.granted,
                "reasons": d.reasons,
                "meeting_date": d.meeting_date.isoformat(),
                "minute_no": d.minute_no,
                "decided_by": d.decided_by,
            },
        }


# ---------------------------------------------------------------- the two acts


def _text(name: str, value: str, limit: int, what: str) -> str:
    text = value.strip()
    if not text or len(text) > limit:
        raise Invalid(f"须填写{what}（1–{limit} 个字符）", field=name)
    return text


def propose(
    exemption_id: str,
    item: Mapping[str, Any],
    earlier: Iterable[Exemption],
    circumstances: Sequence[Circumstance],
    statement: str,
    evidence: Sequence[Evidence],
    proposed_by: str,
    proposing_department: str,
    at: datetime,
) -> Proposal:
    """A proposal to exempt ``item`` (a failure listed today). Refused (422) without a
    circumstance, a statement or evidence; refused (409) while another proposal for the item
    waits for the meeting, or once one was granted."""
    if not circumstances:
        raise Invalid("须说明免责情形（第十三条）", field="circumstances")
    if not evidence:
        raise Invalid("须提供证明材料", field="evidence")
    if any(e.task_id != item["task_id"] for e in evidence):
        raise Invalid("证明材料须属于该事项所在任务", field="evidence")
    for e in earlier:
        if e.status is Status.GRANTED:
            raise Conflict(f"该事项已经局长办公会决定免责（{e.exemption_id}）")
        if e.status is Status.PROPOSED:
            raise Conflict(f"该事项已有待局长办公会决定的免责申请（{e.exemption_id}）")
    return Proposal(
        exemption_id=exemption_id,
        item=dict(item),
        circumstances=tuple(dict.fromkeys(circumstances)),
        statement=_text("statement", statement, MAX_STATEMENT, "免责理由"),
        evidence=tuple(evidence),
        proposed_by=proposed_by,
        proposing_department=proposing_department,
        proposed_at=at,
    )


def decide(
    exemption: Exemption,
    granted: bool,
    reasons: str,
    meeting_date: date,
    minute_no: str,
    decided_by: str,
    at: datetime,
) -> Decision:
    """The director's meeting's decision on a waiting proposal: a meeting held on or after the
    day of the proposal and not after today (in China); reasons and the minute number given."""
    if exemption.decision is not None:
        raise Conflict(f"免责申请 {exemption.exemption_id} 已经决定，不能再次决定")
    if meeting_date > china_date(at):
        raise Invalid("局长办公会日期不能晚于今天", field="meeting_date")
    if meeting_date < exemption.proposal.proposed_on:
        raise Invalid("局长办公会日期不能早于申请日期", field="meeting_date")
    return Decision(
        exemption_id=exemption.exemption_id,
        task_id=exemption.proposal.task_id,
        item_id=exemption.proposal.item_id,
        granted=granted,
        reasons=_text("reasons", reasons, MAX_STATEMENT, "决定理由"),
        meeting_date=meeting_date,
        minute_no=_text("minute_no", minute_no, MAX_MINUTE_NO, "会议纪要编号"),
        decided_by=decided_by,
        decided_at=at,
        proposal_seq=exemption.seq,
        proposal_entry_hash=exemption.entry_hash,
    )


# ---------------------------------------------------------------- the report


def classify(
    items: Iterable[dict[str, Any]], exemptions: Iterable[Exemption], as_of: date
) -> list[dict[str, Any]]:
    """Every item marked 问责 or 免责 as of ``as_of``, with its latest proposal (if any)."""
    latest: dict[str, Exemption] = {}
    for e in sorted(exemptions, key=lambda e: e.proposal.proposed_at):
        known = e.as_of(as_of)
        if known is None:
            continue
        previous = latest.get(known.proposal.item_id)
        # A granted decision stands; otherwise the newest proposal is the one shown.
        if previous is None or previous.status is not Status.GRANTED:
            latest[known.proposal.item_id] = known
    out = []
    for item in items:
        found = latest.get(item["item_id"])
        exempt = found is not None and found.status is Status.GRANTED
        marked = {
            **item,
            "accountability": EXEMPT if exempt else ACCOUNTABLE,
            "accountability_label": ACCOUNTABILITY_LABELS[EXEMPT if exempt else ACCOUNTABLE],
            "exemption": found.summary() if found else None,
        }
        if exempt and found is not None and found.decision is not None:
            d = found.decision
            marked["description"] = (
                f"{item['description']}（经局长办公会 {d.meeting_date} 第 {d.minute_no} 号"
                "纪要决定免责）"
            )
        out.append(marked)
    return out
