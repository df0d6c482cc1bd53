"""The public site's front page: what the bureau checks, and the latest of what it found."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.entrypoints.web import api_of, render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    api = api_of(request)
    tasks = await api.get("/public/tasks", limit=5)
    results = await api.get("/public/results", limit=10)
    return render(request, "public/home.html", tasks=tasks, results=results)
