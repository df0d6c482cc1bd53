"""The objections service's periodic work (run by the runtime): objection clocks as a
Prometheus gauge, ``spotcheck_overdue_items`` with ``kind`` one of
``objection_review`` (20 working days from receipt), ``objection_feedback`` (15 from the review
result) and ``objection_correction`` (5 from the decision; closes when publication's
``ResultCorrected`` for the objection arrives), and ``department`` the reviewing department.

The value is the number of objections whose clock has run out and is still open today (Beijing
date). It is refreshed by the runtime's periodic work (``Settings.periodic_interval_s``), which
also counts the clocks pending a year's holiday schedule
(``spotcheck_deadlines_pending_calendar``); a read never writes it. The
metric object is shared (``spotcheck_common.metrics.OVERDUE_ITEMS``); only this service's kinds
are set here, and a series once set drops to 0 (not absent) when nothing is overdue any more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import cast

from objections.adapters.unit_of_work import SqlObjectionsUnitOfWork
from objections.domain import model
from objections.domain.model import Objection
from spotcheck_common.calendar_store import set_pending_gauge
from spotcheck_common.metrics import OVERDUE_ITEMS
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.uow import Context

_series: set[tuple[str, str]] = set()


def count(objections: Iterable[Objection], day: date) -> Counter[tuple[str, str]]:
    return Counter(
        (kind, model.department(o))
        for o in objections
        for kind in model.outstanding_overdue(o, day)
    )


def set_gauge(objections: Iterable[Objection], day: date) -> dict[tuple[str, str], int]:
    counts = count(objections, day)
    for kind, department in _series - set(counts):  # no longer overdue: 0, not absent
        OVERDUE_ITEMS.labels(source="objections", kind=kind, department=department).set(0)
    for (kind, department), n in counts.items():
        OVERDUE_ITEMS.labels(source="objections", kind=kind, department=department).set(n)
    _series.update(counts)
    return dict(counts)


async def refresh(rt: ServiceRuntime) -> dict[tuple[str, str], int]:
    """Periodic hook: the overdue gauge as of today, and the clocks pending a calendar year."""
    async with rt.uow(Context(actor="periodic")) as uow:
        repo = cast(SqlObjectionsUnitOfWork, uow).objections
        open_clocks = await repo.with_open_clocks()
        pending = await repo.pending_calendar()
    set_pending_gauge(
        "objections",
        Counter(model.KIND_BY_CLOCK[c] for o in pending for c in model.pending_clocks(o)),
        model.KINDS,
    )
    return set_gauge(open_clocks, rt.clock.today())
