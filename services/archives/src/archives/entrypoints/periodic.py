"""The archives service's periodic work (run by the runtime): the overdue-items gauge.

``spotcheck_overdue_items{kind, department}`` (``spotcheck_common.metrics.OVERDUE_ITEMS``) is a
snapshot of a computation over the read model, not a counter bumped by events: a deadline passes
with no event at all. So it is recomputed as of today (China) every
``Settings.periodic_interval_s`` seconds (never on a read); the same pass counts the clocks
whose deadline waits for a year's holiday schedule (``spotcheck_deadlines_pending_calendar``) and
the open ones due within ``SPOTCHECK_ARCHIVES_DUE_SOON_WORKDAYS`` working days
(``spotcheck_due_soon_items``).
Every replica computes the same values from the same database (alert on ``max by (kind,
department)``). A failed refresh is logged and retried at the next tick.
"""

from __future__ import annotations

from typing import cast

from archives.adapters.unit_of_work import SqlArchivesUnitOfWork
from archives.service_layer import accountability
from archives.service_layer.config import get_archives_settings
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.uow import Context


async def refresh_gauges(rt: ServiceRuntime) -> dict[tuple[str, str], int]:
    """Periodic hook: the overdue and due-soon gauges as of today, and the clocks pending a
    calendar year."""
    async with rt.uow(Context(actor="periodic")) as uow:
        return await accountability.refresh_gauge(
            cast(SqlArchivesUnitOfWork, uow),
            rt.clock.today(),
            get_archives_settings().due_soon_workdays,
        )
