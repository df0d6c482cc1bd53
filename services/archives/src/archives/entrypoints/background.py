"""The overdue-items gauge, refreshed in the background.

``spotcheck_overdue_items{kind, department}`` (``spotcheck_common.metrics.OVERDUE_ITEMS``) is a
snapshot of a computation over the read model, not a counter bumped by events: a deadline passes
with no event at all. So it is recomputed as of today (China) every ``REFRESH_INTERVAL_S``
seconds by a task started from the service's ``on_startup`` hook, and again on each read of
``GET /api/archives/accountability`` without ``as_of``. Every replica computes the same values
from the same database (alert on ``max by (kind, department)``). A failed refresh is logged and
retried at the next tick; the gauge keeps its last values meanwhile.

The kernel gives ``on_startup`` hooks no stop signal; the loop ends when this service's outbox
relay task (started right after the hooks, stopped at shutdown) ends.
"""

from __future__ import annotations

import asyncio
import logging

from archives.adapters.repository import SqlArchiveRepository
from archives.service_layer import accountability
from spotcheck_common import workdays
from spotcheck_common.service import ServiceRuntime

log = logging.getLogger(__name__)

REFRESH_INTERVAL_S = 60.0
STATE_KEY = "overdue_gauge_refresher"


async def refresh_once(rt: ServiceRuntime) -> None:
    async with rt.db.sessions() as session:
        repo = SqlArchiveRepository(session, rt.db.postgres)
        await accountability.refresh_gauge(repo, workdays.today())


def _relay_task(rt: ServiceRuntime) -> asyncio.Task[object] | None:
    name = f"relay:{rt.name}"
    return next((t for t in asyncio.all_tasks() if t.get_name() == name), None)


async def _loop(rt: ServiceRuntime, interval_s: float) -> None:
    relay: asyncio.Task[object] | None = None
    while True:
        try:
            await refresh_once(rt)
        except Exception:
            log.exception("overdue gauge refresh failed")
        relay = relay or _relay_task(rt)
        if relay is None:
            await asyncio.sleep(interval_s)
            continue
        done, _ = await asyncio.wait({relay}, timeout=interval_s)
        if done:
            return


async def start_overdue_refresher(rt: ServiceRuntime) -> None:
    """``on_startup`` hook: start the refresh loop (first refresh at once)."""
    interval = float(rt.state.get("overdue_refresh_interval_s", REFRESH_INTERVAL_S))
    rt.state[STATE_KEY] = asyncio.create_task(_loop(rt, interval), name=f"overdue-gauge:{rt.name}")
