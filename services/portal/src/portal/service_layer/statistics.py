"""Statistics and accountability (第十三条) for the console: the archives service's figures for
the year, the same figures at each month's end (the trend), who failed what, and what falls
due within a few working days (tasks and objections)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from typing import Any

from portal.adapters.api import Api, ApiError
from portal.domain import objections as clocks
from portal.domain import statistics as figures
from portal.service_layer.objections import calendar

STATISTICS = "/api/archives/statistics"
DONE_FIELD = {key: done for key, _label, _days, done in clocks.CLOCKS}


async def _objections_due_soon(
    api: Api, today: date, days: Any, department: str | None
) -> Counter[str]:
    """Open objection clocks falling due soon, by kind (``objection_<clock>``)."""
    soon: Counter[str] = Counter()
    try:
        page = await api.get("/api/objections/objections", limit=200)
    except ApiError:  # a role that may not read objections: nothing to count
        return soon
    for o in page["items"]:
        if department and o.get("review_department") != department:
            continue
        for key, done in DONE_FIELD.items():
            if not o.get(done) and figures.due_soon(o.get(f"{key}_due_on"), today, days):
                soon[f"objection_{key}"] += 1
    return soon


async def due_soon(
    api: Api, statistics: dict[str, Any], today: date, department: str | None
) -> Counter[str]:
    days = await calendar(api, range(today.year, today.year + 2))
    soon = await _objections_due_soon(api, today, days, department)
    for task in statistics["tasks"]:
        if task.get("completion_rate") != 1 and figures.due_soon(task.get("deadline"), today, days):
            soon["task_not_run"] += 1
    return soon


async def overview(api: Api, year: int | None, department: str | None) -> dict[str, Any]:
    stats = await api.get(STATISTICS, year=year, department=department)
    as_of = date.fromisoformat(stats["as_of"])
    ends = figures.month_ends(stats["year"], as_of)
    duty, soon, *monthly = await asyncio.gather(
        api.get("/api/archives/accountability", year=stats["year"], department=department),
        due_soon(api, stats, as_of, department),
        *(
            api.get(STATISTICS, year=stats["year"], department=department, as_of=d.isoformat())
            for d in ends
        ),
    )
    kinds, kinds_chart = figures.by_kind(duty["kinds"], duty["items"], soon)
    people, people_chart = figures.inspectors(stats["by_inspector"])
    rates, rates_chart = figures.inspector_rates(stats.get("inspectors") or [])
    trend, trend_chart = figures.trend(list(zip(ends, monthly, strict=True)))
    return {
        "stats": stats,
        "totals": figures.totals(stats),
        "accountability": duty,
        "failures": figures.accountability_rows(duty["items"]),
        "kinds": kinds,
        "inspectors": people,
        "inspector_rates": rates,
        "trend": trend,
        "charts": {
            "departments": figures.rates_chart(
                stats["departments"], "department", "各科室完成率与公示率"
            ),
            "categories": figures.categories_chart(stats["results_by_category"]),
            "kinds": kinds_chart,
            "inspectors": people_chart,
            "inspector_rates": rates_chart,
            "trend": trend_chart,
        },
    }
