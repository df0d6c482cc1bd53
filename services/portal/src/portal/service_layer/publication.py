"""Publication as the credit department's console shows it: results published after their
20-working-day deadline, results the law keeps private, published results to find (and to
request of the city bureau a correction of), and the export for the national publicity
system."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any

from portal.adapters.api import Api, ApiError
from portal.domain import publication as rules

PAGE = 50


async def _or_refused(call: Awaitable[Any]) -> tuple[Any, str]:
    """A list the person's role may not read shows the service's reason instead."""
    try:
        return await call, ""
    except ApiError as exc:
        if exc.status in (401, 403):
            return None, exc.reason
        raise


async def overview(api: Api, filters: Mapping[str, str], offset: int = 0) -> dict[str, Any]:
    """The publication page: overdue, withheld, and the published results found."""
    search = {k: filters.get(k) for k in ("q", "uscc", "task_no")}
    (overdue, overdue_refusal), (withheld, withheld_refusal), found = await asyncio.gather(
        _or_refused(api.get("/api/publication/overdue", department=filters.get("department"))),
        _or_refused(
            api.get("/api/publication/withheld", task_no=filters.get("task_no"), limit=PAGE)
        ),
        api.get("/public/results", **search, limit=PAGE, offset=offset)
        if any(search.values())
        else _nothing(),
    )
    return {
        "overdue": overdue,
        "overdue_refusal": overdue_refusal,
        "withheld": withheld,
        "withheld_refusal": withheld_refusal,
        "found": found,
        "limit": PAGE,
        "offset": offset,
    }


async def _nothing() -> None:
    return None


async def record(api: Api, record_id: str) -> dict[str, Any]:
    """A published result with all its versions, the current one's lines for the form, and
    the corrections requested of the city bureau for it."""
    found, (requested, _refusal) = await asyncio.gather(
        api.get(f"/public/results/{record_id}"),
        _or_refused(api.get("/api/objections/corrections", record_id=record_id, limit=PAGE)),
    )
    current = rules.current_version(found)
    return {
        "record": found,
        "current": list(current.get("results", [])),
        "requests": (requested or {}).get("items", []),
    }
