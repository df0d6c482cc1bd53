"""Accountability use cases: fold the events into the read model (parking a fold that fails),
answer the reports, feed the gauge."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from prometheus_client import Gauge

from archives.domain.accountability import (
    KIND_LABELS,
    KINDS,
    Facts,
    due_soon_gauge,
    due_soon_horizon,
    evaluate,
    group_counts,
    is_exempt,
    overdue_gauge,
    overdue_items,
    statistics,
)
from archives.domain.exemptions import Status, classify
from archives.domain.folds import apply, folds, touched
from archives.service_layer.unit_of_work import ArchivesUnitOfWork
from spotcheck_common.calendar_store import set_pending_gauge
from spotcheck_common.events import Event, event_class
from spotcheck_common.metrics import DUE_SOON_ITEMS, FOLDS_PARKED, OVERDUE_ITEMS

log = logging.getLogger(__name__)


def parse(envelope: Mapping[str, Any]) -> Event | None:
    """The envelope's payload read with its schema class; None for an event archives files
    but does not fold. Raises if the payload does not fit the schema."""
    try:
        cls = event_class(str(envelope.get("event_type")), int(envelope.get("schema_version") or 1))
    except LookupError:
        return None
    if not folds(cls):
        return None
    return cls.model_validate(envelope.get("payload"))


async def record(uow: ArchivesUnitOfWork, envelope: Mapping[str, Any], now: datetime) -> int:
    """Fold one filed event into the facts (same transaction as the filing). Returns how many
    facts changed. Raises if the event does not fold (see :func:`fold`)."""
    event = parse(envelope)
    if event is None:
        return 0
    keys = touched(event)
    current = await uow.archives.get_facts(keys)
    facts = apply(event, envelope.get("occurred_at"), dict(current))
    await uow.archives.put_facts(facts, now)
    return len(facts)


async def fold(uow: ArchivesUnitOfWork, envelope: Mapping[str, Any], now: datetime) -> bool:
    """Fold a filed event, or park it: the dossier comes first, so a fold that fails must
    neither keep the event out of the archive nor block the partition. The fold runs in a
    savepoint; on failure its writes are undone, the event is kept whole in ``parked_folds``
    with the error and counted (``spotcheck_archives_folds_parked_total``). True if folded."""
    event_id = str(envelope.get("event_id"))
    event_type = str(envelope.get("event_type"))
    try:
        async with uow.archives.savepoint():
            await record(uow, envelope, now)
    except Exception as exc:  # any fault of the fold: parked, never dropped
        parked = await uow.archives.park(
            event_id, event_type, envelope, f"{type(exc).__name__}: {exc}"[:4000], now
        )
        FOLDS_PARKED.labels(event_type=event_type).inc()
        log.warning(
            "accountability fold failed; the event is filed and its fold parked",
            exc_info=True,
            extra={
                "fields": {
                    "event_id": event_id,
                    "event_type": event_type,
                    "attempts": parked.attempts,
                }
            },
        )
        return False
    return True


async def refold(uow: ArchivesUnitOfWork, event_id: str, now: datetime) -> bool | None:
    """Fold a parked event again (the fold fixed, or the event delivered again): unparked if it
    folds now, parked once more if not. None if nothing is parked under ``event_id``."""
    parked = await uow.archives.parked(event_id)
    if parked is None:
        return None
    folded = await fold(uow, parked.envelope, now)
    if folded:
        await uow.archives.unpark(event_id)
    return folded


@dataclass(frozen=True)
class Refolded:
    refolded: int
    still_parked: int


async def refold_parked(uow: ArchivesUnitOfWork, limit: int) -> Refolded:
    """Fold again up to ``limit`` parked events, oldest first (after a fix is deployed); commits."""
    now = uow.clock.now()
    page = await uow.archives.parked_folds(limit, 0)
    refolded = 0
    for parked in page.items:
        refolded += bool(await refold(uow, parked.event_id, now))
    await uow.commit()
    return Refolded(refolded, page.total - refolded)


def _rules() -> dict[str, str]:
    return dict(KIND_LABELS)


async def judged(
    uow: ArchivesUnitOfWork, facts: Facts, as_of: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The failures as of ``as_of``, each marked 问责 or 免责 by the director's meeting's
    decisions known that day; and the clocks pending a calendar year."""
    repo = uow.archives
    items, pending = overdue_items(facts, as_of, await repo.calendar())
    return classify(items, await repo.exemptions(), as_of), pending


async def accountability(
    uow: ArchivesUnitOfWork, as_of: date, year: int | None, department: str | None
) -> dict[str, Any]:
    """Who failed to do what, and when (第十三条), as of ``as_of``: 问责 and 免责 apart."""
    repo = uow.archives
    facts = Facts.of(await repo.load_facts(year, None))
    items, pending = await judged(uow, facts, as_of)
    if department is not None:
        items = [i for i in items if i["department"] == department]
        pending = [i for i in pending if i["department"] == department]
    return {
        "as_of": as_of.isoformat(),
        "year": year,
        "department": department,
        "kinds": _rules(),
        "summary": {
            # 问责: the failures not exempted, overdue and late apart; 免责: those exempted.
            "overdue": sum(1 for i in items if i["status"] == "overdue" and not is_exempt(i)),
            "late": sum(1 for i in items if i["status"] == "late" and not is_exempt(i)),
            "exempt": sum(1 for i in items if is_exempt(i)),
            "exemption_proposed": sum(
                1 for i in items if i["exemption"] and i["exemption"]["status"] == Status.PROPOSED
            ),
            "pending_calendar": len(pending),
        },
        **group_counts(items),
        "items": sorted(items, key=lambda i: (i["due_on"], i["kind"], str(i["task_id"]))),
        # Clocks whose deadline waits for a year's holiday schedule: neither overdue nor on
        # time until the general office records that year (then they are judged as above).
        "pending_calendar": pending,
    }


async def statistics_report(
    uow: ArchivesUnitOfWork, as_of: date, year: int, department: str | None
) -> dict[str, Any]:
    repo = uow.archives
    facts = Facts.of(await repo.load_facts(year, department))
    calendar = await repo.calendar()
    items, _ = await judged(uow, facts, as_of)
    return {
        "as_of": as_of.isoformat(),
        "year": year,
        "department": department,
        **statistics(facts, as_of, calendar, items),
        **group_counts(items),
    }


# Label pairs this process has set per gauge, so a kind/department that no longer counts drops
# to 0.
_EXPORTED: dict[Gauge, set[tuple[str, str]]] = {}


def _export(gauge: Gauge, counts: Mapping[tuple[str, str], int], departments: set[str]) -> None:
    """Every kind of every known department gets a series (0 when nothing counts), so an
    alert can compare against zero instead of testing for absence."""
    exported = _EXPORTED.setdefault(gauge, set())
    labels = {(k, d) for k in KINDS for d in departments} | set(counts) | exported
    for kind, department in sorted(labels):
        gauge.labels(source="archives", kind=kind, department=department).set(
            counts.get((kind, department), 0)
        )
    exported.update(labels)


def set_gauge(items: list[dict[str, Any]], departments: set[str]) -> dict[tuple[str, str], int]:
    """Set ``spotcheck_overdue_items{kind, department}`` from a full (unfiltered) evaluation."""
    counts = overdue_gauge(items)
    _export(OVERDUE_ITEMS, counts, departments)
    return counts


async def refresh_gauge(
    uow: ArchivesUnitOfWork, today: date, due_soon_workdays: int
) -> dict[tuple[str, str], int]:
    """Evaluate every task of every year as of today in one pass and set the gauges: overdue
    items not exempted, items due within ``due_soon_workdays`` working days, and deadlines
    pending a calendar year. Returns the overdue counts."""
    repo = uow.archives
    facts = Facts.of(await repo.load_facts(None, None))
    calendar = await repo.calendar()
    horizon = due_soon_horizon(today, calendar, due_soon_workdays)
    failures, pending, due_soon = evaluate(facts, today, calendar, horizon)
    items = classify(failures, await repo.exemptions(), today)
    departments = {str(t.get("lead_department") or "") for t in facts.tasks.values()}
    set_pending_gauge("archives", Counter(i["kind"] for i in pending), KINDS)
    _export(DUE_SOON_ITEMS, due_soon_gauge(due_soon), departments)
    return set_gauge(items, departments)
