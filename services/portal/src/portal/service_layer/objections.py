"""Objections as the console shows them: each with its three clocks counted on the bureau's
calendar, and the published result it contests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from portal.adapters.api import Api, ApiError
from portal.domain import objections as rules
from spotcheck_common.workdays import WorkCalendar

PAGE = 50


async def calendar(api: Api, years: Iterable[int]) -> WorkCalendar:
    """The registry's working-day calendar for ``years`` (public, the same the services use)."""
    answers = await asyncio.gather(*(api.get(f"/public/calendar/{y}") for y in years))
    return rules.calendar_of(answers)


async def _with_clocks(
    api: Api, objections: list[dict[str, Any]], today: date
) -> list[dict[str, Any]]:
    days = await calendar(api, rules.years_needed(objections, today))
    return [o | {"clocks": rules.clocks_of(o, today, days)} for o in objections]


async def listing(
    api: Api, status: str = "", overdue: bool = False, offset: int = 0
) -> dict[str, Any]:
    page = await api.get(
        "/api/objections/objections",
        status=status,
        overdue="true" if overdue else None,
        limit=PAGE,
        offset=offset,
    )
    today = date.fromisoformat(page["today"])
    items = await _with_clocks(api, page["items"], today)
    return {"total": page["total"], "today": page["today"], "items": items, "limit": PAGE}


async def today_of(api: Api) -> date:
    """The services' today (Beijing time), as the public calendar states it."""
    return date.fromisoformat((await api.get("/public/calendar"))["today"])


async def record(api: Api, record_id: str) -> dict[str, Any] | None:
    """The published result (public), its current version's results on top; None if unknown."""
    try:
        found: dict[str, Any] = await api.get(f"/public/results/{record_id}")
    except ApiError as exc:
        if exc.status in (404, 422):
            return None
        raise
    return found


def current_results(found: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not found:
        return []
    versions = found.get("versions") or []
    current = next((v for v in versions if v.get("status") == "current"), None)
    return list((current or found).get("results", []))


async def detail(api: Api, objection_id: str) -> dict[str, Any]:
    """The objection with its clocks, and the published result it contests."""
    objection = await api.get(f"/api/objections/objections/{objection_id}")
    today = await today_of(api)
    [with_clocks] = await _with_clocks(api, [objection], today)
    found = await record(api, objection["record_id"])
    return {
        "objection": with_clocks,
        "record": found,
        "results": current_results(found),
        "today": today.isoformat(),
    }
