"""The draws service's periodic work (run by the runtime): how often each department's teams
are assigned directly instead of matched at random (第六条, draw-spec §15), as Prometheus
gauges, so the general office sees direct assignment used too often (alert on the ratio where
``spotcheck_draw_teams`` is large enough to mean something).

Refreshed every ``Settings.periodic_interval_s`` from the countersigned draws' team counts; a
read never writes them.
"""

from __future__ import annotations

from typing import Any, cast

from prometheus_client import Gauge

from draws.adapters.unit_of_work import SqlDrawsUnitOfWork
from draws.service_layer import services
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.uow import Context

DIRECT_ASSIGNMENT_RATIO = Gauge(
    "spotcheck_direct_assignment_ratio",
    "Share (0..1) of the teams of countersigned draws that were assigned directly instead of "
    "matched at random (第六条), by the task's lead department",
    ["department"],
)
DRAW_TEAMS = Gauge(
    "spotcheck_draw_teams",
    "Teams of countersigned draws by the task's lead department and how they were made "
    "(matching: drawn or assigned)",
    ["department", "matching"],
)


def set_gauges(shares: list[dict[str, Any]]) -> None:
    """One series per department (a department's series never disappears: counts only grow)."""
    for s in shares:
        department = s["department"]
        DIRECT_ASSIGNMENT_RATIO.labels(department=department).set(
            s["assigned"] / s["teams"] if s["teams"] else 0.0
        )
        DRAW_TEAMS.labels(department=department, matching="assigned").set(s["assigned"])
        DRAW_TEAMS.labels(department=department, matching="drawn").set(s["teams"] - s["assigned"])


async def refresh(rt: ServiceRuntime) -> None:
    """Periodic hook: the direct-assignment gauges from the draws' team counts."""
    async with rt.uow(Context(actor="periodic")) as uow:
        shares = await services.direct_assignment_shares(cast(SqlDrawsUnitOfWork, uow))
    set_gauges(shares)
