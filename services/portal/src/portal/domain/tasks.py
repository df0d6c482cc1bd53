"""Tasks (实施方案) on the console: the form's fields as the planning service's body, which
step a person may take on a task, and where a refusal's field sits on the form. Pure rules."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from portal.domain.plans import RISK_CLASSES, bp_to_percent, percent_to_bp
from spotcheck_common.objects import LABELS, ObjectKind

# 第八条's inspection methods, as the service names them.
METHODS = (
    "现场检查",
    "书面检查",
    "实地核查",
    "抽样检测",
    "利用其他部门检查结论",
    "委托第三方专业机构核查",
)
SOURCES = {"local": "本局", "city": "市局下派", "province": "省局下派"}
PUBLISHERS = frozenset({"credit_dept", "general_office"})
_SPLIT = re.compile(r"[,，、;；\s]+")


def words(text: str) -> list[str]:
    """A free-text list (commas, 、 or new lines) as its entries."""
    return [w for w in _SPLIT.split(text or "") if w]


def ratios(form: Mapping[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """``ratio_A``…``ratio_E`` (%) as basis points, and the fields that are not percents."""
    out: dict[str, int] = {}
    errors: dict[str, str] = {}
    for rc in RISK_CLASSES:
        try:
            bp = percent_to_bp(form.get(f"ratio_{rc}", ""))
        except ValueError:
            errors[f"ratio_{rc}"] = "应为百分数，最多两位小数"
            continue
        if bp is not None:
            out[rc] = bp
    return out, errors


def body_of(
    form: Mapping[str, str],
    lists: Mapping[str, Sequence[str]],
    item_names: Mapping[str, str],
    received: bool,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body of ``POST /api/planning/tasks`` (or ``/receive``) from the form, and the form's
    own refusals. ``lists``: the multi-valued fields (checked boxes); ``item_names``: the
    current list's code → name."""
    ratio_bp, errors = ratios(form)
    team_size = form.get("team_size", "").strip()
    experts = form.get("experts_per_target", "").strip() or "0"
    body: dict[str, Any] = {
        "task_no": form.get("task_no", "").strip(),
        "title": form.get("title", "").strip(),
        "lead_department": form.get("lead_department", "").strip(),
        "co_lead_departments": list(lists.get("co_lead_departments", [])),
        "assisting_departments": list(lists.get("assisting_departments", [])),
        "check_items": [
            {"code": c, "name": item_names.get(c, c)} for c in lists.get("check_items", [])
        ],
        "target_filter": {
            "areas": words(form.get("areas", "")),
            "industries": words(form.get("industries", "")),
            "entity_types": words(form.get("entity_types", "")),
            "risk_classes": list(lists.get("risk_classes", [])),
            "object_kind": form.get("object_kind", "").strip() or "market_entity",
        },
        "ratio_bp": ratio_bp,
        "inspector_departments": list(lists.get("inspector_departments", [])),
        "team_size": int(team_size) if team_size.isdigit() else team_size,
        "experts_per_target": int(experts) if experts.isdigit() else experts,
        "expert_fields": words(form.get("expert_fields", "")),
        "methods": list(lists.get("methods", [])),
        "deadline": form.get("deadline", "").strip(),
        "plan_id": form.get("plan_id", "").strip() or None,
    }
    if received:
        body["source"] = form.get("source", "city")
        body["issuing_authority"] = form.get("issuing_authority", "").strip()
        body["document_no"] = form.get("document_no", "").strip()
    return body, errors


def form_field(api_field: str) -> str:
    """The form input a refusal's field names: ``ratio_bp.E`` → ``ratio_E``,
    ``target_filter.areas`` → ``areas``, ``check_items[2]`` → ``check_items``."""
    parts = api_field.split(".")
    if parts[0] == "ratio_bp" and len(parts) > 1:
        return f"ratio_{parts[1]}"
    return re.sub(r"\[\d+\]$", "", parts[-1]) if parts[-1] else api_field


def object_kind_label(task: Mapping[str, Any]) -> str:
    """检查对象类型 of the task (市场主体 when the task does not say: ADR 0011)."""
    kind = (task.get("target_filter") or {}).get("object_kind") or "market_entity"
    return LABELS[ObjectKind(kind)] if kind in ObjectKind.__members__.values() else kind


def ratio_text(task: Mapping[str, Any]) -> str:
    """``A 2%、E 20%``: the task's ratios as the bureau writes them."""
    shown = [
        f"{rc} {bp_to_percent(bp)}%"
        for rc, bp in sorted((task.get("ratio_bp") or {}).items())
        if bp
    ]
    return "、".join(shown) or "—"


def may_approve(task: Mapping[str, Any], roles: Collection[str]) -> bool:
    return task.get("status") == "draft" and "deputy_director" in roles


def may_publish(task: Mapping[str, Any], roles: Collection[str], department: str) -> bool:
    if task.get("status") != "approved":
        return False
    if PUBLISHERS & set(roles):
        return True
    lead = str(task.get("lead_department", "")).strip()
    return "supervising_dept" in roles and lead == department.strip()
