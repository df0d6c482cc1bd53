"""The "counted as done" report (第八条 视为完成抽查名单) as the console's forms give it: the
period, who sees and does what, each department's status in a consolidation. Pure: no I/O.

Each department compiles its list of a period and submits it to the credit department; the
credit department consolidates them and reports to the city bureau. A submitted list never
changes: a correction is a new version naming the current one and why (the inspections
service refuses anything else, and its reasons are shown beside the form).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

# The roles of a department that leads tasks and reports its own list.
REPORTING = frozenset({"supervising_dept", "station", "credit_dept"})
# The roles that read every department's list and the consolidation.
BUREAU_WIDE = frozenset({"credit_dept", "deputy_director", "director_meeting"})
FORMATS = {"xlsx": "Excel（市局格式）", "csv": "CSV（UTF-8，可直接导入）"}


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def query(self) -> dict[str, str]:
        return {"period_start": self.start.isoformat(), "period_end": self.end.isoformat()}


def last_month(today: date) -> Period:
    """The month before ``today``'s (the services' today, never the machine's clock)."""
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def period_of(start: str, end: str, today: date) -> Period:
    """The period the page asks for; last month when it names none (or not as dates)."""
    try:
        return Period(date.fromisoformat(start), date.fromisoformat(end))
    except ValueError:
        return last_month(today)


@dataclass(frozen=True)
class View:
    """What a person sees on the page: whose department list (``""``: none), whether they may
    submit it, whether they see (and may make) the consolidation."""

    department: str
    submits: bool
    consolidation: bool
    consolidates: bool


def view_of(roles: Iterable[str], own: str, asked: str = "") -> View:
    """A department sees and submits its own list; the credit department and the leadership
    see any department's (read-only) and the consolidation; only the credit department
    consolidates."""
    held = set(roles)
    bureau = bool(held & BUREAU_WIDE)
    reporting = bool(held & REPORTING) and bool(own)
    department = asked if bureau and asked else (own if reporting else "")
    return View(
        department=department,
        submits=reporting and department == own,
        consolidation=bureau,
        consolidates="credit_dept" in held,
    )


def report_body(form: Mapping[str, str]) -> dict[str, str]:
    """``{period_start, period_end, note}`` of a submission; a correction adds the version it
    replaces and its reason."""
    body = {k: form.get(k, "").strip() for k in ("period_start", "period_end", "note")}
    if form.get("replaces", "").strip():
        body["replaces"] = form["replaces"].strip()
        body["correction_reason"] = form.get("correction_reason", "").strip()
    return body


def department_rows(draft: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each department of a consolidation draft: its current list (if reported) and how many
    objects counted as done it has in no list yet (a department may be both: it reported,
    then a form was submitted in the period)."""
    rows: dict[str, dict[str, Any]] = {
        r["department"]: {"department": r["department"], "report": r, "unreported": 0}
        for r in draft.get("reports", [])
    }
    for department, count in (draft.get("unreported") or {}).items():
        row = rows.setdefault(department, {"department": department, "report": None})
        row["unreported"] = count
    return sorted(rows.values(), key=lambda r: str(r["department"]))


def version_mark(report: Mapping[str, Any]) -> str:
    return "现行" if report.get("current") else "已更正"
