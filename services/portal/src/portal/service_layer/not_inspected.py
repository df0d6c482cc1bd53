"""The "counted as done" reports (第八条) as the console shows them: a department's draft of a
period and its versions, the consolidation draft with each department's status and the
consolidated versions, one report with its objects."""

from __future__ import annotations

import asyncio
from typing import Any

from portal.adapters.api import Api
from portal.domain import not_inspected as rules

BASE = "/api/inspections/not-inspected-reports"


async def _department(api: Api, department: str, period: rules.Period) -> dict[str, Any]:
    draft, versions = await asyncio.gather(
        api.get(f"{BASE}/department-draft", department=department, **period.query()),
        api.get(BASE, kind="department", department=department, **period.query()),
    )
    return {"draft": draft, "versions": versions["items"]}


async def _consolidation(api: Api, period: rules.Period) -> dict[str, Any]:
    draft, versions = await asyncio.gather(
        api.get(f"{BASE}/consolidation-draft", **period.query()),
        api.get(BASE, kind="consolidated", **period.query()),
    )
    return {
        "draft": draft,
        "departments": rules.department_rows(draft),
        "versions": versions["items"],
    }


async def page(api: Api, view: rules.View, period: rules.Period) -> dict[str, Any]:
    """What the person's view shows for the period (``None`` for a part they do not see)."""
    department, consolidation = await asyncio.gather(
        _department(api, view.department, period) if view.department else _nothing(),
        _consolidation(api, period) if view.consolidation else _nothing(),
    )
    return {"department": department, "consolidation": consolidation}


async def _nothing() -> None:
    return None


async def report(api: Api, report_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await api.get(f"{BASE}/{report_id}")
    return found
