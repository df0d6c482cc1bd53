"""Console pages: corrections requested of the city bureau (第九条) — the list, a request with
the form to record the city's reply (its document number and date, the reason of a refusal,
a scan of the document), and the scan's download. Requests are made from an objection's page
(an error its review confirmed) or a published result's page (an error the bureau found)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError
from portal.domain import corrections as rules
from portal.entrypoints.web import CheckedForm, Session, SignedIn, refused, render, see_other
from portal.service_layer import corrections as service

router = APIRouter(prefix="/console", include_in_schema=False)

LIST, DETAIL = "console/corrections.html", "console/correction.html"


def _base(request_id: str) -> str:
    return f"{service.BASE}/{request_id}"


@router.get("/corrections", response_class=HTMLResponse)
async def corrections(
    request: Request, session: SignedIn, status: str = "", offset: int = 0
) -> HTMLResponse:
    status = status if status in rules.STATUSES else ""
    context: dict[str, Any] = {"session": session, "status": status, "statuses": rules.STATUSES}
    try:
        page = await service.listing(session.api, status, max(offset, 0))
    except ApiError as exc:
        return refused(request, LIST, exc, page=None, offset=0, **context)
    return render(request, LIST, page=page, offset=offset, **context)


async def _detail_page(
    request: Request,
    session: Session,
    request_id: str,
    error: ApiError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    found = await service.detail(session.api, request_id)
    context = {"session": session, "form": form or {}, "decisions": rules.DECISIONS, **found}
    if error is not None:
        return refused(request, DETAIL, error, **context)
    return render(request, DETAIL, **context)


@router.get("/corrections/{request_id}", response_class=HTMLResponse)
async def correction(request: Request, session: SignedIn, request_id: str) -> HTMLResponse:
    return await _detail_page(request, session, request_id)


@router.post("/corrections/{request_id}/reply", dependencies=[CheckedForm], response_model=None)
async def reply(
    request: Request,
    session: SignedIn,
    request_id: str,
    decision: Annotated[str, Form(max_length=20)] = "",
    reply_no: Annotated[str, Form(max_length=100)] = "",
    replied_on: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The city's reply: with a scan, the service's multipart form (the scan is recognised
    by its content there); without one, JSON (an empty multipart would be sent urlencoded,
    which the service does not read)."""
    sent = {"decision": decision, "reply_no": reply_no, "replied_on": replied_on, "reason": reason}
    fields = rules.reply_fields(sent)
    scan = await file.read() if file and file.filename else b""
    path = f"{_base(request_id)}/reply"
    try:
        if file and scan:
            upload = {"file": (file.filename, scan, file.content_type)}
            await session.api.post(path, data=fields, files=upload)
        else:
            await session.api.post(path, fields)
    except ApiError as exc:
        return await _detail_page(request, session, request_id, exc, sent)
    notice = rules.DECISIONS.get(decision, "")
    return see_other(f"/console/corrections/{request_id}", f"已登记市局批复：{notice}")


@router.get("/corrections/{request_id}/document", response_model=None)
async def document(request: Request, session: SignedIn, request_id: str) -> Response:
    """The city's document, fetched with the person's own token (the service checks its
    SHA-256 as it reads it), served as an attachment."""
    answer = await session.api.request("GET", f"{_base(request_id)}/document")
    kept = ("content-disposition", "x-content-sha256")
    headers = {k: v for k, v in answer.headers.items() if k.lower() in kept}
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={**headers, "X-Content-Type-Options": "nosniff"},
    )
