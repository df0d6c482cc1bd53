"""One draw as anyone may check it: the manifest frozen before any random number, the
commitments and reveals, the beacon, the result, the countersignature, its records in the
district's draw log, the downloads, and the check in the browser; a directly assigned team
(第六条) said to be so, why, and by whose approval. And the neighbours' joint
draws this bureau took part in, whose bundles the drawing districts publish."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.adapters.api import ApiError
from portal.domain.draws import status_label
from portal.entrypoints.web import api_of, render, templates
from portal.service_layer import public

router = APIRouter(include_in_schema=False)
templates.env.filters.setdefault("draw_status", status_label)  # ``assigning`` (第六条) too


@router.get("/draws/joint", response_class=HTMLResponse)
async def joint_draws(request: Request) -> HTMLResponse:
    items = await public.joint_draws(api_of(request))
    return render(request, "public/joint_draws.html", items=items)


@router.get("/draws/{draw_id}", response_class=HTMLResponse)
async def draw(request: Request, draw_id: str) -> HTMLResponse:
    try:
        page = await public.draw(api_of(request), draw_id)
    except ApiError as exc:
        if exc.status != 404:
            raise
        return render(request, "public/missing.html", status_code=404, error=exc.reason)
    return render(request, "public/draw.html", **page)
