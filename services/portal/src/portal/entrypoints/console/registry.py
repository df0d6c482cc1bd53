"""Console pages: the registries (名录库) the credit department keeps — imports of entities,
products, projects, conducts (第一条), inspectors and experts with their job pages and error
reports, the item list (抽查事项清单) and its versions, the registers, and conflicts of
interest (回避)."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError, FieldError
from portal.domain import registry as rules
from portal.entrypoints.web import CheckedForm, SignedIn, render, see_other
from portal.service_layer import registry
from spotcheck_common.objects import FIELD_LABELS
from spotcheck_common.objects import LABELS as OBJECT_KINDS

router = APIRouter(prefix="/console/registry", include_in_schema=False)

Kind = Annotated[str, Form()]
Text = Annotated[str, Form(max_length=2000)]


def _known(kind: str, kinds: tuple[str, ...] | list[str] = tuple(rules.KINDS)) -> str:
    if kind not in kinds:
        raise HTTPException(404, "没有这类名录")
    return kind


def _no_file() -> ApiError:
    return ApiError(422, "请选择要导入的文件", [FieldError("file", "请选择 CSV 或 .xlsx 文件")])


async def _home(session: SignedIn, **context: object) -> dict[str, Any]:
    return {
        "session": session,
        "kinds": rules.KINDS,
        "registers": rules.REGISTERS,
        "formats": rules.FORMATS,
        "imports": await registry.recent_imports(session.api),
        **context,
    }


@router.get("", response_class=HTMLResponse)
async def home(request: Request, session: SignedIn) -> HTMLResponse:
    return render(request, "console/registry/home.html", **await _home(session))


@router.post("/imports", dependencies=[CheckedForm])
async def start_import(
    request: Request,
    session: SignedIn,
    kind: Kind,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    _known(kind, rules.REGISTERS)
    try:
        if file is None or not file.filename:
            raise _no_file()
        job = await registry.upload(session.api, kind, file)
    except ApiError as exc:
        context = await _home(session, chosen=kind)
        return _refused(request, "console/registry/home.html", exc, context)
    # No notice: the job page says how far the import has got (and reloads while it runs).
    return see_other(f"/console/registry/imports/{job['import_id']}")


def _refused(
    request: Request, template: str, exc: ApiError, context: dict[str, object]
) -> HTMLResponse:
    """The form again; a refusal of the file itself shows beside the file input."""
    errors = exc.field_reasons() or {"file": exc.reason}
    status = exc.status if 400 <= exc.status < 500 else 502
    return render(request, template, status_code=status, error=exc.reason, errors=errors, **context)


@router.get("/imports/{import_id}", response_class=HTMLResponse)
async def import_job(request: Request, session: SignedIn, import_id: str) -> HTMLResponse:
    job = await registry.job(session.api, import_id)
    return render(
        request,
        "console/registry/job.html",
        session=session,
        job=job,
        kinds=rules.KINDS,
        running=rules.is_running(job),
        percent=rules.percent_done(job),
    )


def _download(answer: httpx.Response, filename: str, media: str) -> Response:
    """The service's file as an attachment of this site (the person's token stays here)."""
    disposition = answer.headers.get("content-disposition", f'attachment; filename="{filename}"')
    return Response(
        answer.content,
        media_type=media,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


@router.get("/imports/{import_id}/errors.csv")
async def import_errors(session: SignedIn, import_id: str) -> Response:
    answer = await registry.errors_csv(session.api, import_id)
    return _download(answer, f"import-{import_id}-errors.csv", "text/csv; charset=utf-8")


@router.get("/templates/{kind}.{fmt}")
async def template(session: SignedIn, kind: str, fmt: str) -> Response:
    _known(kind)
    if fmt not in rules.FORMATS:
        raise HTTPException(404, "没有这种格式的模板")
    answer = await registry.template(session.api, kind, fmt)
    media = rules.XLSX_TYPE if fmt == "xlsx" else "text/csv; charset=utf-8"
    return _download(answer, f"{kind}-template.{fmt}", media)


# ----------------------------------------------------------------------------- the registers


@router.get("/entities", response_class=HTMLResponse)
async def entities(
    request: Request,
    session: SignedIn,
    q: str = "",
    risk_class: str = "",
    status: str = "",
    kind: str = "",
    offset: int = 0,
) -> HTMLResponse:
    kind = kind if kind in OBJECT_KINDS else ""
    page = await registry.entities(session.api, q.strip(), risk_class, status, max(offset, 0), kind)
    return render(
        request,
        "console/registry/entities.html",
        session=session,
        page=page,
        q=q,
        risk_class=risk_class,
        status=status,
        kind=kind,
        statuses=rules.ENTITY_STATUS,
        object_kinds={k.value: label for k, label in OBJECT_KINDS.items()},
        field_labels=FIELD_LABELS,
    )


@router.get("/inspectors", response_class=HTMLResponse)
async def inspectors(
    request: Request, session: SignedIn, department: str = "", offset: int = 0
) -> HTMLResponse:
    return render(
        request,
        "console/registry/inspectors.html",
        session=session,
        page=await registry.inspectors(session.api, department, offset),
        departments=await registry.departments(session.api),
        department=department,
    )


@router.get("/experts", response_class=HTMLResponse)
async def experts(
    request: Request, session: SignedIn, field: str = "", offset: int = 0
) -> HTMLResponse:
    return render(
        request,
        "console/registry/experts.html",
        session=session,
        page=await registry.experts(session.api, field.strip(), offset),
        field=field,
    )


# ----------------------------------------------------------------------------- the item list


async def _items_context(session: SignedIn, version: int | None) -> dict[str, Any]:
    return {
        "session": session,
        "shown": await registry.item_list(session.api, version),
        "versions": await registry.item_list_versions(session.api),
    }


@router.get("/items", response_class=HTMLResponse)
async def items(request: Request, session: SignedIn, version: int | None = None) -> HTMLResponse:
    return render(request, "console/registry/items.html", **await _items_context(session, version))


@router.post("/items/import", dependencies=[CheckedForm])
async def import_items(
    request: Request,
    session: SignedIn,
    reason: Text = "",
    effective_from: Annotated[str, Form(max_length=10)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    params = {"reason": reason.strip(), "effective_from": effective_from}
    try:
        if file is None or not file.filename:
            raise _no_file()
        job = await registry.upload(
            session.api, "check-items", file, {k: v for k, v in params.items() if v}
        )
    except ApiError as exc:
        context = {**await _items_context(session, None), "form": params}
        return _refused(request, "console/registry/items.html", exc, context)
    # No notice: the job page says how far the import has got (and reloads while it runs).
    return see_other(f"/console/registry/imports/{job['import_id']}")


# ------------------------------------------------------------------------------- conflicts

PAIR_FIELDS = {"inspector_ids": "first", "reason": "pair_reason"}


@router.get("/conflicts", response_class=HTMLResponse)
async def conflicts(request: Request, session: SignedIn) -> HTMLResponse:
    return render(request, "console/registry/conflicts.html", session=session, form={})


@router.post("/conflicts", dependencies=[CheckedForm])
async def declare_conflict(
    request: Request,
    session: SignedIn,
    inspector_id: Text = "",
    uscc: Text = "",
    reason: Text = "",
) -> Response:
    form = {"inspector_id": inspector_id.strip(), "uscc": uscc.strip(), "reason": reason.strip()}
    try:
        created = await registry.declare_conflict(session.api, **form)
    except ApiError as exc:
        return _conflict_refused(request, session, exc, form, {})
    notice = "已登记回避" if created else "此前已登记过，未重复登记"
    return see_other("/console/registry/conflicts", notice)


@router.post("/inspector-conflicts", dependencies=[CheckedForm])
async def declare_pair_conflict(
    request: Request,
    session: SignedIn,
    first: Text = "",
    second: Text = "",
    pair_reason: Text = "",
) -> Response:
    form = {"first": first.strip(), "second": second.strip(), "pair_reason": pair_reason.strip()}
    try:
        created = await registry.declare_pair_conflict(
            session.api, form["first"], form["second"], form["pair_reason"]
        )
    except ApiError as exc:
        renamed = ApiError(
            exc.status,
            exc.reason,
            [
                FieldError(PAIR_FIELDS.get(e.field.split("[")[0], e.field), e.reason)
                for e in exc.errors
            ]
            or [FieldError("first", exc.reason)],
        )
        return _conflict_refused(request, session, renamed, {}, form)
    notice = "已登记两人不得同组" if created else "此前已登记过，未重复登记"
    return see_other("/console/registry/conflicts", notice)


def _conflict_refused(
    request: Request,
    session: SignedIn,
    exc: ApiError,
    form: dict[str, str],
    pair: dict[str, str],
) -> HTMLResponse:
    errors = exc.field_reasons()
    if not errors and form:
        # 404 (no such inspector or entity) names no field: the reason goes beside the first.
        errors = {"inspector_id": exc.reason}
    status = exc.status if 400 <= exc.status < 500 else 502
    return render(
        request,
        "console/registry/conflicts.html",
        status_code=status,
        error=exc.reason,
        errors=errors,
        session=session,
        form=form,
        pair=pair,
    )
