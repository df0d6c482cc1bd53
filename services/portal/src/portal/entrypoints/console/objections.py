"""Console pages: objections (第十一条) — the entity's online objection, the credit department's
paper application with its scan, the list with the three clocks, the review (维持 / 更正), the
credit department's request to the city bureau to correct a confirmed error (its reply is
recorded on the request's page, ``corrections``), the feedback to the entity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError
from portal.domain import corrections
from portal.domain import inspections as results
from portal.domain import objections as rules
from portal.entrypoints.web import CheckedForm, Session, SignedIn, refused, render, see_other
from portal.service_layer import objections as service

router = APIRouter(prefix="/console", include_in_schema=False)

REVIEWERS = ("supervising_dept", "credit_dept")
FORM_CONTEXT = {
    "categories": results.CATEGORIES,
    "pending_category": results.PENDING,
    "pending_reasons": results.PENDING_REASONS,
}


def _base(objection_id: str) -> str:
    return f"/api/objections/objections/{objection_id}"


@router.get("/objections", response_class=HTMLResponse)
async def objections(
    request: Request, session: SignedIn, status: str = "", overdue: bool = False, offset: int = 0
) -> HTMLResponse:
    if not session.me.has("credit_dept", "supervising_dept", "general_office", "deputy_director"):
        return render(request, "console/objections.html", session=session, page=None)
    try:
        page = await service.listing(session.api, status, overdue, max(offset, 0))
    except ApiError as exc:
        return refused(request, "console/objections.html", exc, session=session, page=None)
    return render(
        request,
        "console/objections.html",
        session=session,
        page=page,
        status=status,
        overdue=overdue,
        offset=offset,
    )


async def _new_page(
    request: Request, session: Session, record_id: str, error: ApiError | None = None, **form: Any
) -> HTMLResponse:
    found = await service.record(session.api, record_id) if record_id else None
    context: dict[str, Any] = {
        "session": session,
        "record": found,
        "results": service.current_results(found),
        "record_id": record_id,
        "form": form,
    }
    if error is not None:
        return refused(request, "console/objections_new.html", error, **context)
    return render(request, "console/objections_new.html", **context)


@router.get("/objections/new", response_class=HTMLResponse)
async def new_objection(request: Request, session: SignedIn, record_id: str = "") -> HTMLResponse:
    return await _new_page(request, session, record_id)


@router.post("/objections/new", dependencies=[CheckedForm], response_model=None)
async def file_objection(
    request: Request,
    session: SignedIn,
    record_id: Annotated[str, Form(max_length=36)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    body = {"record_id": record_id, "uscc": session.me.uscc, "reason": reason}
    try:
        filed = await session.api.post("/api/objections/objections", body)
    except ApiError as exc:
        return await _new_page(request, session, record_id, exc, reason=reason)
    return see_other(f"/console/objections/{filed['objection_id']}", "异议已提交，等待复查")


@router.post("/objections/paper", dependencies=[CheckedForm], response_model=None)
async def file_paper(
    request: Request,
    session: SignedIn,
    record_id: Annotated[str, Form(max_length=36)] = "",
    uscc: Annotated[str, Form(max_length=18)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    received_on: Annotated[str, Form(max_length=10)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    fields = {"uscc": uscc.strip().upper(), "reason": reason}
    if received_on:
        fields["received_on"] = received_on
    scan = (file.filename or "scan", await file.read(), file.content_type) if file else None
    try:
        filed = await session.api.post(
            "/api/objections/objections/paper",
            data={"record_id": record_id, **fields},
            files={"file": scan} if scan else {},
        )
    except ApiError as exc:  # the form again, as filled in (record_id is the page's own)
        return await _new_page(request, session, record_id, exc, **fields)
    return see_other(f"/console/objections/{filed['objection_id']}", "书面异议申请已登记")


async def _detail_page(
    request: Request,
    session: Session,
    objection_id: str,
    error: ApiError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    found = await service.detail(session.api, objection_id)
    context: dict[str, Any] = {
        "session": session,
        "reviewer": session.me.has(*REVIEWERS),
        "form": form or {},
        **FORM_CONTEXT,
    }
    if error is not None:
        return refused(request, "console/objection.html", error, **found, **context)
    return render(request, "console/objection.html", **found, **context)


@router.get("/objections/{objection_id}", response_class=HTMLResponse)
async def objection(request: Request, session: SignedIn, objection_id: str) -> HTMLResponse:
    try:
        return await _detail_page(request, session, objection_id)
    except ApiError as exc:
        return refused(request, "console/objections.html", exc, session=session, page=None)


@router.post("/objections/{objection_id}/decision", dependencies=[CheckedForm], response_model=None)
async def decide(request: Request, session: SignedIn, objection_id: str) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    body: dict[str, Any] = {"decision": form.get("decision", ""), "reason": form.get("reason", "")}
    if form.get("decided_on"):
        body["decided_on"] = form["decided_on"]
    if body["decision"] == "corrected":
        found = await service.detail(session.api, objection_id)
        body["corrected_results"] = rules.corrected_results(found["results"], form)
    return await _act(request, session, objection_id, "decision", body, "复查结果已登记", form)


@router.post(
    "/objections/{objection_id}/correction", dependencies=[CheckedForm], response_model=None
)
async def request_correction(
    request: Request,
    session: SignedIn,
    objection_id: str,
    request_no: Annotated[str, Form(max_length=100)] = "",
    requested_on: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """第九条: the credit department requests of the city bureau the correction the review
    confirmed; the city's reply is recorded on the request's page."""
    sent = {"request_no": request_no, "requested_on": requested_on, "note": note}
    notice = "已向市局报请更正，待市局批复"
    body = corrections.request_body(sent)
    return await _act(request, session, objection_id, "correction", body, notice, sent)


@router.post("/objections/{objection_id}/feedback", dependencies=[CheckedForm], response_model=None)
async def feedback(
    request: Request,
    session: SignedIn,
    objection_id: str,
    note: Annotated[str, Form(max_length=2000)] = "",
    given_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    body = {"note": note, **({"given_on": given_on} if given_on else {})}
    return await _act(request, session, objection_id, "feedback", body, "已登记反馈检查对象", body)


async def _act(
    request: Request,
    session: Session,
    objection_id: str,
    step: str,
    body: dict[str, Any],
    notice: str,
    form: dict[str, str],
) -> Response:
    try:
        await session.api.post(f"{_base(objection_id)}/{step}", body)
    except ApiError as exc:
        return await _detail_page(request, session, objection_id, exc, {"step": step, **form})
    return see_other(f"/console/objections/{objection_id}", notice)


@router.get("/objections/{objection_id}/scan", response_model=None)
async def scan(request: Request, session: SignedIn, objection_id: str) -> Response:
    """The paper application's scan, fetched with the person's own token (the service checks
    its SHA-256 as it reads it)."""
    try:
        answer = await session.api.request("GET", f"{_base(objection_id)}/scan")
    except ApiError as exc:
        return refused(request, "console/objections.html", exc, session=session, page=None)
    headers = {
        k: v
        for k, v in answer.headers.items()
        if k.lower() in ("content-disposition", "x-content-sha256", "digest")
    }
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={**headers, "X-Content-Type-Options": "nosniff"},
    )
