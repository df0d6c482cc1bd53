"""Archives use cases. Plain functions; the repository is injected (fakes in unit tests)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archives.adapters.repository import ArchiveRepository
from archives.domain import contents
from archives.domain.chain import (
    CHAIN_RULE,
    CHAIN_RULE_TEXT,
    EXPORT_FORMAT,
    GENESIS_HASH,
    EntryKind,
    Verification,
    verify_links,
)
from archives.domain.model import DossierHead, Entry, PlanVersion, append, plan_entry_document

TASK_APPROVED = "planning.task-approved"
ATTACHMENT_ADDED = "inspections.attachment-added"
PLAN_PUBLISHED = "planning.annual-plan-published"


RETENTION = "长期保存（实施细则第十二条）：档案只追加，无修改、删除途径"


class NotFound(Exception):
    pass


async def file_event(
    repo: ArchiveRepository, envelope: Mapping[str, Any], now: datetime
) -> Entry | None:
    """File one event envelope into its task's dossier; None if it is already filed.

    Runs inside the idempotent consumer's transaction (which already dropped a redelivery);
    the event-id check is the second guard, for a handler renamed or a consumer record lost.
    """
    payload = envelope.get("payload")
    if not isinstance(payload, Mapping) or not payload.get("task_id"):
        return None
    task_id = payload["task_id"]
    event_id = str(envelope["event_id"])
    event_type = envelope.get("event_type")
    plan_id = str(payload.get("plan_id") or "") if event_type == TASK_APPROVED else ""
    if plan_id:
        # Lock order everywhere: the plan, then the dossier (file_plan does the same), so a
        # plan version and a task naming it, filed at the same time, always see each other.
        await repo.lock_plan(plan_id, now)
    head = await repo.lock_dossier(str(task_id), now)
    if await repo.has_event(event_id):
        return None
    kind = EntryKind.ATTACHMENT if event_type == ATTACHMENT_ADDED else EntryKind.EVENT
    new_head, entry = append(head, kind, envelope, now)
    await repo.append(new_head, entry)
    if plan_id:
        await repo.set_task_plan(str(task_id), plan_id)
        await _link_plan_versions(repo, new_head, plan_id, now)
    return entry


async def _link_plan_versions(
    repo: ArchiveRepository, head: DossierHead, plan_id: str, now: datetime
) -> list[Entry]:
    """Append every filed version of ``plan_id`` not yet in the dossier (oldest first)."""
    linked = await repo.linked_plan_events(head.task_id)
    added: list[Entry] = []
    for version in await repo.plan_versions(plan_id):
        if version.event_id in linked:
            continue
        head, entry = append(head, EntryKind.PLAN, plan_entry_document(head.task_id, version), now)
        await repo.append(head, entry)
        await repo.add_plan_link(head.task_id, version, entry.seq)
        added.append(entry)
    return added


async def file_plan(repo: ArchiveRepository, envelope: Mapping[str, Any], now: datetime) -> int:
    """File a version of an annual plan under its plan id, and link it into the dossier of
    every task approved under that plan. Returns how many dossiers it was linked into
    (-1: this plan event was already filed)."""
    payload = envelope.get("payload")
    if not isinstance(payload, Mapping) or not payload.get("plan_id"):
        return -1
    plan_id = str(payload["plan_id"])
    await repo.lock_plan(plan_id, now)
    version = PlanVersion(
        plan_id, int(payload.get("plan_version") or 1), str(envelope["event_id"]), envelope
    )
    if not await repo.add_plan_version(version, now):
        return -1
    linked = 0
    for task_id in await repo.tasks_of_plan(plan_id):
        head = await repo.lock_dossier(task_id, now)
        linked += bool(await _link_plan_versions(repo, head, plan_id, now))
    return linked


async def plan_versions(repo: ArchiveRepository, plan_id: str) -> list[PlanVersion]:
    versions = await repo.plan_versions(plan_id)
    if not versions:
        raise NotFound(f"计划 {plan_id} 尚未归档")
    return versions


@dataclass(frozen=True)
class DossierView:
    head: DossierHead
    entries: list[Entry]
    verification: Verification


def check(head: DossierHead, entries: list[Entry]) -> Verification:
    return verify_links(
        (e.link for e in entries),
        task_id=head.task_id,
        expected_count=head.entry_count,
        expected_head=head.head_hash,
    )


async def read_dossier(repo: ArchiveRepository, task_id: str) -> DossierView:
    head = await repo.get_dossier(task_id)
    if head is None:
        raise NotFound(f"任务 {task_id} 尚无档案")
    entries = await repo.entries(task_id)
    return DossierView(head, entries, check(head, entries))


def summary(head: DossierHead) -> dict[str, Any]:
    return {
        "task_id": head.task_id,
        "task_no": head.task_no,
        "title": head.title,
        "entry_count": head.entry_count,
        "head_hash": head.head_hash,
        "opened_at": head.opened_at.isoformat(),
        "last_activity_at": head.last_activity_at.isoformat(),
        "last_event_type": head.last_event_type,
    }


def dossier_contents(view: DossierView) -> dict[str, Any]:
    """The dossier by the categories of 第十二条 (derived from the entries; not hashed)."""
    return contents.summarize(view.entries)


def find_attachment(view: DossierView, attachment_id: str) -> Entry:
    for entry in view.entries:
        payload = entry.document.get("payload")
        if (
            entry.kind == EntryKind.ATTACHMENT
            and isinstance(payload, Mapping)
            and payload.get("attachment_id") == attachment_id
        ):
            return entry
    raise NotFound(f"任务 {view.head.task_id} 的档案中没有附件 {attachment_id}")


def check_attachment(view: DossierView, attachment_id: str, content: bytes) -> dict[str, Any]:
    """Does this file still match the SHA-256 the dossier filed for the attachment?"""
    entry = find_attachment(view, attachment_id)
    payload = entry.document["payload"]
    actual = hashlib.sha256(content).hexdigest()
    return {
        "attachment_id": attachment_id,
        "seq": entry.seq,
        "entry_hash": entry.link.entry_hash,
        "filename": payload.get("filename"),
        "filed_sha256": payload.get("sha256"),
        "filed_size": payload.get("size"),
        "sha256": actual,
        "size": len(content),
        "matches": actual == payload.get("sha256") and len(content) == payload.get("size"),
        "chain_ok": view.verification.ok,
    }


def entry_view(entry: Entry) -> dict[str, Any]:
    document = entry.document
    event_id, event_type = entry.event_id, entry.event_type
    occurred_at, actor = document.get("occurred_at"), document.get("actor")
    if entry.kind == EntryKind.PLAN:
        # The plan version's own event (the same in every dossier that links it).
        plan = document.get("plan_envelope")
        plan = plan if isinstance(plan, Mapping) else {}
        event_id, event_type = document.get("plan_event_id"), plan.get("event_type")
        occurred_at, actor = plan.get("occurred_at"), plan.get("actor")
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": occurred_at,
        "actor": actor,
        "recorded_at": entry.recorded_at.isoformat(),
        "prev_hash": entry.link.prev_hash,
        "entry_hash": entry.link.entry_hash,
        "document": dict(document),
    }


def export_document(
    view: DossierView, district: str, exported_at: datetime, exported_by: str
) -> dict[str, Any]:
    """One self-describing file: the manifest and every entry, checkable offline."""
    return {
        "format": EXPORT_FORMAT,
        "manifest": {
            "task_id": view.head.task_id,
            "task_no": view.head.task_no,
            "title": view.head.title,
            "district": district,
            "entry_count": view.head.entry_count,
            "head_hash": view.head.head_hash,
            "exported_at": exported_at.isoformat(),
            "exported_by": exported_by,
            "chain_rule": {
                "id": CHAIN_RULE,
                "genesis_prev_hash": GENESIS_HASH,
                "description": CHAIN_RULE_TEXT,
            },
            "verification_at_export": view.verification.as_dict(),
            "verify_with": "spotcheck-archives verify FILE",
            "retention": RETENTION,
        },
        # Derived from the entries at export time; not covered by the chain (the entries are).
        "summary": dossier_contents(view),
        "entries": [
            {
                "seq": e.seq,
                "kind": e.kind,
                "recorded_at": e.recorded_at.isoformat(),
                "prev_hash": e.link.prev_hash,
                "entry_hash": e.link.entry_hash,
                "document": dict(e.document),
            }
            for e in view.entries
        ],
    }
