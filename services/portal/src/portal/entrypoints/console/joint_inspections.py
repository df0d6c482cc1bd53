"""Console pages: a neighbour's joint inspections with this bureau's inspectors on the team
(联合检查（相邻区抽取）, issue 10, ADR 0010), and each inspector's yearly load across districts
(执法人员检查任务量).

The drawing district keeps the record form. Its inspectors act here, at their own bureau, on
the state it last sent: the leader records (the same form as an own inspection's) and submits,
every member signs. The inspections API answers 202: the act leaves for the drawing district,
and takes effect when it records it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError
from portal.domain import inspections as form
from portal.entrypoints.console.inspections import VOCABULARY, fields_of
from portal.entrypoints.web import CheckedForm, Session, SignedIn, refused, render, see_other
from portal.service_layer import joint_inspections as svc

router = APIRouter(prefix="/console", include_in_schema=False)

LIST = "console/joint_inspections.html"
DETAIL = "console/joint_inspection.html"
WORKLOAD = "console/workload.html"
UNAVAILABLE = "console/inspections_refused.html"


def _page(inspection_id: str) -> str:
    return f"/console/joint-inspections/{inspection_id}"


def _unavailable(request: Request, session: Session, error: ApiError, back: str) -> HTMLResponse:
    """The service's reason for not showing this person the page (a role that reads none)."""
    return refused(request, UNAVAILABLE, error, session=session, heading="无法查看", back=back)


@router.get("/joint-inspections", response_class=HTMLResponse)
async def listing(request: Request, session: SignedIn, offset: int = 0) -> HTMLResponse:
    me = session.me
    try:
        page = await svc.listing(session.api, me.district, me.inspector_id, max(offset, 0))
    except ApiError as exc:
        return _unavailable(request, session, exc, "/console")
    base = "/console/joint-inspections?"
    return render(request, LIST, session=session, base=base, **page)


async def _detail(
    request: Request,
    session: Session,
    inspection_id: str,
    error: ApiError | None = None,
    **context: Any,
) -> HTMLResponse:
    me = session.me
    page = await svc.detail(session.api, inspection_id, me.district, me.inspector_id)
    page |= {"session": session, **VOCABULARY, **context}
    if error is None:
        return render(request, DETAIL, **page)
    return refused(request, DETAIL, error, fields=fields_of(error), **page)


@router.get("/joint-inspections/{inspection_id}", response_class=HTMLResponse)
async def detail(request: Request, session: SignedIn, inspection_id: str) -> HTMLResponse:
    try:
        return await _detail(request, session, inspection_id)
    except ApiError as exc:
        return _unavailable(request, session, exc, "/console/joint-inspections")


def _sent(done: str, drawing_district: str) -> str:
    return f"{done}，待 {drawing_district} 记录后生效（以抽取区的检查记录为准）"


@router.post("/joint-inspections/{inspection_id}/results", dependencies=[CheckedForm])
async def save_results(request: Request, session: SignedIn, inspection_id: str) -> Response:
    sent = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    found = await session.api.get(svc.url(inspection_id))
    rows = form.rows_of(found["check_items"])
    try:
        await session.api.put(f"{svc.url(inspection_id)}/results", form.results_body(sent, rows))
    except ApiError as exc:
        values = form.form_values(rows, [], sent)
        return await _detail(
            request, session, inspection_id, exc, values=values, sent=sent, where="results"
        )
    done = _sent("检查结果已在本局录入", found["drawing_district"])
    return see_other(_page(inspection_id), done)


async def _act(
    request: Request, session: Session, inspection_id: str, act: str, body: Any, done: str
) -> Response:
    """Forward one act; a refusal is shown beside the act's form."""
    try:
        answer = await session.api.post(f"{svc.url(inspection_id)}/{act}", body)
    except ApiError as exc:
        return await _detail(request, session, inspection_id, exc, where=act)
    return see_other(_page(inspection_id), _sent(done, answer["drawing_district"]))


@router.post("/joint-inspections/{inspection_id}/sign", dependencies=[CheckedForm])
async def sign(request: Request, session: SignedIn, inspection_id: str) -> Response:
    return await _act(request, session, inspection_id, "sign", None, "您已在本局签名确认")


@router.post("/joint-inspections/{inspection_id}/submit", dependencies=[CheckedForm])
async def submit(
    request: Request,
    session: SignedIn,
    inspection_id: str,
    completed_on: Annotated[str, Form()] = "",
) -> Response:
    body = {"completed_on": completed_on} if completed_on else {}
    return await _act(request, session, inspection_id, "submit", body, "检查记录已在本局提交")


@router.get("/workload", response_class=HTMLResponse)
async def workload(request: Request, session: SignedIn, year: int | None = None) -> HTMLResponse:
    """Management's view: each inspector's inspections due in the year, own and neighbours'."""
    try:
        found = await svc.workload(session.api, year)
    except ApiError as exc:  # field staff: the service says they may not read it
        return refused(request, WORKLOAD, exc, session=session, year=year, rows=None)
    return render(request, WORKLOAD, session=session, **found)
