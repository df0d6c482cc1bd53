"""Console pages: the "counted as done" report (第八条 视为完成抽查名单) — a department's list of
a period (its draft, submission, correction, versions), the credit department's consolidation
(each department's status, consolidation, versions), a report with its objects and its files
downloaded through the portal with their SHA-256. The leadership reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError
from portal.domain import not_inspected as rules
from portal.entrypoints.web import (
    CheckedForm,
    Session,
    SignedIn,
    download,
    refused,
    render,
    see_other,
)
from portal.service_layer import not_inspected as service
from portal.service_layer.inspections import today_of

router = APIRouter(prefix="/console/not-inspected-reports", include_in_schema=False)

PAGE, DETAIL = "console/not_inspected_reports.html", "console/not_inspected_report.html"
Text = Annotated[str, Form(max_length=500)]
Day = Annotated[str, Form(max_length=10)]


async def _page(
    request: Request,
    session: Session,
    period: rules.Period,
    asked: str = "",
    failed: str = "",
    error: ApiError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page of the period; after a refusal, the refused form (``failed``) as filled in
    with the service's reasons beside it."""
    view = rules.view_of(session.me.roles, session.me.department, asked)
    context: dict[str, Any] = {
        "session": session,
        "view": view,
        "period": period,
        "failed": failed,
        "form": form or {},
        "formats": rules.FORMATS,
        "mark": rules.version_mark,
    }
    try:
        found = await service.page(session.api, view, period)
    except ApiError as exc:
        return refused(request, PAGE, exc, found=None, **context)
    if error is not None:
        return refused(request, PAGE, error, found=found, **context)
    return render(request, PAGE, found=found, **context)


@router.get("", response_class=HTMLResponse)
async def reports(
    request: Request,
    session: SignedIn,
    period_start: str = "",
    period_end: str = "",
    department: str = "",
) -> HTMLResponse:
    today = await today_of(session.api)
    period = rules.period_of(period_start, period_end, today)
    return await _page(request, session, period, department.strip())


async def _submit(request: Request, session: Session, kind: str, form: dict[str, str]) -> Response:
    body = rules.report_body(form)
    period = rules.period_of(body["period_start"], body["period_end"], await today_of(session.api))
    try:
        done = await session.api.post(f"{service.BASE}/{kind}", body)
    except ApiError as exc:
        return await _page(request, session, period, failed=kind, error=exc, form=form)
    what = "汇总名单" if kind == "consolidated" else "本科室名单"
    notice = f"已报送{what}第 {done['version']} 版（{done['total']} 个检查对象）"
    return see_other(f"/console/not-inspected-reports/{done['report_id']}", notice)


async def _report_form(
    period_start: Day = "",
    period_end: Day = "",
    note: Text = "",
    replaces: Annotated[str, Form(max_length=36)] = "",
    correction_reason: Text = "",
) -> dict[str, str]:
    """A submission's form, the same for a department's list and the consolidation; a
    correction carries the version it replaces and why."""
    return {
        "period_start": period_start,
        "period_end": period_end,
        "note": note,
        "replaces": replaces,
        "correction_reason": correction_reason,
    }


ReportForm = Annotated[dict[str, str], Depends(_report_form)]


@router.post("/department", dependencies=[CheckedForm], response_model=None)
async def submit_department(request: Request, session: SignedIn, form: ReportForm) -> Response:
    return await _submit(request, session, "department", form)


@router.post("/consolidated", dependencies=[CheckedForm], response_model=None)
async def consolidate(request: Request, session: SignedIn, form: ReportForm) -> Response:
    return await _submit(request, session, "consolidated", form)


@router.get("/{report_id}", response_class=HTMLResponse)
async def report(request: Request, session: SignedIn, report_id: str) -> HTMLResponse:
    found = await service.report(session.api, report_id)
    context: dict[str, Any] = {"session": session, "report": found, "formats": rules.FORMATS}
    return render(request, DETAIL, mark=rules.version_mark, **context)


@router.get("/{report_id}/file", response_model=None)
async def report_file(session: SignedIn, report_id: str, format: str = "xlsx") -> Response:
    """The file as submitted, fetched with the person's own token (the service checks its
    SHA-256 as it reads it), served as an attachment with that hash."""
    chosen = format if format in rules.FORMATS else "xlsx"
    answer = await session.api.request(
        "GET", f"{service.BASE}/{report_id}/file", params={"format": chosen}
    )
    return download(answer)
