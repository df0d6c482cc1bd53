"""The overdue-items gauge, refreshed by the runtime's periodic work.

``spotcheck_overdue_items{kind, department}`` (``spotcheck_common.metrics.OVERDUE_ITEMS``) is a
snapshot of a computation over the read model, not a counter bumped by events: a deadline passes
with no event at all. So it is recomputed as of today (China) every
``Settings.periodic_interval_s`` seconds, and again on each read of
``GET /api/archives/accountability`` without ``as_of``; the same pass counts the clocks whose
deadline waits for a year's holiday schedule (``spotcheck_deadlines_pending_calendar``). Every
replica computes the same values from the same database (alert on ``max by (kind,
department)``). A failed refresh is logged and retried at the next tick.
"""

from __future__ import annotations

from archives.adapters.repository import SqlArchiveRepository
from archives.service_layer import accountability
from spotcheck_common.service import ServiceRuntime


async def refresh_gauges(rt: ServiceRuntime) -> None:
    async with rt.db.sessions() as session:
        repo = SqlArchiveRepository(session, rt.db.postgres)
        await accountability.refresh_gauge(repo, rt.clock.today())
