"""The inspections service's periodic work (run by the runtime): the transfer clock as a
Prometheus gauge, ``spotcheck_overdue_items{kind="case_not_transferred",
department=<lead department>}`` counts follow-ups whose suspected crime has not been transferred
to the judicial authorities by ``transfer_due_on`` (第十条、第十三条), today (Beijing date).

Refreshed at startup and by the runtime's periodic work (``Settings.periodic_interval_s``);
a read never writes it.
Only this service's kind is set and cleared here (the metric object is shared).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import cast

from inspections.adapters.unit_of_work import SqlInspectionsUnitOfWork
from inspections.domain.follow_ups import FollowUp
from spotcheck_common.calendar_store import set_pending_gauge
from spotcheck_common.metrics import OVERDUE_ITEMS
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.uow import Context

KIND = "case_not_transferred"

_departments: set[str] = set()


def set_gauge(follow_ups: Iterable[FollowUp], day: date) -> dict[str, int]:
    counts = Counter(f.lead_department for f in follow_ups if f.overdue(day))
    for department in _departments - set(counts):
        with contextlib.suppress(KeyError):
            OVERDUE_ITEMS.remove("inspections", KIND, department)
    for department, n in counts.items():
        OVERDUE_ITEMS.labels(source="inspections", kind=KIND, department=department).set(n)
    _departments.clear()
    _departments.update(counts)
    return dict(counts)


async def refresh(rt: ServiceRuntime) -> dict[str, int]:
    """Periodic hook: overdue transfers as of today, and transfer deadlines pending a
    calendar year."""
    async with rt.uow(Context(actor="periodic")) as uow:
        repo = cast(SqlInspectionsUnitOfWork, uow).inspections
        follow_ups = await repo.search_follow_ups(None, None, None)
        pending = await repo.pending_transfer_deadlines()
    set_pending_gauge("inspections", {KIND: pending}, [KIND])
    return set_gauge(follow_ups, rt.clock.today())
