"""The spot-check item list in force (抽查事项清单, public by the rules)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.entrypoints.web import api_of, render
from portal.service_layer import public

router = APIRouter(include_in_schema=False)


@router.get("/items", response_class=HTMLResponse)
async def items(request: Request) -> HTMLResponse:
    found = await public.check_items(api_of(request))
    return render(request, "public/items.html", found=found)
