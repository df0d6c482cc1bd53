"""Reads of the archives service (the query side): dossiers, their contents and checks, the
plans filed with them, the folds parked. Plain functions on a unit of work (reads leave it
unchanged)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
from archives.domain.model import DossierHead, Entry, ParkedFold, PlanVersion
from archives.service_layer.unit_of_work import ArchivesUnitOfWork
from spotcheck_common.db import Page
from spotcheck_common.errors import NotFound

RETENTION = "长期保存（实施细则第十二条）：档案只追加，无修改、删除途径"


async def dossiers(uow: ArchivesUnitOfWork, limit: int, offset: int) -> Page[DossierHead]:
    return await uow.archives.list_dossiers(limit, offset)


@dataclass(frozen=True)
class PlanFile:
    """Every filed version of an annual plan, and the tasks approved under it."""

    plan_id: str
    versions: list[PlanVersion]
    tasks: list[str]


async def plan(uow: ArchivesUnitOfWork, plan_id: str) -> PlanFile:
    versions = await plan_versions(uow, plan_id)
    return PlanFile(plan_id, versions, await uow.archives.tasks_of_plan(plan_id))


async def parked_folds(uow: ArchivesUnitOfWork, limit: int, offset: int) -> Page[ParkedFold]:
    return await uow.archives.parked_folds(limit, offset)


async def plan_versions(uow: ArchivesUnitOfWork, plan_id: str) -> list[PlanVersion]:
    versions = await uow.archives.plan_versions(plan_id)
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


async def read_dossier(uow: ArchivesUnitOfWork, task_id: str) -> DossierView:
    repo = uow.archives
    head = await repo.get_dossier(task_id)
    if head is None:
        raise NotFound(f"任务 {task_id} 尚无档案")
    entries = await repo.entries(task_id)
    return DossierView(head, entries, check(head, entries))


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


@dataclass(frozen=True)
class AttachmentCheck:
    """A file compared with the SHA-256 and size the dossier filed for an attachment."""

    attachment_id: str
    seq: int
    entry_hash: str
    filename: str | None
    filed_sha256: str | None
    filed_size: int | None
    sha256: str
    size: int
    matches: bool
    chain_ok: bool


def check_attachment(view: DossierView, attachment_id: str, content: bytes) -> AttachmentCheck:
    """Does this file still match the SHA-256 the dossier filed for the attachment?"""
    entry = find_attachment(view, attachment_id)
    payload = entry.document["payload"]
    actual = hashlib.sha256(content).hexdigest()
    return AttachmentCheck(
        attachment_id=attachment_id,
        seq=entry.seq,
        entry_hash=entry.link.entry_hash,
        filename=payload.get("filename"),
        filed_sha256=payload.get("sha256"),
        filed_size=payload.get("size"),
        sha256=actual,
        size=len(content),
        matches=actual == payload.get("sha256") and len(content) == payload.get("size"),
        chain_ok=view.verification.ok,
    )


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
            # A neighbour's task (a joint draw this district took part in): whose task it is.
            "drawing_district": view.head.drawing_district,
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
