"""The transfer clock as a Prometheus gauge: ``spotcheck_overdue_items{kind="case_not_transferred",
department=<lead department>}`` counts follow-ups whose suspected crime has not been transferred
to the judicial authorities by ``transfer_due_on`` (第十条、第十三条), today (Beijing date).

Refreshed at startup, on every unfiltered read of the register by the credit department or
the bureau's leadership (``GET /api/inspections/follow-ups``), and by a background loop every
``REFRESH_INTERVAL_S`` seconds that ends with the service (when its outbox relay has finished).
Only this service's kind is set and cleared here (the metric object is shared).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import date

from inspections.adapters.repository import SqlInspectionRepository
from inspections.domain.follow_ups import FollowUp
from spotcheck_common.metrics import OVERDUE_ITEMS
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.workdays import today

log = logging.getLogger(__name__)

KIND = "case_not_transferred"
REFRESH_INTERVAL_S = 60.0

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


async def refresh(rt: ServiceRuntime, day: date | None = None) -> dict[str, int]:
    async with rt.db.sessions() as session:
        follow_ups = await SqlInspectionRepository(session).search_follow_ups(None, None, None)
    return set_gauge(follow_ups, day or today())


async def refresh_forever(rt: ServiceRuntime) -> None:
    relay = None
    while True:
        if relay is None:
            name = f"relay:{rt.name}"
            relay = next((t for t in asyncio.all_tasks() if t.get_name() == name), None)
            if relay is None:  # the runtime starts the relay right after the startup hooks
                await asyncio.sleep(0.5)
                continue
        await asyncio.wait({relay}, timeout=REFRESH_INTERVAL_S)
        if relay.done():
            return
        try:
            await refresh(rt)
        except Exception:
            log.exception("refreshing the overdue gauge failed")


async def start_refresh(rt: ServiceRuntime) -> None:
    """``on_startup`` hook: refresh now, then keep refreshing in the background."""
    await refresh(rt)
    rt.state["overdue_refresh"] = asyncio.create_task(
        refresh_forever(rt), name=f"overdue:{rt.name}"
    )
