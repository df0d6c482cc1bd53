"""Console pages: publication (第九条) for the credit department: results published late,
results withheld by law, the export for the national publicity system, and the request to the
city bureau to correct an error the bureau found in a published result (the city's reply is
recorded on the request's page, ``corrections``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError
from portal.domain import corrections as requests
from portal.domain import inspections as form
from portal.domain import publication as rules
from portal.entrypoints.web import CheckedForm, Session, SignedIn, refused, render, see_other
from portal.service_layer import publication

router = APIRouter(prefix="/console", include_in_schema=False)

RECORD = "console/publication_record.html"


@router.get("/publication", response_class=HTMLResponse)
async def overview(
    request: Request,
    session: SignedIn,
    q: str = "",
    uscc: str = "",
    task_no: str = "",
    department: str = "",
    offset: int = 0,
) -> HTMLResponse:
    filters = {"q": q.strip(), "uscc": uscc.strip().upper(), "task_no": task_no.strip()}
    filters["department"] = department.strip()
    page = await publication.overview(session.api, filters, max(offset, 0))
    query = "&".join(f"{k}={quote(v)}" for k, v in filters.items() if v)
    return render(
        request,
        "console/publication.html",
        session=session,
        filters=filters,
        formats=rules.EXPORT_FORMATS,
        base=f"/console/publication?{query}&",
        **page,
    )


@router.get("/publication/export")
async def export(
    request: Request,
    session: SignedIn,
    format: str = "csv",
    task_no: str = "",
    date_from: str = "",
    date_to: str = "",
) -> Response:
    """The service's export as a download, fetched with the person's own token (the service
    lets only the credit department export)."""
    params = {"format": format, "task_no": task_no, "from": date_from, "to": date_to}
    try:
        answer = await session.api.request(
            "GET", "/api/publication/export", params={k: v for k, v in params.items() if v}
        )
    except ApiError as exc:
        page = await publication.overview(session.api, {}, 0)
        return refused(
            request,
            "console/publication.html",
            exc,
            session=session,
            filters={},
            formats=rules.EXPORT_FORMATS,
            base="/console/publication?",
            export_error=exc.reason,
            **page,
        )
    disposition = answer.headers.get(
        "content-disposition", f'attachment; filename="export.{format}"'
    )
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


def _rows(current: list[dict[str, Any]]) -> list[form.Row]:
    return form.rows_of(
        {"code": r["check_item_code"], "name": r["check_item_name"]} for r in current
    )


async def _record_page(
    request: Request,
    session: Session,
    record_id: str,
    error: ApiError | None = None,
    **context: Any,
) -> HTMLResponse:
    page = await publication.record(session.api, record_id)
    sent_rows = context.pop("sent_rows", [])
    values = context.pop("values", None) or form.form_values(
        _rows(page["current"]), page["current"]
    )
    page |= {
        "session": session,
        "values": values,
        "rows_for_form": _rows(page["current"]),
        "categories": form.CATEGORIES,
        "pending": form.PENDING,
        "pending_reasons": form.PENDING_REASONS,
        **context,
    }
    if error is None:
        return render(request, RECORD, **page)
    fields = rules.renumbered({e.field: e.reason for e in error.errors}, sent_rows)
    return refused(request, RECORD, error, fields=fields, **page)


@router.get("/publication/records/{record_id}", response_class=HTMLResponse)
async def record(request: Request, session: SignedIn, record_id: str) -> HTMLResponse:
    try:
        return await _record_page(request, session, record_id)
    except ApiError as exc:
        return refused(
            request,
            "console/inspections_refused.html",
            exc,
            session=session,
            heading="无法查看",
            back="/console/publication",
        )


@router.post("/publication/records/{record_id}/correction-request", dependencies=[CheckedForm])
async def request_correction(request: Request, session: SignedIn, record_id: str) -> Response:
    """第九条: the bureau found an error itself; the credit department requests its
    correction of the city bureau (nothing is published until the city grants it)."""
    sent = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    current = (await publication.record(session.api, record_id))["current"]
    changes, sent_rows = rules.correction_body(sent, current)
    body = {"record_id": record_id, **changes, **requests.request_body(sent)}
    try:
        done = await session.api.post("/api/objections/corrections", body)
    except ApiError as exc:
        values = form.form_values(_rows(current), [], sent)
        return await _record_page(
            request, session, record_id, exc, values=values, sent=sent, sent_rows=sent_rows
        )
    notice = f"已向市局报请更正（{done['request_no']}），市局批复同意后发布新版本"
    return see_other(f"/console/corrections/{done['request_id']}", notice)
