"""How anyone verifies a draw: in the browser (a bundle file picked from disk) or with the
stand-alone Python verifier."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.entrypoints.web import render

router = APIRouter(include_in_schema=False)


@router.get("/verify", response_class=HTMLResponse)
async def verify(request: Request) -> HTMLResponse:
    return render(request, "public/verify.html")
