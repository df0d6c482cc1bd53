"""Console pages: statistics and accountability (第十三条) — tables, and charts drawn from the
same numbers by ``static/js/statistics/charts.js`` (each chart's table beside it, readable
without JavaScript); the failures 问责 and 免责 apart, each with its exemption (see
``console/exemptions.py``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.adapters.api import ApiError
from portal.domain import exemptions
from portal.domain.statistics import percent_text
from portal.entrypoints.web import SignedIn, refused, render
from portal.service_layer import statistics as service

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/statistics", response_class=HTMLResponse)
async def statistics(
    request: Request, session: SignedIn, year: int | None = None, department: str = ""
) -> HTMLResponse:
    context: dict[str, Any] = {
        "session": session,
        "year": year,
        "department": department,
        "pct": percent_text,
    }
    try:
        found = await service.overview(session.api, year, department or None)
    except ApiError as exc:
        return refused(request, "console/statistics.html", exc, found=None, **context)
    duty = exemptions.split(found["failures"], session.me.roles, session.me.department)
    return render(request, "console/statistics.html", found=found, duty=duty, **context)
