"""The public site (公示): no sign-in, one module per page family."""

from __future__ import annotations

from portal.entrypoints.public import draws, entities, home, items, plans, results, tasks, verify

ROUTERS = [
    home.router,
    items.router,
    plans.router,
    tasks.router,
    results.router,
    draws.router,
    entities.router,
    verify.router,
]
