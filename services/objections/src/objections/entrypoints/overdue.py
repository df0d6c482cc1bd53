"""Objection clocks as a Prometheus gauge: ``spotcheck_overdue_items`` with ``kind`` one of
``objection_review`` (20 working days from receipt), ``objection_feedback`` (15 from the review
result) and ``objection_correction`` (5 from the decision; closes when publication's
``ResultCorrected`` for the objection arrives), and ``department`` the reviewing department.

The value is the number of objections whose clock has run out and is still open today (Beijing
date). It is refreshed on every read of the objections list (``GET /api/objections/objections``)
and by a background loop every ``REFRESH_INTERVAL_S`` seconds, started with the service. The
metric object is shared (``spotcheck_common.metrics.OVERDUE_ITEMS``); only this service's kinds
are set here, and a series once set drops to 0 (not absent) when nothing is overdue any more.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import date

from objections.adapters.repository import SqlObjectionsRepository
from objections.domain import model
from objections.domain.model import Objection
from spotcheck_common.metrics import OVERDUE_ITEMS
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.workdays import today

log = logging.getLogger(__name__)

REFRESH_INTERVAL_S = 60.0

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


async def refresh(rt: ServiceRuntime, day: date | None = None) -> dict[tuple[str, str], int]:
    async with rt.db.sessions() as session:
        open_clocks = await SqlObjectionsRepository(session).with_open_clocks()
    return set_gauge(open_clocks, day or today())


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
