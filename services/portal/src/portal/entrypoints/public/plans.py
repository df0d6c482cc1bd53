"""Annual spot-check plans as published: the current version of each, and every version of one
(an adjusted plan's earlier versions stay, marked superseded)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.adapters.api import ApiError
from portal.entrypoints.web import api_of, render

router = APIRouter(include_in_schema=False)


@router.get("/plans", response_class=HTMLResponse)
async def plans(request: Request, year: str = "") -> HTMLResponse:
    chosen = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None
    found = await api_of(request).get("/public/plans", year=chosen)
    return render(request, "public/plans.html", plans=found, year=chosen)


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
async def plan(request: Request, plan_id: str) -> HTMLResponse:
    try:
        found = await api_of(request).get(f"/public/plans/{plan_id}")
    except ApiError as exc:
        return render(request, "public/missing.html", status_code=exc.status, error=exc.reason)
    return render(request, "public/plan.html", plan=found)
