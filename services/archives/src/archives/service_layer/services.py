"""Archives use cases. Plain functions; the repository is injected (fakes in unit tests)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archives.adapters.repository import ArchiveRepository
from archives.domain.chain import (
    CHAIN_RULE,
    CHAIN_RULE_TEXT,
    EXPORT_FORMAT,
    GENESIS_HASH,
    EntryKind,
    Verification,
    verify_links,
)
from archives.domain.model import DossierHead, Entry, append


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
    task_id = payload.get("task_id") if isinstance(payload, Mapping) else None
    if not task_id:
        return None
    event_id = str(envelope["event_id"])
    head = await repo.lock_dossier(str(task_id), now)
    if await repo.has_event(event_id):
        return None
    new_head, entry = append(head, EntryKind.EVENT, envelope, now)
    await repo.append(new_head, entry)
    return entry


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


def entry_view(entry: Entry) -> dict[str, Any]:
    document = entry.document
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "event_id": entry.event_id,
        "event_type": entry.event_type,
        "occurred_at": document.get("occurred_at"),
        "actor": document.get("actor"),
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
        },
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
