"""Spot-check tasks (implementation plans, 第六条) as published, and on each task's page its
draws: status, digests, their records in the district's draw log, and where to verify them."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from portal.adapters.api import ApiError
from portal.domain.public import PAGE
from portal.entrypoints.web import api_of, render
from portal.service_layer import public

router = APIRouter(include_in_schema=False)


@router.get("/tasks", response_class=HTMLResponse)
async def tasks(
    request: Request, q: str = Query("", max_length=100), offset: int = Query(0, ge=0)
) -> HTMLResponse:
    found = await api_of(request).get("/public/tasks", q=q.strip(), limit=PAGE, offset=offset)
    return render(request, "public/tasks.html", tasks=found, q=q, offset=offset, limit=PAGE)


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
async def task(request: Request, task_id: str) -> HTMLResponse:
    try:
        page = await public.task(api_of(request), task_id)
    except ApiError as exc:
        if exc.status != 404:
            raise
        return render(request, "public/missing.html", status_code=404, error=exc.reason)
    return render(request, "public/task.html", **page)
