"""Console pages: inspections at the site (the record form on a phone: results, a product's
samples, photos and documents, signatures, submission), visits (进一次门、查多项事), and the
follow-up register (第十条)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError
from portal.domain import inspections as form
from portal.entrypoints.web import CheckedForm, Session, SignedIn, refused, render, see_other
from portal.service_layer import inspections

router = APIRouter(prefix="/console", include_in_schema=False)

RECORD = "console/inspections_record.html"
VISIT = "console/inspections_visit.html"
FOLLOW_UP = "console/inspections_follow_up.html"
# Each template sees the form's vocabularies.
VOCABULARY: dict[str, Any] = {
    "categories": form.CATEGORIES,
    "pending": form.PENDING,
    "pending_reasons": form.PENDING_REASONS,
    "not_inspected": form.NOT_INSPECTED,
    "kinds": form.ATTACHMENT_KINDS,
    "actions": form.FOLLOW_UP_ACTIONS,
    "team_roles": form.TEAM_ROLES,
    "history_labels": form.HISTORY,
}


def fields_of(error: ApiError) -> dict[str, str]:
    """The service's reasons by full field path (``results[1].pending_reason``): each row of
    the form shows its own."""
    return {e.field: e.reason for e in error.errors}


def _back(inspection_id: str, notice: str, anchor: str) -> Response:
    """To the record form with the notice, scrolled to the section just used."""
    response = see_other(f"/console/inspections/{inspection_id}", notice)
    response.headers["location"] += f"#{anchor}"
    return response


def _text(data: Any) -> dict[str, str]:
    return {k: v for k, v in data.items() if isinstance(v, str)}


@router.get("/inspections", response_class=HTMLResponse)
async def listing(
    request: Request,
    session: SignedIn,
    task_id: str = "",
    status: str = "",
    uscc: str = "",
    not_inspected: bool = False,
    offset: int = 0,
) -> HTMLResponse:
    filters = {"task_id": task_id, "status": status, "uscc": uscc.strip().upper()}
    filters["not_inspected"] = "1" if not_inspected else ""
    try:
        page = await inspections.listing(session.api, filters, max(offset, 0))
    except ApiError as exc:  # a role that keeps no inspections (the inspected entity)
        return _unavailable(request, session, exc, "/console")
    query = "&".join(f"{k}={quote(v)}" for k, v in filters.items() if v)
    return render(
        request,
        "console/inspections.html",
        session=session,
        filters=filters,
        statuses=inspections.STATUSES,
        base=f"/console/inspections?{query}&" if query else "/console/inspections?",
        **page,
    )


async def _record_page(
    request: Request,
    session: Session,
    inspection_id: str,
    error: ApiError | None = None,
    **context: Any,
) -> HTMLResponse:
    page = await inspections.record(session.api, inspection_id, session.me.inspector_id)
    page |= {"session": session, **VOCABULARY, **context}
    if error is None:
        return render(request, RECORD, **page)
    return refused(request, RECORD, error, fields=fields_of(error), **page)


def _unavailable(request: Request, session: Session, error: ApiError, back: str) -> HTMLResponse:
    """A page the service will not show this person (not on the team, not found): its reason."""
    return refused(
        request,
        "console/inspections_refused.html",
        error,
        session=session,
        heading="无法查看",
        back=back,
    )


@router.get("/inspections/{inspection_id}", response_class=HTMLResponse)
async def record(request: Request, session: SignedIn, inspection_id: str) -> HTMLResponse:
    try:
        return await _record_page(request, session, inspection_id)
    except ApiError as exc:
        return _unavailable(request, session, exc, "/console/inspections")


@router.post("/inspections/{inspection_id}/results", dependencies=[CheckedForm])
async def save_results(request: Request, session: SignedIn, inspection_id: str) -> Response:
    sent = _text(await request.form())
    base = f"/api/inspections/inspections/{inspection_id}"
    found = await session.api.get(base)
    rows = form.rows_of(found["check_items"])
    try:
        await session.api.put(f"{base}/results", form.results_body(sent, rows))
    except ApiError as exc:
        values = form.form_values(rows, [], sent)
        return await _record_page(
            request, session, inspection_id, exc, values=values, sent=sent, where="results"
        )
    return see_other(
        f"/console/inspections/{inspection_id}", "检查结果已保存，请检查组成员逐一签名确认"
    )


@router.post("/inspections/{inspection_id}/samples", dependencies=[CheckedForm])
async def save_samples(request: Request, session: SignedIn, inspection_id: str) -> Response:
    """A product's samples (抽样): the whole list, as the leader left the form's rows."""
    body = form.samples_body(_text(await request.form()))
    try:
        await session.api.put(f"/api/inspections/inspections/{inspection_id}/samples", body)
    except ApiError as exc:
        rows = form.sample_rows(body["samples"])
        return await _record_page(
            request, session, inspection_id, exc, where="samples", sample_rows=rows
        )
    return _back(inspection_id, "抽样登记已保存", "samples")


@router.post("/inspections/{inspection_id}/attachments", dependencies=[CheckedForm])
async def upload(
    request: Request,
    session: SignedIn,
    inspection_id: str,
    file: Annotated[UploadFile | None, File()] = None,
    kind: Annotated[str, Form()] = "photo",
) -> Response:
    content = await file.read() if file is not None else b""
    if file is None or not file.filename or not content:
        missing = ApiError(422, "请选择要上传的照片或文件", [])
        return await _record_page(
            request, session, inspection_id, missing, where="upload", upload_error=missing.reason
        )
    try:
        added = await session.api.post(
            f"/api/inspections/inspections/{inspection_id}/attachments",
            files={
                "file": (file.filename, content, file.content_type or "application/octet-stream")
            },
            data={"kind": kind},
        )
    except ApiError as exc:
        return await _record_page(
            request, session, inspection_id, exc, where="upload", upload_error=exc.reason
        )
    notice = f"已上传「{added['filename']}」，SHA-256 {added['sha256'][:16]}…"
    return _back(inspection_id, notice, "attachments")


@router.get("/inspections/{inspection_id}/attachments/{attachment_id}")
async def download(session: SignedIn, inspection_id: str, attachment_id: str) -> Response:
    """The attachment as the service gives it (it checks the SHA-256 before answering)."""
    path = f"/api/inspections/inspections/{inspection_id}/attachments/{attachment_id}"
    answer = await session.api.request("GET", path)
    headers = {"Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff"}
    if "content-disposition" in answer.headers:
        headers["Content-Disposition"] = answer.headers["content-disposition"]
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)


@router.post("/inspections/{inspection_id}/sign", dependencies=[CheckedForm])
async def sign(request: Request, session: SignedIn, inspection_id: str) -> Response:
    try:
        await session.api.post(f"/api/inspections/inspections/{inspection_id}/sign")
    except ApiError as exc:
        return await _record_page(request, session, inspection_id, exc, where="sign")
    return _back(inspection_id, "您已签名确认检查结果", "signatures")


@router.post("/inspections/{inspection_id}/submit", dependencies=[CheckedForm])
async def submit(
    request: Request,
    session: SignedIn,
    inspection_id: str,
    completed_on: Annotated[str, Form()] = "",
) -> Response:
    body = {"completed_on": completed_on} if completed_on else {}
    try:
        await session.api.post(f"/api/inspections/inspections/{inspection_id}/submit", body)
    except ApiError as exc:
        return await _record_page(request, session, inspection_id, exc, where="submit")
    return see_other(f"/console/inspections/{inspection_id}", "检查记录已提交，检查结果将依法公示")


async def _visit_page(
    request: Request, session: Session, visit_id: str, error: ApiError | None = None, **context: Any
) -> HTMLResponse:
    page = await inspections.visit(session.api, visit_id, session.me.inspector_id)
    page |= {"session": session, **VOCABULARY, **context}
    if error is None:
        return render(request, VISIT, **page)
    return refused(request, VISIT, error, fields=fields_of(error), **page)


@router.get("/visits/{visit_id}", response_class=HTMLResponse)
async def visit(request: Request, session: SignedIn, visit_id: str) -> HTMLResponse:
    try:
        return await _visit_page(request, session, visit_id)
    except ApiError as exc:
        return _unavailable(request, session, exc, "/console/inspections")


@router.post("/visits/{visit_id}/results", dependencies=[CheckedForm])
async def save_visit(request: Request, session: SignedIn, visit_id: str) -> Response:
    sent = _text(await request.form())
    path = f"/api/inspections/visits/{visit_id}"
    rows = form.rows_of((await session.api.get(path))["check_items"])
    body = form.results_body(sent, rows)
    body.pop("withhold", None)  # a visit's form takes no withholding: each task's form does
    try:
        await session.api.put(f"{path}/results", body)
    except ApiError as exc:
        values = form.form_values(rows, [], sent)
        return await _visit_page(request, session, visit_id, exc, values=values, sent=sent)
    return see_other(f"/console/visits/{visit_id}", "本次检查各任务的结果已保存，请各检查组签名")


@router.get("/follow-ups", response_class=HTMLResponse)
async def follow_ups(
    request: Request,
    session: SignedIn,
    status: str = "",
    task_id: str = "",
    uscc: str = "",
    overdue: bool = False,
) -> HTMLResponse:
    filters = {"status": status, "task_id": task_id, "uscc": uscc.strip().upper()}
    filters["overdue"] = "1" if overdue else ""
    try:
        register = await inspections.follow_ups(session.api, filters)
    except ApiError as exc:  # field staff keep no register (第十条: the departments do)
        return _unavailable(request, session, exc, "/console/inspections")
    return render(
        request,
        "console/inspections_follow_ups.html",
        session=session,
        filters=filters,
        **VOCABULARY,
        **register,
    )


async def _follow_up_page(
    request: Request,
    session: Session,
    follow_up_id: str,
    error: ApiError | None = None,
    **context: Any,
) -> HTMLResponse:
    page = await inspections.follow_up(session.api, follow_up_id)
    page |= {"session": session, **VOCABULARY, **context}
    if error is None:
        return render(request, FOLLOW_UP, **page)
    return refused(request, FOLLOW_UP, error, **page)


@router.get("/follow-ups/{follow_up_id}", response_class=HTMLResponse)
async def follow_up(request: Request, session: SignedIn, follow_up_id: str) -> HTMLResponse:
    try:
        return await _follow_up_page(request, session, follow_up_id)
    except ApiError as exc:
        return _unavailable(request, session, exc, "/console/follow-ups")


@router.post("/follow-ups/{follow_up_id}/outcomes", dependencies=[CheckedForm])
async def record_outcome(request: Request, session: SignedIn, follow_up_id: str) -> Response:
    sent = _text(await request.form())
    try:
        await session.api.post(
            f"/api/inspections/follow-ups/{follow_up_id}/outcomes", form.outcome_body(sent)
        )
    except ApiError as exc:
        return await _follow_up_page(request, session, follow_up_id, exc, sent=sent)
    label = form.FOLLOW_UP_ACTIONS.get(sent.get("action", ""), "")
    return see_other(f"/console/follow-ups/{follow_up_id}", f"已记录后续处理结果：{label}")
