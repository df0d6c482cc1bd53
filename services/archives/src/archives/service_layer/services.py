"""Archives use cases (the write side: filing). Plain functions on the unit of work (a fake in
the unit tests); they run inside the idempotent consumer's transaction and do not commit.
Reads are in ``views``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from archives.adapters.repository import ArchiveRepository
from archives.domain.chain import EntryKind
from archives.domain.model import (
    DossierHead,
    Entry,
    PlanVersion,
    append,
    plan_entry_document,
    report_entry_document,
)
from archives.service_layer.unit_of_work import ArchivesUnitOfWork

TASK_APPROVED = "planning.task-approved"
ATTACHMENT_ADDED = "inspections.attachment-added"
PLAN_PUBLISHED = "planning.annual-plan-published"


async def file_event(
    uow: ArchivesUnitOfWork,
    envelope: Mapping[str, Any],
    now: datetime,
    drawing_district: str | None = None,
) -> Entry | None:
    """File one event envelope into its task's dossier; None if it is already filed.

    ``drawing_district``: the task is that neighbour's (a joint draw of this district); the
    dossier records it. Runs inside the idempotent consumer's transaction (which already
    dropped a redelivery); the event-id check is the second guard, for a handler renamed or a
    consumer record lost.
    """
    repo = uow.archives
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
    if drawing_district and head.drawing_district is None:
        head = replace(head, drawing_district=drawing_district)
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


async def file_plan(uow: ArchivesUnitOfWork, envelope: Mapping[str, Any], now: datetime) -> int:
    """File a version of an annual plan under its plan id, and link it into the dossier of
    every task approved under that plan. Returns how many dossiers it was linked into
    (-1: this plan event was already filed)."""
    repo = uow.archives
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


async def file_report(
    uow: ArchivesUnitOfWork, envelope: Mapping[str, Any], now: datetime
) -> list[Entry]:
    """File a "counted as done" report (第八条) in the dossier of every task it names, each
    with that task's own objects; a dossier that holds it already is left alone."""
    filed: list[Entry] = []
    event_id = str(envelope["event_id"])
    for task_id in sorted(set(envelope["payload"]["task_ids"])):
        head = await uow.archives.lock_dossier(str(task_id), now)
        held = await uow.archives.entries(head.task_id)
        if any(
            e.kind == EntryKind.REPORT and e.document.get("report_event_id") == event_id
            for e in held
        ):
            continue
        document = report_entry_document(head.task_id, envelope)
        head, entry = append(head, EntryKind.REPORT, document, now)
        await uow.archives.append(head, entry)
        filed.append(entry)
    return filed
