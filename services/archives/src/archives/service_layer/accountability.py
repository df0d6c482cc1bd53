"""Accountability use cases: keep the read model, answer the reports, feed the gauge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from archives.adapters.repository import ArchiveRepository
from archives.domain.accountability import (
    KIND_LABELS,
    KINDS,
    Facts,
    apply,
    group_counts,
    overdue_gauge,
    overdue_items,
    statistics,
    touched,
)
from spotcheck_common.calendar_store import set_pending_gauge
from spotcheck_common.metrics import OVERDUE_ITEMS


async def record(repo: ArchiveRepository, envelope: Mapping[str, Any], now: datetime) -> int:
    """Fold one filed event into the facts (same transaction as the filing). Returns how many
    facts changed."""
    payload = envelope.get("payload")
    if not isinstance(payload, Mapping):
        return 0
    event_type = str(envelope.get("event_type") or "")
    keys = touched(event_type, payload)
    if not keys:
        return 0
    current = await repo.get_facts(keys)
    facts = apply(event_type, payload, envelope.get("occurred_at"), dict(current))
    await repo.put_facts(facts, now)
    return len(facts)


def _rules() -> dict[str, str]:
    return dict(KIND_LABELS)


async def accountability(
    repo: ArchiveRepository, as_of: date, year: int | None, department: str | None
) -> dict[str, Any]:
    """Who failed to do what, and when (第十三条), as of ``as_of``."""
    facts = Facts.of(await repo.load_facts(year, None))
    items, pending = overdue_items(facts, as_of, await repo.calendar())
    if department is not None:
        items = [i for i in items if i["department"] == department]
        pending = [i for i in pending if i["department"] == department]
    return {
        "as_of": as_of.isoformat(),
        "year": year,
        "department": department,
        "kinds": _rules(),
        "summary": {
            "overdue": sum(1 for i in items if i["status"] == "overdue"),
            "late": sum(1 for i in items if i["status"] == "late"),
            "pending_calendar": len(pending),
        },
        **group_counts(items),
        "items": sorted(items, key=lambda i: (i["due_on"], i["kind"], str(i["task_id"]))),
        # Clocks whose deadline waits for a year's holiday schedule: neither overdue nor on
        # time until the general office records that year (then they are judged as above).
        "pending_calendar": pending,
    }


async def statistics_report(
    repo: ArchiveRepository, as_of: date, year: int, department: str | None
) -> dict[str, Any]:
    facts = Facts.of(await repo.load_facts(year, department))
    calendar = await repo.calendar()
    items, _ = overdue_items(facts, as_of, calendar)
    return {
        "as_of": as_of.isoformat(),
        "year": year,
        "department": department,
        **statistics(facts, as_of, calendar, items),
        **group_counts(items),
    }


# Label pairs this process has set, so a kind/department that is no longer overdue drops to 0.
_EXPORTED: set[tuple[str, str]] = set()


def set_gauge(items: list[dict[str, Any]], departments: set[str]) -> dict[tuple[str, str], int]:
    """Set ``spotcheck_overdue_items{kind, department}`` from a full (unfiltered) evaluation.

    Every kind of every known department gets a series (0 when nothing is overdue), so an
    alert can compare against zero instead of testing for absence.
    """
    counts = overdue_gauge(items)
    labels = {(k, d) for k in KINDS for d in departments} | set(counts) | _EXPORTED
    for kind, department in sorted(labels):
        OVERDUE_ITEMS.labels(source="archives", kind=kind, department=department).set(
            counts.get((kind, department), 0)
        )
    _EXPORTED.update(labels)
    return counts


async def refresh_gauge(repo: ArchiveRepository, today: date) -> dict[tuple[str, str], int]:
    """Evaluate every task of every year as of today and set the gauges (overdue items, and
    deadlines pending a calendar year)."""
    facts = Facts.of(await repo.load_facts(None, None))
    items, pending = overdue_items(facts, today, await repo.calendar())
    departments = {str(t.get("lead_department") or "") for t in facts.tasks.values()}
    set_pending_gauge("archives", Counter(i["kind"] for i in pending), KINDS)
    return set_gauge(items, departments)
