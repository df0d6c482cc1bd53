"""Dossiers (档案) and their entries. Pure: no I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archives.domain.chain import (
    ENVELOPE_KINDS,
    GENESIS_HASH,
    ChainLink,
    EntryKind,
    canonical_json,
    link,
)

# Payload fields that name the task in a human way; the first event carrying them names the
# dossier (planning.task-approved carries both, the others at least task_no).
TITLE_FIELDS = ("title", "task_title")


@dataclass(frozen=True)
class DossierHead:
    """The dossier row: who it is for and where its chain ends."""

    task_id: str
    entry_count: int
    head_hash: str
    opened_at: datetime
    last_activity_at: datetime
    task_no: str | None = None
    title: str | None = None
    last_event_type: str | None = None
    # A neighbour's task (a joint draw of this district): the district whose task it is.
    # None: this district's own task.
    drawing_district: str | None = None

    @classmethod
    def new(cls, task_id: str, now: datetime) -> DossierHead:
        return cls(task_id, 0, GENESIS_HASH, now, now)


@dataclass(frozen=True)
class Entry:
    """One filed record: the chained link plus when it was filed (not covered by the hash)."""

    task_id: str
    link: ChainLink
    recorded_at: datetime

    @property
    def seq(self) -> int:
        return self.link.seq

    @property
    def kind(self) -> str:
        return self.link.kind

    @property
    def document(self) -> Mapping[str, Any]:
        return self.link.document

    @property
    def envelope(self) -> Mapping[str, Any] | None:
        """The event envelope this entry files (None for a plan entry: the plan version's
        event is linked into many dossiers)."""
        if self.kind in ENVELOPE_KINDS:
            return self.document
        wrapped = self.document.get("envelope") if self.kind == EntryKind.JOINT_ACT else None
        return wrapped if isinstance(wrapped, Mapping) else None

    @property
    def event_id(self) -> str | None:
        value = (self.envelope or {}).get("event_id")
        return str(value) if value is not None else None

    @property
    def event_type(self) -> str | None:
        value = (self.envelope or {}).get("event_type")
        return str(value) if value is not None else None


def append(
    head: DossierHead, kind: EntryKind, document: Mapping[str, Any], now: datetime
) -> tuple[DossierHead, Entry]:
    """The entry that follows ``head`` and the dossier's new head."""
    chained = link(head.entry_count + 1, head.head_hash, kind, document)
    entry = Entry(head.task_id, chained, now)
    payload = entry.envelope.get("payload") if entry.envelope is not None else None
    task_no, title = head.task_no, head.title
    if isinstance(payload, Mapping):
        if task_no is None and isinstance(payload.get("task_no"), str):
            task_no = payload["task_no"]
        if title is None:
            title = next(
                (payload[f] for f in TITLE_FIELDS if isinstance(payload.get(f), str)), None
            )
    new_head = DossierHead(
        task_id=head.task_id,
        entry_count=chained.seq,
        head_hash=chained.entry_hash,
        opened_at=head.opened_at,
        last_activity_at=now,
        task_no=task_no,
        title=title,
        last_event_type=entry.event_type or head.last_event_type,
        drawing_district=head.drawing_district,
    )
    return new_head, entry


@dataclass(frozen=True)
class PlanVersion:
    """One published version of an annual plan (年度抽查工作计划), filed by ``plan_id``."""

    plan_id: str
    plan_version: int
    event_id: str
    envelope: Mapping[str, Any]

    @property
    def payload(self) -> Mapping[str, Any]:
        payload = self.envelope.get("payload")
        return payload if isinstance(payload, Mapping) else {}


def plan_entry_document(task_id: str, plan: PlanVersion) -> dict[str, Any]:
    """The document of a ``plan`` entry: the plan version the task was run under, whole.

    ``plan_envelope_sha256`` is SHA-256 of the canonical plan envelope, the same in every task
    dossier that links this version (so two dossiers can be shown to hold the same plan).
    """
    payload = plan.payload
    return {
        "task_id": task_id,
        "plan_id": plan.plan_id,
        "plan_version": plan.plan_version,
        "plan_no": payload.get("plan_no"),
        "plan_name": payload.get("plan_name"),
        "department": payload.get("department"),
        "year": payload.get("year"),
        "plan_event_id": plan.event_id,
        "plan_envelope_sha256": hashlib.sha256(canonical_json(plan.envelope)).hexdigest(),
        "plan_envelope": dict(plan.envelope),
    }


@dataclass(frozen=True)
class ParkedFold:
    """An event filed in its dossier whose fold into the accountability facts failed: kept
    whole, with the error, until a fold that works takes it (nothing is dropped)."""

    event_id: str
    event_type: str
    envelope: Mapping[str, Any]
    error: str
    attempts: int
    parked_at: datetime
    last_tried_at: datetime


REPORT_EVENTS = (
    "inspections.not-inspected-report-submitted",
    "inspections.not-inspected-report-consolidated",
)


def report_entry_document(task_id: str, envelope: Mapping[str, Any]) -> dict[str, Any]:
    """The document of a ``report`` entry: a "counted as done" report as one task it names
    files it — the report's identity, version, period and file hashes, the envelope's SHA-256
    (the same in every dossier it reaches), and only this task's objects."""
    payload = envelope["payload"]
    return {
        "task_id": task_id,
        "report_event_id": envelope["event_id"],
        "report_event_type": envelope["event_type"],
        "report_envelope_sha256": hashlib.sha256(canonical_json(envelope)).hexdigest(),
        "report_id": payload["report_id"],
        "report_version": payload["report_version"],
        "replaces": payload.get("replaces", ""),
        "department": payload.get("department", ""),
        "period_start": payload["period_start"],
        "period_end": payload["period_end"],
        "xlsx_sha256": payload["xlsx_sha256"],
        "csv_sha256": payload["csv_sha256"],
        "submitted_by": payload["submitted_by"],
        "submitted_at": payload["submitted_at"],
        "items": [i for i in payload["items"] if i.get("task_id") == task_id],
    }
