"""Registry imports over HTTP: upload (streamed to a spool file), the job, its error report,
and the templates. The job runs in this process; its state is in the database."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from registry.adapters import files, templates
from registry.adapters.repository import (
    REGISTERS,
    SqlImportJobs,
    SqlRegistryRepository,
    StagedImport,
)
from registry.domain.imports import (
    FAILED,
    INTERRUPTED,
    KINDS,
    ImportFailed,
    ImportRejected,
    column_letter,
)
from registry.service_layer import imports
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import DomainError, Invalid, NotFound
from spotcheck_common.roles import Role
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.uow import Context

log = logging.getLogger(__name__)

CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
Kind = Literal["entities", "inspectors", "experts", "check-items"]
Encoding = Literal["utf-8", "gb18030", "gbk"]
EncodingQ = Annotated[
    Encoding | None, Query(description="CSV 的编码（默认自动识别 UTF-8 / GB18030）")
]
SheetQ = Annotated[str | None, Query(description=".xlsx 的工作表名（默认第一个）")]
PreferH = Annotated[str | None, Header(description="respond-async：立即返回 202")]

# A job not heard of for this long was left by a process that died (PostgreSQL, replicas).
STALE_AFTER = timedelta(minutes=2)
STATE_LABELS = {"queued": "排队中", "running": "导入中", "succeeded": "已导入", "failed": "未导入"}

_BODY = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string", "format": "binary"}},
        templates.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    },
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


def _iso(value: datetime | None) -> str | None:
    """SQLite gives back naive UTC instants."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _job_json(row: dict[str, Any], with_errors: bool = True) -> dict[str, Any]:
    out = {
        "import_id": row["import_id"],
        "kind": row["kind"],
        "state": row["state"],
        "state_label": STATE_LABELS.get(row["state"], row["state"]),
        "filename": row["filename"],
        "size_bytes": row["size_bytes"],
        "sha256": row["sha256"],
        "format": row["format"],
        "encoding": row["encoding"],
        "sheet": row["sheet"],
        "rows_total": row["rows_total"],
        "rows_read": row["rows_read"],
        "errors_total": row["errors_total"],
        "failure": row["failure"],
        "report": row["report"],
        "created_by": row["created_by"],
        "created_at": _iso(row["created_at"]),
        "started_at": _iso(row["started_at"]),
        "finished_at": _iso(row["finished_at"]),
        "links": {
            "self": f"/api/registry/imports/{row['import_id']}",
            "errors_csv": f"/api/registry/imports/{row['import_id']}/errors.csv",
        },
    }
    if with_errors:
        out["errors"] = row["errors"] or []
    return out


class Importer:
    """Starts import jobs of one service runtime and keeps their tasks."""

    def __init__(self, rt: ServiceRuntime) -> None:
        self.rt = rt
        self.jobs = SqlImportJobs(rt.db.sessions)
        self.live = imports.LiveJobs()
        self.spool_dir = Path(rt.settings.data_dir) / "spool" / rt.district
        self.chunk_rows = imports.CHUNK_ROWS

    async def start(
        self,
        context: Context,
        kind: str,
        spooled: files.Spooled,
        filename: str,
        params: imports.ImportParams,
    ) -> asyncio.Task[dict[str, Any]]:
        """Record the job (queued) and run it in the background; the spool file is removed
        when it ends."""
        try:
            row = imports.new_job(
                kind,
                filename,
                spooled.sha256,
                spooled.size,
                params,
                context.actor,
                self.rt.clock.now(),
            )
            await self.jobs.create(**row)
        except BaseException:
            spooled.remove()
            raise
        job = imports.ImportJob(row["import_id"], kind, filename, spooled.sha256, params)
        task = asyncio.create_task(
            self._execute(context, job, spooled), name=f"import:{job.import_id}"
        )
        self.live.tasks[job.import_id] = task
        task.add_done_callback(lambda t: self._done(job.import_id, t))
        return task

    def _done(self, import_id: str, task: asyncio.Task[Any]) -> None:
        self.live.tasks.pop(import_id, None)
        if not task.cancelled():
            task.exception()  # retrieved: a refused file is an answer, not a crash

    async def _execute(
        self, context: Context, job: imports.ImportJob, spooled: files.Spooled
    ) -> dict[str, Any]:
        rt = self.rt
        try:
            async with self.live.lock(job.kind), rt.uow(context) as uow:
                repo = SqlRegistryRepository(uow.session, rt.db.postgres)
                register = REGISTERS.get(job.kind)
                staging = (
                    StagedImport(
                        uow.session,
                        rt.db.postgres,
                        register,
                        stage_file=self.spool_dir / f"{job.import_id}.stage.db",
                    )
                    if register
                    else None
                )
                return await imports.run_import(
                    uow,
                    repo,
                    self.jobs,
                    job,
                    spooled.path,
                    staging,
                    divisions=rt.settings.division_code_set,
                    chunk_rows=self.chunk_rows,
                )
        finally:
            spooled.remove()

    async def fail_abandoned(self) -> int:
        """At start-up: jobs left queued or running by a process that died. Embedded
        (SQLite) runs one process, so every such job is abandoned; on PostgreSQL, only those
        whose heartbeat stopped (another replica may be running the rest)."""
        now = self.rt.clock.now()
        before = now - STALE_AFTER if self.rt.db.postgres else None
        return await self.jobs.fail_abandoned(now, before, INTERRUPTED)


async def fail_abandoned_imports(rt: ServiceRuntime) -> None:
    count = await importer(rt).fail_abandoned()
    if count:
        log.warning("abandoned imports marked failed", extra={"fields": {"count": count}})


def importer(rt: ServiceRuntime) -> Importer:
    found = rt.state.get("importer")
    if found is None:
        found = rt.state["importer"] = Importer(rt)
    assert isinstance(found, Importer)
    return found


def _rejected(import_id: str, exc: ImportRejected) -> Invalid:
    """422: the reason, the job, the error count, the first errors and the full report."""
    return Invalid(
        exc.reason,
        import_id=import_id,
        errors_total=exc.total,
        errors=[e.as_dict() for e in exc.errors],
        errors_csv=f"/api/registry/imports/{import_id}/errors.csv",
    )


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


def add_routes(router: APIRouter, rt: ServiceRuntime) -> None:
    imp = importer(rt)
    settings = rt.settings

    async def receive(
        request: Request,
        principal: Principal,
        kind: str,
        filename: str,
        params: imports.ImportParams,
        prefer: str | None,
    ) -> Any:
        declared = request.headers.get("content-length")
        limit = settings.import_max_bytes
        if declared and declared.isdigit() and int(declared) > limit:
            raise files.TooLarge(limit)
        spooled = await files.spool(_body(request), imp.spool_dir, limit)
        task = await imp.start(principal.context(), kind, spooled, filename, params)
        import_id = task.get_name().removeprefix("import:")
        wants_async = prefer is not None and "respond-async" in prefer.lower()
        if not wants_async:
            await asyncio.wait({task}, timeout=settings.import_wait_s)
        if task.done() and not task.cancelled():
            exc = task.exception()
            if isinstance(exc, ImportRejected):
                raise _rejected(import_id, exc)
            if isinstance(exc, DomainError):
                raise DomainError(exc.reason, **{**exc.details, "import_id": import_id})
            if exc is not None:
                raise ImportFailed(FAILED)
            return task.result()
        row = await imp.jobs.get(import_id)
        assert row is not None
        headers = {"Location": f"/api/registry/imports/{import_id}"}
        if wants_async:
            headers["Preference-Applied"] = "respond-async"
        return JSONResponse(_job_json(row), status_code=202, headers=headers)

    responses: dict[int | str, dict[str, Any]] = {
        202: {"description": "导入仍在进行：Location 指向导入任务，可查询进度"},
        403: {"description": "缺少信用监管科角色"},
        413: {"description": "文件超过导入大小上限"},
        422: {"description": "文件有误（指明行、列和原因），任何一行都未导入"},
    }

    def route(kind: str, summary: str, extra: str = "") -> Any:
        return router.post(
            f"/{kind}/import",
            summary=summary,
            description=_description(kind, extra),
            openapi_extra={"requestBody": _BODY},
            responses=responses,
        )

    @route(
        "entities",
        "导入市场主体（CSV / .xlsx，全部成功或全部不导入）",
        "\n\n本区登记机关以外（统一社会信用代码第 3–8 位不是本区行政区划代码）的主体被拒绝。",
    )
    async def import_entities(
        request: Request,
        principal: CreditDept,
        filename: Annotated[str, Query()] = "upload.csv",
        encoding: EncodingQ = None,
        sheet: SheetQ = None,
        prefer: PreferH = None,
    ) -> Any:
        params = imports.ImportParams(encoding=encoding, sheet=sheet)
        return await receive(request, principal, "entities", filename, params, prefer)

    @route("inspectors", "导入执法检查人员（CSV / .xlsx，全部成功或全部不导入）")
    async def import_inspectors(
        request: Request,
        principal: CreditDept,
        filename: Annotated[str, Query()] = "upload.csv",
        encoding: EncodingQ = None,
        sheet: SheetQ = None,
        prefer: PreferH = None,
    ) -> Any:
        params = imports.ImportParams(encoding=encoding, sheet=sheet)
        return await receive(request, principal, "inspectors", filename, params, prefer)

    @route("experts", "导入专家库（CSV / .xlsx，全部成功或全部不导入）")
    async def import_experts(
        request: Request,
        principal: CreditDept,
        filename: Annotated[str, Query()] = "upload.csv",
        encoding: EncodingQ = None,
        sheet: SheetQ = None,
        prefer: PreferH = None,
    ) -> Any:
        params = imports.ImportParams(encoding=encoding, sheet=sheet)
        return await receive(request, principal, "experts", filename, params, prefer)

    @route(
        "check-items",
        "导入抽查事项清单（CSV / .xlsx，每次导入为一个新版本，全部成功或全部不导入）",
        "\n\n`reason` 必填；`effective_from` 默认今天，不能早于上一版的生效日期。",
    )
    async def import_check_items(
        request: Request,
        principal: CreditDept,
        reason: Annotated[str, Query(min_length=1, description="发布或调整的理由")],
        effective_from: Annotated[date | None, Query(description="生效日期（默认今天）")] = None,
        filename: Annotated[str, Query()] = "check-items.csv",
        encoding: EncodingQ = None,
        sheet: SheetQ = None,
        prefer: PreferH = None,
    ) -> Any:
        params = imports.ImportParams(
            encoding=encoding, sheet=sheet, reason=reason, effective_from=effective_from
        )
        return await receive(request, principal, "check-items", filename, params, prefer)

    @router.get("/imports", summary="最近的导入任务（最新在前）")
    async def list_imports(
        principal: CreditDept, limit: Annotated[int, Query(ge=1, le=200)] = 50
    ) -> dict[str, Any]:
        rows = await imp.jobs.recent(limit)
        return {"total": len(rows), "items": [_job_json(r, with_errors=False) for r in rows]}

    async def _job(import_id: str) -> dict[str, Any]:
        row = await imp.jobs.get(import_id)
        if row is None:
            raise NotFound(f"导入任务 {import_id} 不存在")
        return row

    @router.get(
        "/imports/{import_id}",
        summary="导入任务：状态、进度（已读行数/总行数）、结果报告或错误（前 1000 处及总数）",
        responses={404: {"description": "导入任务不存在"}},
    )
    async def get_import(import_id: str, principal: CreditDept) -> dict[str, Any]:
        return _job_json(await _job(import_id))

    @router.get(
        "/imports/{import_id}/errors.csv",
        summary="导入错误报告（CSV，UTF-8 带 BOM，Excel 可直接打开）",
        responses={404: {"description": "导入任务不存在"}},
    )
    async def import_errors(import_id: str, principal: CreditDept) -> Response:
        row = await _job(import_id)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["行号", "列", "字段", "原因"])
        for e in row["errors"] or []:
            column = e.get("column_letter") or (
                column_letter(e["column"]) if e.get("column") else ""
            )
            writer.writerow([e["line"] or "", column, e["field"], e["reason"]])
        if row["errors_total"] > len(row["errors"] or []):
            writer.writerow(
                ["", "", "", f"共 {row['errors_total']} 处错误，仅列出前 {len(row['errors'])} 处"]
            )
        name = f"import-{import_id}-errors.csv"
        return Response(
            ("\ufeff" + out.getvalue()).encode("utf-8"),
            media_type=templates.CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.get(
        "/templates/{kind}.{fmt}",
        summary="导入模板（.xlsx 或 .csv）：表头即导入时的列名，.xlsx 另附填写说明",
        description="模板只含列名和说明，不含任何数据，无需登录即可下载"
        "（API 文档中的链接可直接打开）。",
    )
    async def template(kind: Kind, fmt: Literal["csv", "xlsx"]) -> Response:
        k = KINDS[kind]
        if fmt == "csv":
            body, media = templates.template_csv(k), templates.CSV_TYPE
        else:
            body = await asyncio.to_thread(templates.template_xlsx, k)
            media = templates.XLSX_TYPE
        name = f"{k.title}导入模板.{fmt}"
        disposition = (
            f"attachment; filename=\"{kind}-template.{fmt}\"; filename*=UTF-8''{quote(name)}"
        )
        return Response(body, media_type=media, headers={"Content-Disposition": disposition})
