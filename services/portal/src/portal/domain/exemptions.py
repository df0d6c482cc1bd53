"""Exemptions from accountability (第十三条 尽职照单免责，失职照单问责) as the console's forms
give them: who may propose, the dossier attachments offered as evidence, the proposal's and
the decision's bodies, the report's items split into 问责 and 免责. Pure: no I/O.

The department answering for a failure (or the credit department) proposes, with the
circumstances of 第十三条 第三款, a statement and evidence — files uploaded for it, or
attachments already filed in the task's dossier (an on-site note, a lab report); the director's
meeting decides. The archives service files both acts in the task's dossier and refuses
anything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from portal.domain.inspections import ATTACHMENT_KINDS

# The archives service's codes of the circumstances that exempt (第十三条 第三款).
CIRCUMSTANCES = {
    "duties_done_under_plan": "已按照相关规定和年度抽查工作计划安排履行抽查检查职责",
    "technical_limits": "因现有专业技术手段限制未发现问题",
    "no_causal_link": "检查对象发生事故与执法检查人员的抽查检查不存在因果关系",
    "false_professional_report": "受委托的专业机构出具虚假报告导致错误判定或者处理",
}
STATUSES = {"proposed": "待局长办公会决定", "granted": "免责", "refused": "不予免责"}
DECISIONS = {"true": "免责", "false": "不予免责"}
# A proposal waiting for the meeting, or one granted: no other may be made for the item.
CLOSED = frozenset({"proposed", "granted"})


def may_propose(roles: Iterable[str], department: str, item: Mapping[str, Any]) -> bool:
    """The credit department for any item, a supervising department for its own; never while
    a proposal waits or once one was granted."""
    if (item.get("exemption") or {}).get("status") in CLOSED:
        return False
    held = set(roles)
    own = bool(department) and item.get("department") == department
    return "credit_dept" in held or ("supervising_dept" in held and own)


def split(
    rows: Iterable[Mapping[str, Any]], roles: Iterable[str], department: str
) -> dict[str, list[dict[str, Any]]]:
    """The report's failures as two lists, 问责 (answerable) and 免责 (exempted by the
    director's meeting), each row marked with whether the person may propose its exemption."""
    held = set(roles)
    found: dict[str, list[dict[str, Any]]] = {"accountable": [], "exempt": []}
    for row in rows:
        side = "exempt" if row.get("accountability") == "exempt" else "accountable"
        found[side].append({**row, "may_propose": may_propose(held, department, row)})
    return found


def evidence_ids(carried: Sequence[str]) -> list[str]:
    """The ids of evidence already uploaded (a refused proposal's form carries them as
    ``id:filename``, so the files need not be chosen again)."""
    return [c.split(":", 1)[0] for c in carried if c.strip()]


def carried_of(evidence: Iterable[Mapping[str, Any]]) -> list[str]:
    return [f"{e['evidence_id']}:{e['filename']}" for e in evidence]


def dossier_attachments(contents: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The attachments of a dossier's contents (the archives service's ``…/contents``), in
    the order filed, each with its kind in words: what the form offers as evidence."""
    found = [
        {**e, "kind_label": ATTACHMENT_KINDS.get(str(e.get("attachment_kind")), "附件")}
        for category in contents.get("categories", [])
        for e in category.get("entries", [])
        if e.get("kind") == "attachment" and e.get("attachment_id")
    ]
    return sorted(found, key=lambda e: int(e["seq"]))


def attachment_refusal(
    reason: str, field_reasons: Mapping[str, str], chosen: Sequence[str]
) -> str | None:
    """What of a refusal concerns the dossier attachments chosen, to show beside their list:
    a reason for ``attachment_ids`` (or one of its items, ``attachment_ids[1]``), or the
    refusal itself when it names a chosen id (the archives service's 404 for an attachment
    not in the task's dossier does, with no field)."""
    for name, why in field_reasons.items():
        if name.startswith("attachment_ids"):
            return why
    return reason if any(a and a in reason for a in chosen) else None


def proposal_body(
    item_id: str,
    circumstances: Sequence[str],
    statement: str,
    evidence: Sequence[str],
    attachments: Sequence[str],
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "circumstances": list(circumstances),
        "statement": statement.strip(),
        "evidence_ids": list(evidence),
        "attachment_ids": list(dict.fromkeys(a for a in attachments if a.strip())),
    }


def decision_body(form: Mapping[str, str]) -> dict[str, Any]:
    """``{granted?, reasons, meeting_date?, minute_no}``: a choice or a date left out when the
    form leaves it empty, so the service names the missing field."""
    body: dict[str, Any] = {
        "reasons": form.get("reasons", "").strip(),
        "minute_no": form.get("minute_no", "").strip(),
    }
    if form.get("granted") in DECISIONS:
        body["granted"] = form["granted"] == "true"
    if form.get("meeting_date", "").strip():
        body["meeting_date"] = form["meeting_date"].strip()
    return body
