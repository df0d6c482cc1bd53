"""The public site's front page: what 双随机、一公开 is, a search, and the latest of what the
bureau published."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.entrypoints.web import api_of, render
from portal.service_layer import public

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    return render(request, "public/home.html", **await public.home(api_of(request)))
