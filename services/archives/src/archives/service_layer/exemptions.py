"""Exemptions from accountability (第十三条): evidence, proposals, the director's meeting's
decisions. Each write locks the task's dossier first, so the acts on one task serialise and
each is filed in the chain (kind ``exemption``) in the same transaction as its row."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from archives.domain.accountability import Facts, overdue_items
from archives.domain.chain import EntryKind
from archives.domain.exemptions import (
    Circumstance,
    Evidence,
    EvidenceSource,
    Exemption,
    Status,
    decide,
    propose,
)
from archives.domain.model import DossierHead, Entry, append
from archives.service_layer.unit_of_work import ArchivesUnitOfWork
from archives.service_layer.views import DossierView, check, find_attachment
from spotcheck_common.clock import china_date
from spotcheck_common.errors import Corrupted, Forbidden, Invalid, NotFound
from spotcheck_common.text import check_file_name

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
MAX_FILENAME = 200


@dataclass(frozen=True)
class Proposer:
    """Who proposes: the department answering for the failure, or the credit department
    (which may propose for any department)."""

    user: str
    department: str
    credit_dept: bool


async def _own_dossier(uow: ArchivesUnitOfWork, task_id: str) -> DossierHead:
    head = await uow.archives.find_dossier(task_id)
    if head is None:
        raise NotFound(f"任务 {task_id} 尚无档案")
    if head.drawing_district is not None:
        raise Forbidden(f"任务 {task_id} 是 {head.drawing_district} 的任务，由该局追究或免责")
    return head


def _filename(value: str) -> str:
    name = value.strip()
    try:
        if not name or len(name) > MAX_FILENAME:
            raise ValueError("长度不符")
        check_file_name(name)
    except ValueError as refused:
        raise Invalid(
            f"文件名须为 1–{MAX_FILENAME} 个字符，且不含路径或控制字符（{refused}）",
            field="filename",
        ) from None
    return name


async def upload_evidence(
    uow: ArchivesUnitOfWork, task_id: str, filename: str, media_type: str, content: bytes
) -> Evidence:
    """Keep a file of evidence for a proposal on ``task_id``, with its SHA-256; commits."""
    await _own_dossier(uow, task_id)
    if not content:
        raise Invalid("证明材料内容为空", field="content")
    evidence = Evidence(
        evidence_id=str(uuid.uuid4()),
        source=EvidenceSource.UPLOADED,
        task_id=task_id,
        filename=_filename(filename),
        media_type=(media_type or "application/octet-stream").split(";")[0].strip()[:100],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        added_by=uow.context.actor,
        added_at=uow.clock.now(),
    )
    await uow.archives.add_evidence(evidence, content)
    await uow.commit()
    return evidence


async def evidence_file(uow: ArchivesUnitOfWork, evidence_id: str) -> tuple[Evidence, bytes]:
    """An uploaded file, checked against its SHA-256 (never served if it does not match)."""
    found = await uow.archives.evidence(evidence_id)
    if found is None:
        raise NotFound(f"证明材料 {evidence_id} 不存在")
    evidence, content = found
    if len(content) != evidence.size or hashlib.sha256(content).hexdigest() != evidence.sha256:
        raise Corrupted(
            f"证明材料 {evidence_id} 的内容与登记的 SHA-256 不符，已拒绝读取",
            sha256=evidence.sha256,
        )
    return evidence, content


def _task_of(item_id: str) -> str:
    parts = item_id.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise Invalid("事项编号（item_id）格式不符，应取自责任追究报告", field="item_id")
    return parts[1]


def _dossier_attachment(view: DossierView, attachment_id: str) -> Evidence:
    """An attachment already filed in the dossier (inspections keeps the file)."""
    entry = find_attachment(view, attachment_id)
    envelope = entry.envelope or {}
    payload: Mapping[str, Any] = envelope.get("payload") or {}
    return Evidence(
        evidence_id=attachment_id,
        source=EvidenceSource.DOSSIER,
        task_id=view.head.task_id,
        filename=str(payload.get("filename")),
        media_type=str(payload.get("media_type")),
        size=int(payload.get("size") or 0),
        sha256=str(payload.get("sha256")),
        added_by=str(payload.get("added_by") or envelope.get("actor")),
        added_at=entry.recorded_at,
        seq=entry.seq,
    )


async def _evidence(
    uow: ArchivesUnitOfWork,
    view: DossierView,
    uploaded: Sequence[str],
    attachments: Sequence[str],
) -> list[Evidence]:
    found: list[Evidence] = []
    for evidence_id in dict.fromkeys(uploaded):
        stored = await uow.archives.evidence(evidence_id)
        if stored is None:
            raise NotFound(f"证明材料 {evidence_id} 不存在")
        found.append(stored[0])
    found.extend(_dossier_attachment(view, a) for a in dict.fromkeys(attachments))
    return found


async def _file(uow: ArchivesUnitOfWork, head: DossierHead, document: dict[str, Any]) -> Entry:
    new_head, entry = append(head, EntryKind.EXEMPTION, document, uow.clock.now())
    await uow.archives.append(new_head, entry)
    return entry


async def propose_exemption(
    uow: ArchivesUnitOfWork,
    proposer: Proposer,
    item_id: str,
    circumstances: Sequence[Circumstance],
    statement: str,
    evidence_ids: Sequence[str],
    attachment_ids: Sequence[str],
) -> Exemption:
    """Propose to exempt a failure listed today; filed in the task's dossier; commits."""
    repo, now = uow.archives, uow.clock.now()
    task_id = _task_of(item_id)
    await _own_dossier(uow, task_id)
    head = await repo.lock_dossier(task_id, now)
    items, _ = overdue_items(
        Facts.of(await repo.task_facts(task_id)), china_date(now), await repo.calendar()
    )
    item = next((i for i in items if i["item_id"] == item_id), None)
    if item is None:
        raise NotFound(f"截至今天，{item_id} 不是责任追究报告所列的逾期事项")
    if not proposer.credit_dept and proposer.department != item["department"]:
        raise Forbidden(f"只有责任科室（{item['department']}）或信用监管科可以申请免责")
    entries = await repo.entries(task_id)
    view = DossierView(head, entries, check(head, entries))
    proposal = propose(
        str(uuid.uuid4()),
        item,
        await repo.exemptions(item_id=item_id),
        circumstances,
        statement,
        await _evidence(uow, view, evidence_ids, attachment_ids),
        proposer.user,
        proposer.department,
        now,
    )
    entry = await _file(uow, head, proposal.document())
    exemption = Exemption(proposal, entry.seq, entry.link.entry_hash)
    await repo.add_exemption(exemption)
    await uow.commit()
    return exemption


async def decide_exemption(
    uow: ArchivesUnitOfWork,
    exemption_id: str,
    granted: bool,
    reasons: str,
    meeting_date: date,
    minute_no: str,
) -> Exemption:
    """The director's meeting decides a proposal; filed in the task's dossier; commits."""
    repo, now = uow.archives, uow.clock.now()
    found = await repo.exemption(exemption_id)
    if found is None:
        raise NotFound(f"免责申请 {exemption_id} 不存在")
    head = await repo.lock_dossier(found.proposal.task_id, now)
    found = await repo.exemption(exemption_id)  # as it stands once the dossier is ours
    assert found is not None
    decision = decide(found, granted, reasons, meeting_date, minute_no, uow.context.actor, now)
    entry = await _file(uow, head, decision.document())
    await repo.add_decision(decision, entry.seq)
    await uow.commit()
    return Exemption(found.proposal, found.seq, found.entry_hash, decision, entry.seq)


async def exemption(uow: ArchivesUnitOfWork, exemption_id: str) -> Exemption:
    found = await uow.archives.exemption(exemption_id)
    if found is None:
        raise NotFound(f"免责申请 {exemption_id} 不存在")
    return found


async def exemptions(
    uow: ArchivesUnitOfWork,
    task_id: str | None,
    status: Status | None,
    department: str | None,
) -> list[Exemption]:
    """Proposals (oldest first) of a task, in a status, of a responsible department."""
    return [
        e
        for e in await uow.archives.exemptions(task_id=task_id)
        if (status is None or e.status is status)
        and (department is None or e.proposal.department == department)
    ]
