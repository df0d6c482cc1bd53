"""What a dossier holds, in the categories of 实施细则第十二条. Pure: no I/O.

第十二条 lists the materials a dossier keeps: 抽查工作计划、抽查实施方案、检查记录表、现场笔录、
责令整改通知书、送达回证、抽查结果. Every entry falls in exactly one category; the summary lists
them in the article's order, with the draw record (抽取记录), objections and corrections
(异议与更正), follow-up (后续处理) and the exemptions of 第十三条 (免责申请与决定) beside them,
and ``其他`` for anything else. The summary is derived from the entries on read; it is not part
of the hash chain (the entries are).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archives.domain.chain import EntryKind
from archives.domain.model import Entry


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    required: bool  # a material 第十二条 names; an empty one is listed as missing


CATEGORIES: tuple[Category, ...] = (
    Category("plan", "抽查工作计划", True),
    Category("implementation_plan", "抽查实施方案", True),
    Category("draw_record", "抽取记录", True),
    Category("record_form", "检查记录表", True),
    Category("onsite_note", "现场笔录（含现场照片）", False),
    Category("rectification_notice", "责令整改通知书", False),
    Category("service_receipt", "送达回证", False),
    Category("sampling", "抽样单与检验报告（产品抽样检测）", False),
    Category("result", "抽查结果", True),
    Category("objection_correction", "异议与更正", False),
    Category("follow_up", "后续处理", False),
    Category("exemption", "免责申请与决定（第十三条）", False),
    Category("not_inspected_report", "视为完成抽查名单（第八条）", False),
    Category("other", "其他", False),
)
BY_CODE = {c.code: c for c in CATEGORIES}

# inspections.attachment-added ``kind`` → category.
ATTACHMENT_CATEGORY = {
    "onsite_note": "onsite_note",
    "photo": "onsite_note",
    "rectification_notice": "rectification_notice",
    "service_receipt": "service_receipt",
    "record_form": "record_form",
    "sampling_form": "sampling",
    "lab_report": "sampling",
}

# Event types with a category of their own; other events go by their producing service.
EVENT_CATEGORY = {
    "publication.result-corrected": "objection_correction",
    "inspections.follow-up-opened": "follow_up",
    "inspections.follow-up-recorded": "follow_up",
}
SERVICE_CATEGORY = {
    "planning": "implementation_plan",
    "draws": "draw_record",
    "inspections": "record_form",
    "publication": "result",
    "objections": "objection_correction",
}


def category_of(entry: Entry) -> str:
    document = entry.document
    if entry.kind == EntryKind.PLAN:
        return "plan"
    if entry.kind == EntryKind.EXEMPTION:
        return "exemption"
    if entry.kind == EntryKind.REPORT:
        return "not_inspected_report"
    if entry.kind == EntryKind.ATTACHMENT:
        payload = document.get("payload")
        kind = payload.get("kind") if isinstance(payload, Mapping) else None
        return ATTACHMENT_CATEGORY.get(str(kind), "other")
    event_type = entry.event_type or ""
    if event_type in EVENT_CATEGORY:
        return EVENT_CATEGORY[event_type]
    return SERVICE_CATEGORY.get(event_type.split(".", 1)[0], "other")


def _describe(entry: Entry) -> dict[str, Any]:
    document = entry.document
    item: dict[str, Any] = {
        "seq": entry.seq,
        "kind": entry.kind,
        "entry_hash": entry.link.entry_hash,
    }
    if entry.kind == EntryKind.PLAN:
        item.update(
            plan_id=document.get("plan_id"),
            plan_no=document.get("plan_no"),
            plan_name=document.get("plan_name"),
            plan_version=document.get("plan_version"),
            plan_envelope_sha256=document.get("plan_envelope_sha256"),
        )
        return item
    if entry.kind == EntryKind.EXEMPTION:
        item.update(
            act=document.get("act"),
            exemption_id=document.get("exemption_id"),
            item_id=document.get("item_id"),
            granted=document.get("granted"),
            minute_no=document.get("minute_no"),
        )
        return item
    if entry.kind == EntryKind.REPORT:
        item.update(
            event_type=document.get("report_event_type"),
            report_id=document.get("report_id"),
            report_version=document.get("report_version"),
            department=document.get("department"),
            xlsx_sha256=document.get("xlsx_sha256"),
            objects=len(document.get("items") or []),
        )
        return item
    envelope = entry.envelope or {}
    payload = envelope.get("payload")
    payload = payload if isinstance(payload, Mapping) else {}
    item.update(event_type=entry.event_type, occurred_at=envelope.get("occurred_at"))
    if entry.kind == EntryKind.JOINT_ACT:
        item.update(draw_id=document.get("draw_id"), party=payload.get("party"))
    if entry.kind == EntryKind.ATTACHMENT:
        item.update(
            attachment_id=payload.get("attachment_id"),
            attachment_kind=payload.get("kind"),
            filename=payload.get("filename"),
            media_type=payload.get("media_type"),
            size=payload.get("size"),
            sha256=payload.get("sha256"),
            uscc=payload.get("uscc"),
        )
    elif "uscc" in payload:
        item["uscc"] = payload.get("uscc")
    return item


def summarize(entries: Sequence[Entry]) -> dict[str, Any]:
    """The dossier by 第十二条's categories: counts, the entries of each, what is missing."""
    grouped: dict[str, list[dict[str, Any]]] = {c.code: [] for c in CATEGORIES}
    for entry in entries:
        grouped[category_of(entry)].append(_describe(entry))
    return {
        "article": "实施细则第十二条",
        "categories": [
            {
                "code": c.code,
                "label": c.label,
                "required": c.required,
                "count": len(grouped[c.code]),
                "entries": grouped[c.code],
            }
            for c in CATEGORIES
        ],
        "missing": [c.label for c in CATEGORIES if c.required and not grouped[c.code]],
    }
