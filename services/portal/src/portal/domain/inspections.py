"""The record form (检查记录表) as the console shows and reads it: the national result
categories, the outcomes of a target not inspected (第八条), the attachment kinds, the
follow-up actions (第十条), the object inspected and a product's samples (ADR 0011), and how a
submitted form becomes the body the inspections service takes. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from spotcheck_common.events.types import PendingReason, ResultCategory
from spotcheck_common.objects import LABELS as OBJECT_LABELS
from spotcheck_common.objects import ObjectKind, described, has_uscc, kind_of

# The national record form's categories, in the form's order, and the sub-reasons of the one
# that needs them: the kernel's (the services check against the same lists).
CATEGORIES = [c.value for c in ResultCategory]
PENDING = ResultCategory.PROBLEM_PENDING.value
PENDING_REASONS = [r.value for r in PendingReason]
# 第八条: not inspected, counts as done. The codes are the service's.
NOT_INSPECTED = {
    "unreachable": "通过登记的住所（经营场所）无法联系",
    "serious_refusal": "不配合检查情节严重",
    "deregistered": "检查任务截止前已注销",
    "revoked": "检查任务截止前被吊销营业执照",
    "cancelled": "检查任务截止前被撤销设立登记",
    "moved_out": "检查任务截止前已迁出",
}
ATTACHMENT_KINDS = {
    "photo": "现场照片",
    "onsite_note": "现场笔录",
    "rectification_notice": "责令整改通知书",
    "service_receipt": "送达回证",
    "record_form": "检查记录表",
    "sampling_form": "抽样单",
    "lab_report": "检验报告",
    "other": "其他",
}
# What a product's submission needs besides its samples (the service refuses it without).
SAMPLING_FILES = ("sampling_form", "lab_report")
FOLLOW_UP_ACTIONS = {
    "rectified": "已改正",
    "case_filed": "立案查处",
    "transferred": "移送司法机关",
    "closed": "办结",
}
TEAM_ROLES = {"leader": "组长", "member": "组员", "expert": "专家"}
# The steps of the form's full record (全程留痕); an unknown step shows its code.
HISTORY = {
    "opened": "抽取完成，生成检查记录",
    "results_recorded": "组长录入检查结果",
    "signed": "签名确认",
    "submitted": "提交检查记录",
    "samples_recorded": "组长登记抽样样品",
    "inspector_replaced": "经批准调换检查人员",
    "inspector_replacement_after_submission": "提交后收到调换检查人员通知",
    "inspector_replacement_refused": "调换检查人员未生效",
}


@dataclass(frozen=True)
class InspectedObject:
    """What was drawn, as the record's header shows it: a USCC under its national label, an
    id the registry assigned under its own with the object's fields (never as a USCC)."""

    kind: ObjectKind
    kind_label: str
    id_label: str
    fields: list[tuple[str, str]]

    @property
    def is_product(self) -> bool:
        return self.kind is ObjectKind.PRODUCT


def inspected_object(inspection: Mapping[str, Any]) -> InspectedObject:
    kind = kind_of(inspection["uscc"])  # the kind is the id's, never a field of its own
    return InspectedObject(
        kind,
        OBJECT_LABELS[kind],
        "统一社会信用代码" if has_uscc(kind) else "对象编码",
        described(kind, inspection.get("details") or {}),
    )


# A sample's text fields as the samples form names them (``sample.<field>.<n>``); ``sealed``
# is a checkbox.
SAMPLE_FIELDS = ("sample_no", "quantity", "taken_at", "taken_on", "seal_no", "testing_body")


def samples_body(form: Mapping[str, str]) -> dict[str, Any]:
    """The body of ``PUT …/samples`` from the form's rows; a row left blank is no sample (so
    the blank row offered for a new one, or one emptied to remove it, is not sent)."""
    numbers = {int(k.rsplit(".", 1)[1]) for k in form if k.startswith("sample.")}
    samples = []
    for n in sorted(numbers):
        text = {name: form.get(f"sample.{name}.{n}", "").strip() for name in SAMPLE_FIELDS}
        sealed = form.get(f"sample.sealed.{n}") == "on"
        if any(text.values()) or sealed:
            samples.append(text | {"sealed": sealed})
    return {"samples": samples}


def sample_rows(samples: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The samples form's rows: the samples recorded (or just refused, in the order sent, so
    the service's ``samples[n]`` reasons fall on their rows), then a blank one to add."""
    rows = [
        {name: str(s.get(name) or "") for name in SAMPLE_FIELDS} | {"sealed": bool(s.get("sealed"))}
        for s in samples
    ]
    return [*rows, dict.fromkeys(SAMPLE_FIELDS, "") | {"sealed": False}]


def sampling_missing(
    inspection: Mapping[str, Any], attachments: Iterable[Mapping[str, Any]]
) -> list[str]:
    """What a product's submission still lacks, by name (the service decides; the page says
    it before the leader tries)."""
    if inspection.get("not_inspected_reason"):
        return []
    kinds = {a.get("kind") for a in attachments}
    missing = [] if inspection.get("samples") else ["样品登记"]
    return missing + [ATTACHMENT_KINDS[k] for k in SAMPLING_FILES if k not in kinds]


@dataclass(frozen=True)
class Row:
    """One line of the form: a check item (of a task, on a visit's form)."""

    code: str
    name: str
    task_id: str = ""
    task_no: str = ""


def rows_of(check_items: Iterable[Mapping[str, Any]]) -> list[Row]:
    return [
        Row(i["code"], i["name"], str(i.get("task_id", "")), str(i.get("task_no", "")))
        for i in check_items
    ]


def results_body(form: Mapping[str, str], rows: Sequence[Row]) -> dict[str, Any]:
    """The body of ``PUT …/results`` from the form's fields (``category.<n>``,
    ``pending_reason.<n>``, ``remark.<n>`` per row; ``not_inspected`` and its date and note;
    ``withhold_reason`` and ``withhold_basis``). The service judges the content; a sub-reason
    is sent only with the category that takes one, so a stale select cannot be refused."""
    body: dict[str, Any] = {"results": []}
    reason = form.get("not_inspected", "")
    if reason:
        body["not_inspected"] = {
            "reason": reason,
            "occurred_on": form.get("not_inspected_on") or None,
            "remark": form.get("not_inspected_remark", "").strip(),
        }
    else:
        body["results"] = [_entry(form, n, row) for n, row in enumerate(rows)]
    withhold = (form.get("withhold_reason", "").strip(), form.get("withhold_basis", "").strip())
    if any(withhold):
        body["withhold"] = {"reason": withhold[0], "legal_basis": withhold[1]}
    return body


def _entry(form: Mapping[str, str], n: int, row: Row) -> dict[str, Any]:
    category = form.get(f"category.{n}", "")
    entry: dict[str, Any] = {
        "check_item_code": row.code,
        "category": category,
        "remark": form.get(f"remark.{n}", "").strip(),
    }
    if category == PENDING:
        entry["pending_reason"] = form.get(f"pending_reason.{n}") or None
    if row.task_id:
        entry["task_id"] = row.task_id
    return entry


def form_values(
    rows: Sequence[Row],
    results: Iterable[Mapping[str, Any]],
    form: Mapping[str, str] | None = None,
) -> list[dict[str, str]]:
    """What each row shows: what the person just sent (a refused form keeps its input),
    else the results recorded so far."""
    recorded = {(str(r.get("task_id", "")), r["check_item_code"]): r for r in results}
    values = []
    for n, row in enumerate(rows):
        if form is not None:
            values.append(
                {
                    "category": form.get(f"category.{n}", ""),
                    "pending_reason": form.get(f"pending_reason.{n}", ""),
                    "remark": form.get(f"remark.{n}", ""),
                }
            )
            continue
        r = recorded.get((row.task_id, row.code)) or recorded.get(("", row.code)) or {}
        values.append(
            {
                "category": str(r.get("category") or ""),
                "pending_reason": str(r.get("pending_reason") or ""),
                "remark": str(r.get("remark") or ""),
            }
        )
    return values


def deadline_note(deadline: str | None, today: date, done: bool) -> tuple[str, str]:
    """(text, badge class) beside a deadline: days left, due today, or days overdue."""
    if done or not deadline:
        return ("", "")
    left = (date.fromisoformat(deadline) - today).days
    if left < 0:
        return (f"已逾期 {-left} 天", "bad")
    if left == 0:
        return ("今日到期", "warn")
    return (f"剩 {left} 天", "warn" if left <= 7 else "")


@dataclass(frozen=True)
class Signer:
    inspector_id: str
    name: str
    role: str
    signed_at: str  # empty: not yet signed


def signers(inspection: Mapping[str, Any]) -> list[Signer]:
    """The team as the signature block shows it: who has and who has not signed (experts
    advise and do not sign)."""
    signed = inspection.get("signatures") or {}
    return [
        Signer(m["inspector_id"], m["name"], m["role"], str(signed.get(m["inspector_id"], "")))
        for m in inspection.get("team", [])
        if m["role"] in ("leader", "member")
    ]


@dataclass(frozen=True)
class Standing:
    """What the signed-in person may do on this form (the service decides; the page only
    offers the steps that are theirs)."""

    leader: bool
    member: bool
    signed: bool

    @property
    def can_sign(self) -> bool:
        return self.member and not self.signed


def standing(inspection: Mapping[str, Any], inspector_id: str) -> Standing:
    if not inspector_id:
        return Standing(False, False, False)
    team = {m["inspector_id"]: m["role"] for m in inspection.get("team", [])}
    leader = team.get(inspector_id) == "leader" or inspection.get("visit_leader_id") == inspector_id
    member = team.get(inspector_id) in ("leader", "member")
    return Standing(leader, member, inspector_id in (inspection.get("signatures") or {}))


def outcome_body(form: Mapping[str, str]) -> dict[str, Any]:
    """The body of ``POST …/outcomes`` from the follow-up form."""
    body: dict[str, Any] = {
        "action": form.get("action", ""),
        "outcome": form.get("outcome", "").strip(),
        "case_no": form.get("case_no", "").strip(),
        "suspected_crime": form.get("suspected_crime") == "on",
    }
    if form.get("recorded_on"):
        body["recorded_on"] = form["recorded_on"]
    return body
