"""The publication deadline as a Prometheus gauge: ``spotcheck_overdue_items`` with
``kind="result_publication"`` and the responsible (lead) department.

A result is overdue when it was first published after its ``publish_due_on`` (20 working days
after it was formed, 第九条). The gauge is the count of such results per department. It is
refreshed on every read of ``GET /api/publication/overdue`` and by a background loop every
``REFRESH_INTERVAL_S`` seconds (started with the service), so an alert sees a late result within
a minute. The metric object is shared (``spotcheck_common.metrics.OVERDUE_ITEMS``): this module
sets only its own kind's series; a series once set drops to 0 (not absent)
when nothing is overdue any more.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable

from publication.adapters.repository import SqlPublicationRepository
from publication.domain.model import ResultRecord
from spotcheck_common.metrics import OVERDUE_ITEMS
from spotcheck_common.service import ServiceRuntime

log = logging.getLogger(__name__)

KIND = "result_publication"
REFRESH_INTERVAL_S = 60.0
UNASSIGNED = "未指定"

_series: set[str] = set()


def set_gauge(records: Iterable[ResultRecord]) -> dict[str, int]:
    """Set one series per department with overdue results; a department that has none any
    more keeps its series at 0 (only this kind's series are touched)."""
    counts = Counter(r.lead_department or UNASSIGNED for r in records)
    for department in _series - set(counts):  # no longer overdue: 0, not absent
        OVERDUE_ITEMS.labels(source="publication", kind=KIND, department=department).set(0)
    for department, n in counts.items():
        OVERDUE_ITEMS.labels(source="publication", kind=KIND, department=department).set(n)
    _series.update(counts)
    return dict(counts)


async def refresh(rt: ServiceRuntime) -> dict[str, int]:
    async with rt.db.sessions() as session:
        records = await SqlPublicationRepository(session).late_records()
    return set_gauge(records)


async def refresh_forever(rt: ServiceRuntime) -> None:
    """Refresh every ``REFRESH_INTERVAL_S``; ends with the service (when its outbox relay,
    which the runtime stops on shutdown, has finished)."""
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
