"""An error the bureau found in a published result (第九条: never edited; the credit department
requests its correction of the city bureau, and a new version is published on the city's grant,
the old one kept) as the credit department's form gives it. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from portal.domain.inspections import PENDING

EXPORT_FORMATS = {"csv": "CSV（Excel 可直接打开）", "json": "JSON"}


def _line(form: Mapping[str, str], n: int, item: Mapping[str, Any]) -> dict[str, Any]:
    category = form.get(f"category.{n}", "")
    return {
        "check_item_code": item["check_item_code"],
        "check_item_name": item["check_item_name"],
        "category": category,
        "pending_reason": (form.get(f"pending_reason.{n}") or None)
        if category == PENDING
        else None,
        "remark": form.get(f"remark.{n}", "").strip(),
    }


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    keys = ("category", "pending_reason", "remark")
    return all((a.get(k) or None) == (b.get(k) or None) for k in keys)


def correction_body(
    form: Mapping[str, str], current: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], list[int]]:
    """``{reason, corrected_results}`` with only the items the form changes (the service wants
    only the corrected ones), and the form's row of each line sent. When nothing changed every
    item is sent, and the service says why that is no correction."""
    lines = [_line(form, n, item) for n, item in enumerate(current)]
    rows = [n for n, item in enumerate(current) if not _same(lines[n], item)] or list(
        range(len(lines))
    )
    corrected = [lines[n] for n in rows]
    return {"reason": form.get("reason", "").strip(), "corrected_results": corrected}, rows


def renumbered(fields: Mapping[str, str], rows: Sequence[int]) -> dict[str, str]:
    """The service's reasons keyed by the form's rows: ``corrected_results[k]`` of the body
    sent is ``results[rows[k]]`` on the form."""
    out = {}
    for name, reason in fields.items():
        match = _INDEX.match(name)
        if match and int(match[1]) < len(rows):
            name = f"results[{rows[int(match[1])]}]{match[2]}"
        out[name] = reason
    return out


_INDEX = re.compile(r"^(?:corrected_)?results\[(\d+)\](.*)$")


def current_version(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The version in force (the record itself when it lists no versions)."""
    versions = record.get("versions") or []
    return next((v for v in versions if v.get("status") == "current"), record)
