"""Annual plans on the console: which step of the chain (第四条) a person may take on a plan,
and how the plan form's rows become the items the planning service reads. Pure rules.

The buttons mirror the planning service's chain; the service still decides (a button shown by
mistake is refused there, with its reason).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

RISK_CLASSES = ("A", "B", "C", "D", "E")
BP_PER_PERCENT = 100  # ratios travel in basis points (万分之一); people type percents


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    roles: frozenset[str]
    own_department: bool = False  # only the plan's own department takes it


def _step(action: str, label: str, *roles: str, own: bool = False) -> Step:
    return Step(action, label, frozenset(roles), own)


# The step that moves a version on from each status; the same roles may instead reject it.
NEXT = {
    "draft": _step("submit", "报分管局长审批签字", "supervising_dept", own=True),
    "submitted": _step("sign", "分管局长审批签字", "deputy_director"),
    "signed": _step("consolidate", "信用监管科汇总", "credit_dept"),
    "consolidated": _step("approve", "局长办公会批准", "director_meeting"),
    "approved": _step("file", "记录报市局备案", "credit_dept"),
    "filed": _step("publish", "公示", "credit_dept", "general_office"),
    "published": _step("adjust", "年内调整（新版本）", "supervising_dept", own=True),
}
NOT_REJECTABLE = frozenset({"draft", "published", "superseded"})


def may(step: Step, roles: Collection[str], department: str, plan_department: str) -> bool:
    if not step.roles & set(roles):
        return False
    return not step.own_department or department.strip() == plan_department.strip()


def next_step(plan: Mapping[str, Any], roles: Collection[str], department: str) -> Step | None:
    """The step the person may take on the plan as it stands, if any."""
    step = NEXT.get(str(plan.get("status")))
    if step and may(step, roles, department, str(plan.get("department", ""))):
        return step
    return None


def may_reject(plan: Mapping[str, Any], roles: Collection[str]) -> bool:
    status = str(plan.get("status"))
    step = NEXT.get(status)
    return status not in NOT_REJECTABLE and step is not None and bool(step.roles & set(roles))


def may_edit(plan: Mapping[str, Any], roles: Collection[str], department: str) -> bool:
    return plan.get("status") == "draft" and may(
        NEXT["draft"], roles, department, str(plan.get("department", ""))
    )


# ---------------------------------------------------------------------------- the item rows


@dataclass
class Row:
    """One item of the list as the plan form shows it."""

    index: int
    code: str
    name: str
    chosen: bool = False
    scope: str = ""
    period_from: str = ""
    period_to: str = ""
    ratios: dict[str, str] | None = None

    def ratio(self, risk_class: str) -> str:
        return (self.ratios or {}).get(risk_class, "")


def percent_to_bp(text: str) -> int | None:
    """``"2.5"`` (%) → 250; blank → None; raises ValueError on anything else."""
    text = text.strip().rstrip("%").strip()
    if not text:
        return None
    try:
        value = Decimal(text) * BP_PER_PERCENT
    except InvalidOperation:
        raise ValueError(text) from None
    if value != value.to_integral_value():
        raise ValueError(text)
    return int(value)


def bp_to_percent(bp: int | None) -> str:
    if bp is None:
        return ""
    return format((Decimal(bp) / BP_PER_PERCENT).normalize(), "f")


def rows_of(
    items: Sequence[Mapping[str, Any]], planned: Sequence[Mapping[str, Any]] = ()
) -> list[Row]:
    """The current list's items as rows, those already in the plan filled in."""
    by_code = {p["check_item_code"]: p for p in planned}
    rows = []
    for i, item in enumerate(items):
        p = by_code.get(item["code"])
        row = Row(i, item["code"], item["name"])
        if p:
            row.chosen = True
            row.scope = p.get("scope", "")
            row.period_from = str(p.get("period_from", ""))
            row.period_to = str(p.get("period_to", ""))
            row.ratios = {rc: bp_to_percent(bp) for rc, bp in (p.get("ratio_bp") or {}).items()}
        rows.append(row)
    # An item of the plan no longer on the list stays visible (the service will name it).
    listed = {r.code for r in rows}
    for p in planned:
        if p["check_item_code"] not in listed:
            rows.append(
                Row(
                    len(rows),
                    p["check_item_code"],
                    p["check_item_name"],
                    True,
                    p.get("scope", ""),
                    str(p.get("period_from", "")),
                    str(p.get("period_to", "")),
                    {rc: bp_to_percent(bp) for rc, bp in (p.get("ratio_bp") or {}).items()},
                )
            )
    return rows


def read_rows(rows: list[Row], form: Mapping[str, str], chosen: Collection[str]) -> list[Row]:
    """The rows as the person filled them in (``form``: the posted fields)."""
    for row in rows:
        i = row.index
        row.chosen = row.code in chosen
        row.scope = form.get(f"scope_{i}", "").strip()
        row.period_from = form.get(f"from_{i}", "").strip()
        row.period_to = form.get(f"to_{i}", "").strip()
        row.ratios = {rc: form.get(f"ratio_{rc}_{i}", "").strip() for rc in RISK_CLASSES}
    return rows


def items_of(rows: Sequence[Row], year: int | None) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The plan's items (chosen rows, a blank period meaning the whole year) and the form's own
    refusals (``{field: reason}``) where a ratio is not a percent."""
    items: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for row in rows:
        if not row.chosen:
            continue
        ratio_bp: dict[str, int] = {}
        for rc in RISK_CLASSES:
            try:
                bp = percent_to_bp(row.ratio(rc))
            except ValueError:
                errors[f"item_{row.index}"] = f"{rc} 级比例应为百分数，最多两位小数"
                continue
            if bp is not None:
                ratio_bp[rc] = bp
        items.append(
            {
                "check_item_code": row.code,
                "check_item_name": row.name,
                "scope": row.scope,
                "period_from": row.period_from or (f"{year}-01-01" if year else ""),
                "period_to": row.period_to or (f"{year}-12-31" if year else ""),
                "ratio_bp": ratio_bp,
            }
        )
    return items, errors


_ITEM = re.compile(r"^items\[(\d+)\](?:\.(\w+))?")
_COLUMN = {"period_from": "from", "period_to": "to", "scope": "scope"}


def form_field(api_field: str, rows: Sequence[Row]) -> str:
    """The form input a field of the service's refusal names: ``items[1].period_to`` is the
    second chosen row's 'to' date; any other field keeps its last component."""
    match = _ITEM.match(api_field)
    if not match:
        return api_field.split(".")[-1] or "items"
    chosen = [r for r in rows if r.chosen]
    n = int(match.group(1))
    if n >= len(chosen):
        return "items"
    column = _COLUMN.get(match.group(2) or "", "item")
    return f"{column}_{chosen[n].index}"
