"""Console pages: task dossiers (档案, 第十二条) — the list, a dossier's contents by category
with every entry's hash, the hash chain verified, the export, an attachment checked against
its archived SHA-256."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError
from portal.entrypoints.web import CheckedForm, Session, SignedIn, refused, render
from portal.service_layer import dossiers as service

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/dossiers", response_class=HTMLResponse)
async def dossiers(request: Request, session: SignedIn, offset: int = 0) -> HTMLResponse:
    try:
        page = await service.listing(session.api, max(offset, 0))
    except ApiError as exc:
        return refused(request, "console/dossiers.html", exc, session=session, page=None)
    return render(request, "console/dossiers.html", session=session, page=page, offset=offset)


async def _dossier_page(
    request: Request, session: Session, task_id: str, **extra: Any
) -> HTMLResponse:
    try:
        found = await service.contents(session.api, task_id)
    except ApiError as exc:
        return refused(request, "console/dossiers.html", exc, session=session, page=None)
    return render(request, "console/dossier.html", session=session, dossier=found, **extra)


@router.get("/dossiers/{task_id}", response_class=HTMLResponse)
async def dossier(
    request: Request, session: SignedIn, task_id: str, verify: bool = False
) -> HTMLResponse:
    try:
        verification = await service.verify(session.api, task_id) if verify else None
    except ApiError as exc:
        return refused(request, "console/dossiers.html", exc, session=session, page=None)
    return await _dossier_page(request, session, task_id, verification=verification)


@router.get("/dossiers/{task_id}/export", response_model=None)
async def export(request: Request, session: SignedIn, task_id: str) -> Response:
    """The API's export file, fetched with the person's own token, as a download."""
    try:
        answer = await session.api.request("GET", f"/api/archives/dossiers/{task_id}/export")
    except ApiError as exc:
        return refused(request, "console/dossiers.html", exc, session=session, page=None)
    return Response(
        answer.content,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="dossier-{task_id}.json"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(
    "/dossiers/{task_id}/attachments/{attachment_id}/check",
    dependencies=[CheckedForm],
    response_class=HTMLResponse,
)
async def check_attachment(
    request: Request,
    session: SignedIn,
    task_id: str,
    attachment_id: str,
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    content = await file.read() if file else b""
    try:
        checked = await service.check_attachment(session.api, task_id, attachment_id, content)
    except ApiError as exc:
        return await _dossier_page(
            request, session, task_id, error=exc.reason, check_of=attachment_id
        )
    return await _dossier_page(request, session, task_id, checked=checked)
