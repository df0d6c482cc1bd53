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
# 第三条: the form offers this many co-organising agencies (联合检查单位), each the inputs
# ``co_<n>_agency``, ``co_<n>_name``, ``co_<n>_items`` ("编号 名称" a line), ``co_<n>_per_team``.
CO_SLOTS = 3
CO_FIELDS = ("agency", "name", "items", "per_team")
_CO_INPUT = {
    "agency": "agency",
    "name": "name",
    "check_items": "items",
    "inspectors_per_team": "per_team",
}
_ITEM_LINE = re.compile(r"\s+")  # 编号 and 名称, apart by spaces (a full-width one too)
_CO_SLOT_INPUT = re.compile(r"^co_\d+_")
_CO_REFUSAL = re.compile(r"^co_organisers\[(\d+)\]\.([a-z_]+)")


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


def co_input(n: int, part: str) -> str:
    return f"co_{n}_{part}"


def _co_filled(form: Mapping[str, str], n: int) -> bool:
    """A slot is used once its agency, name or items are typed (``per_team`` has a default)."""
    return any(form.get(co_input(n, part), "").strip() for part in ("agency", "name", "items"))


def compact_co_organisers(form: Mapping[str, str]) -> dict[str, str]:
    """The form with its used co-organiser slots first, in order: the n-th agency of the body
    is slot n, so that a refusal naming ``co_organisers[n]`` shows beside that slot."""
    used = [n for n in range(CO_SLOTS) if _co_filled(form, n)]
    out = {k: v for k, v in form.items() if not _CO_SLOT_INPUT.match(k)}
    for slot, n in enumerate(used):
        for part in CO_FIELDS:
            out[co_input(slot, part)] = form.get(co_input(n, part), "")
    return out


def _co_items(text: str) -> tuple[list[dict[str, str]], str | None]:
    """``编号 名称`` a line as check items; the first line without both, as a refusal."""
    items: list[dict[str, str]] = []
    for k, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        code, *name = _ITEM_LINE.split(line.strip(), maxsplit=1)
        if not name:
            return items, f"第 {k} 行应为「编号 名称」，如 SW-01 发票管理检查"
        items.append({"code": code, "name": name[0]})
    return items, None


def co_organisers_of(form: Mapping[str, str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """第三条: the used slots (``compact_co_organisers``) as the task's ``co_organisers``, and
    the form's own refusals (an item line without its name)."""
    body: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for n in range(CO_SLOTS):
        if not _co_filled(form, n):
            continue
        items, bad = _co_items(form.get(co_input(n, "items"), ""))
        if bad:
            errors[co_input(n, "items")] = bad
        per_team = form.get(co_input(n, "per_team"), "").strip() or "1"
        body.append(
            {
                "agency": form.get(co_input(n, "agency"), "").strip(),
                "name": form.get(co_input(n, "name"), "").strip(),
                "check_items": items,
                "inspectors_per_team": int(per_team) if per_team.isdigit() else per_team,
            }
        )
    return body, errors


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
    co_organisers, co_errors = co_organisers_of(form)
    errors.update(co_errors)
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
        "co_organisers": co_organisers,
    }
    if received:
        body["source"] = form.get("source", "city")
        body["issuing_authority"] = form.get("issuing_authority", "").strip()
        body["document_no"] = form.get("document_no", "").strip()
    return body, errors


def form_field(api_field: str) -> str:
    """The form input a refusal's field names: ``ratio_bp.E`` → ``ratio_E``,
    ``target_filter.areas`` → ``areas``, ``check_items[2]`` → ``check_items``,
    ``co_organisers[1].check_items[0].code`` → ``co_1_items`` (the slot's input)."""
    co = _CO_REFUSAL.match(api_field)
    if co and co.group(2) in _CO_INPUT:
        return co_input(int(co.group(1)), _CO_INPUT[co.group(2)])
    if co or api_field.startswith("co_organisers"):
        return "co_organisers"
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
