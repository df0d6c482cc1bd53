"""Registry imports over HTTP: upload (streamed to a spool file), the job, its error report,
and the templates. The job runs in this process (``entrypoints.importer``); its state is in
the database."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from registry.adapters import files, templates
from registry.bootstrap import Deps, Registry
from registry.domain.imports import FAILED, KINDS, ImportFailed, ImportRejected, column_letter
from registry.entrypoints.schemas import (
    ImportJobList,
    ImportJobOut,
    ImportJobSummary,
    ImportReportOut,
)
from registry.service_layer import imports, views
from spotcheck_common import objects
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import DomainError, Invalid
from spotcheck_common.http import refusals
from spotcheck_common.objects import ObjectKind
from spotcheck_common.roles import Role

CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
Kind = Literal[
    "entities",
    "inspectors",
    "experts",
    "check-items",
    "external-inspectors",
    "products",
    "projects",
    "conducts",
]
Encoding = Literal["utf-8", "gb18030", "gbk"]
EncodingQ = Annotated[
    Encoding | None, Query(description="CSV 的编码（默认自动识别 UTF-8 / GB18030）")
]
SheetQ = Annotated[str | None, Query(description=".xlsx 的工作表名（默认第一个）")]
PreferH = Annotated[str | None, Header(description="respond-async：立即返回 202")]

router = APIRouter(prefix="/api/registry", tags=["registry"])

_BODY = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string", "format": "binary"}},
        templates.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    },
}

_UPLOAD_ANSWERS: dict[int | str, dict[str, Any]] = {
    202: {"model": ImportJobOut, "description": "导入仍在进行：Location 指向导入任务，可查询进度"},
    **refusals(
        401,
        403,
        413,
        422,
        s403="缺少信用监管科角色",
        s413="文件超过导入大小上限",
        s422="文件有误（指明行、列和原因），任何一行都未导入",
    ),
}


def _description(kind: str, extra: str = "") -> str:
    k = KINDS[kind]
    columns = "、".join(c.label + ("" if c.header_required else "（可选）") for c in k.columns)
    return (
        f"请求体为文件本身：CSV（UTF-8，带或不带 BOM；或 GB18030/GBK，自动识别，也可用 `encoding` "
        f"指定）或 .xlsx 工作簿（读第一个工作表，或 `sheet` 指定的工作表）。\n\n"
        f"列：{columns}。表头用中文列名，也可用英文字段名（{', '.join(k.fields)}）。\n\n"
        f"模板：[{k.title}.xlsx](/api/registry/templates/{kind}.xlsx) · "
        f"[{k.title}.csv](/api/registry/templates/{kind}.csv)；说明见 docs/imports.md。\n\n"
        "任何一行有误则整个文件都不导入（422，列出前 1000 处错误的行、列和原因，以及错误总数；"
        "错误报告可从 `/api/registry/imports/{id}/errors.csv` 下载）。小文件直接返回结果（200）；"
        "大文件在设定的等待时间内未完成时返回 202 和 `Location: /api/registry/imports/{id}`，"
        "请求头 `Prefer: respond-async` 则立即返回 202。超过大小上限返回 413。" + extra
    )


def _rejected(import_id: str, exc: ImportRejected) -> Invalid:
    """422: the reason, the job, the error count, the first errors and the full report."""
    return Invalid(
        exc.reason,
        import_id=import_id,
        errors_total=exc.total,
        errors=[e.as_dict() for e in exc.errors],
        errors_csv=f"/api/registry/imports/{import_id}/errors.csv",
    )


def _answer(import_id: str, task: asyncio.Task[dict[str, Any]]) -> ImportReportOut:
    """The job's report, or the refusal it ended with (with the job's id)."""
    exc = task.exception()
    if isinstance(exc, ImportRejected):
        raise _rejected(import_id, exc)
    if isinstance(exc, DomainError):
        raise DomainError(exc.reason, **{**exc.details, "import_id": import_id})
    if exc is not None:
        raise ImportFailed(FAILED)
    return ImportReportOut.model_validate(task.result())


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


async def receive(
    deps: Registry,
    request: Request,
    principal: Principal,
    kind: str,
    filename: str,
    params: imports.ImportParams,
    prefer: str | None,
) -> ImportReportOut | JSONResponse:
    """Spool the upload, start the job, and answer with its report when it ends within the
    configured wait (200), else with the job (202)."""
    imp, limit = deps.importer, deps.settings.import_max_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise files.TooLarge(limit)
    spooled = await files.spool(_body(request), imp.spool_dir, limit)
    task = await imp.start(principal.context(), kind, spooled, filename, params)
    import_id = task.get_name().removeprefix("import:")
    wants_async = prefer is not None and "respond-async" in prefer.lower()
    if not wants_async:
        await asyncio.wait({task}, timeout=deps.settings.import_wait_s)
    if task.done() and not task.cancelled():
        return _answer(import_id, task)
    job = ImportJobOut.of_row(await views.import_job(imp.jobs, import_id))
    headers = {"Location": f"/api/registry/imports/{import_id}"}
    if wants_async:
        headers["Preference-Applied"] = "respond-async"
    return JSONResponse(job.model_dump(mode="json"), status_code=202, headers=headers)


def _object_import(kind: str, object_kind: ObjectKind) -> tuple[str, str, str]:
    """Summary and description of an import of objects without a USCC (第一条)."""
    title = objects.LABELS[object_kind]
    key = "、".join(
        label for _, label in objects.FIELDS[object_kind][: objects.KEY_FIELDS[object_kind]]
    )
    return (
        kind,
        f"导入{title}（检查对象，第一条；CSV / .xlsx，全部成功或全部不导入）",
        f"\n\n每行为一个{title}，记入主体名录，编码由系统按{key}生成（Z 开头，18 位；"
        "这些字段相同的再次导入得到同一编码，不会重复），状态为存续，"
        "以 `registry.entities-imported` 事件发送，`details` 为各字段。",
    )


def _register_import(kind: str) -> Callable[..., Awaitable[ImportReportOut | JSONResponse]]:
    """The one body of the entities, inspectors and experts imports."""

    async def import_register(
        request: Request,
        principal: CreditDept,
        deps: Deps,
        filename: Annotated[str, Query()] = "upload.csv",
        encoding: EncodingQ = None,
        sheet: SheetQ = None,
        prefer: PreferH = None,
    ) -> ImportReportOut | JSONResponse:
        params = imports.ImportParams(encoding=encoding, sheet=sheet)
        return await receive(deps, request, principal, kind, filename, params, prefer)

    return import_register


for _kind, _summary, _extra in (
    (
        "entities",
        "导入市场主体及其他有统一社会信用代码的组织（CSV / .xlsx，全部成功或全部不导入）",
        "\n\n本区登记机关以外（统一社会信用代码第 3–8 位不是本区行政区划代码）的主体被拒绝。"
        "国家机关（11）、事业单位（12）、社会组织（5x）等按同一名录导入，类别由代码识别"
        "（第一条）。",
    ),
    _object_import("products", ObjectKind.PRODUCT),
    _object_import("projects", ObjectKind.PROJECT),
    _object_import("conducts", ObjectKind.CONDUCT),
    ("inspectors", "导入执法检查人员（CSV / .xlsx，全部成功或全部不导入）", ""),
    ("experts", "导入专家库（CSV / .xlsx，全部成功或全部不导入）", ""),
    (
        "external-inspectors",
        "导入联合检查单位执法人员（第三条；CSV / .xlsx，全部成功或全部不导入）",
        "\n\n同一单位内编号唯一；单位代码不得是本区或相邻区的名称。联合检查单位人员不任组长。"
        "导入后以 `registry.external-inspectors-imported` 事件发送，编号为 `单位代码:编号`。",
    ),
):
    router.add_api_route(
        f"/{_kind}/import",
        _register_import(_kind),
        methods=["POST"],
        name=f"import_{_kind}",
        summary=_summary,
        description=_description(_kind, _extra),
        openapi_extra={"requestBody": _BODY},
        response_model=ImportReportOut,
        response_model_exclude_unset=True,
        responses=_UPLOAD_ANSWERS,
    )


@router.post(
    "/check-items/import",
    summary="导入抽查事项清单（CSV / .xlsx，每次导入为一个新版本，全部成功或全部不导入）",
    description=_description(
        "check-items", "\n\n`reason` 必填；`effective_from` 默认今天，不能早于上一版的生效日期。"
    ),
    openapi_extra={"requestBody": _BODY},
    response_model=ImportReportOut,
    response_model_exclude_unset=True,
    responses=_UPLOAD_ANSWERS,
)
async def import_check_items(
    request: Request,
    principal: CreditDept,
    deps: Deps,
    reason: Annotated[str, Query(min_length=1, description="发布或调整的理由")],
    effective_from: Annotated[date | None, Query(description="生效日期（默认今天）")] = None,
    filename: Annotated[str, Query()] = "check-items.csv",
    encoding: EncodingQ = None,
    sheet: SheetQ = None,
    prefer: PreferH = None,
) -> ImportReportOut | JSONResponse:
    params = imports.ImportParams(
        encoding=encoding, sheet=sheet, reason=reason, effective_from=effective_from
    )
    return await receive(deps, request, principal, "check-items", filename, params, prefer)


@router.get("/imports", summary="最近的导入任务（最新在前）", responses=refusals(401, 403, 422))
async def list_imports(
    principal: CreditDept, deps: Deps, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> ImportJobList:
    rows = await views.import_jobs(deps.importer.jobs, limit)
    return ImportJobList(total=len(rows), items=[ImportJobSummary.of(r) for r in rows])


@router.get(
    "/imports/{import_id}",
    summary="导入任务：状态、进度（已读行数/总行数）、结果报告或错误（前 1000 处及总数）",
    responses=refusals(401, 403, 404, s404="导入任务不存在"),
)
async def get_import(import_id: str, principal: CreditDept, deps: Deps) -> ImportJobOut:
    return ImportJobOut.of_row(await views.import_job(deps.importer.jobs, import_id))


def _errors_csv(row: dict[str, Any]) -> bytes:
    """The job's errors as CSV (UTF-8 with a BOM: Excel opens it as it is)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["行号", "列", "字段", "原因"])
    for e in row["errors"] or []:
        column = e.get("column_letter") or (column_letter(e["column"]) if e.get("column") else "")
        writer.writerow([e["line"] or "", column, e["field"], e["reason"]])
    if row["errors_total"] > len(row["errors"] or []):
        writer.writerow(
            ["", "", "", f"共 {row['errors_total']} 处错误，仅列出前 {len(row['errors'])} 处"]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@router.get(
    "/imports/{import_id}/errors.csv",
    summary="导入错误报告（CSV，UTF-8 带 BOM，Excel 可直接打开）",
    response_class=Response,
    responses={
        200: {"content": {templates.CSV_TYPE: {"schema": {"type": "string"}}}},
        **refusals(401, 403, 404, s404="导入任务不存在"),
    },
)
async def import_errors(import_id: str, principal: CreditDept, deps: Deps) -> Response:
    row = await views.import_job(deps.importer.jobs, import_id)
    name = f"import-{import_id}-errors.csv"
    return Response(
        _errors_csv(row),
        media_type=templates.CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/templates/{kind}.{fmt}",
    summary="导入模板（.xlsx 或 .csv）：表头即导入时的列名，.xlsx 另附填写说明",
    description="模板只含列名和说明，不含任何数据，无需登录即可下载"
    "（API 文档中的链接可直接打开）。",
    response_class=Response,
    responses={
        200: {
            "content": {
                templates.CSV_TYPE: {"schema": {"type": "string"}},
                templates.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        },
        # The contract test asks every /api/ operation for 401 and 403; this one is public
        # (the links in the API document open without a token), so they never happen.
        **refusals(401, 403, 422, s401="不会出现：模板无需登录", s403="不会出现：模板无需登录"),
    },
)
async def template(kind: Kind, fmt: Literal["csv", "xlsx"]) -> Response:
    k = KINDS[kind]
    if fmt == "csv":
        body, media = templates.template_csv(k), templates.CSV_TYPE
    else:
        body = await asyncio.to_thread(templates.template_xlsx, k)
        media = templates.XLSX_TYPE
    name = f"{k.title}导入模板.{fmt}"
    disposition = f"attachment; filename=\"{kind}-template.{fmt}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
