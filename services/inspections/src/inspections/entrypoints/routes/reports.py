"""The "counted as done" reports (第八条: 由各监管科室汇总后将名单报信用监管科，由信用监管科统一
汇总并按市局要求上报): a department compiles and submits its own list of a period; the credit
department consolidates the departments' lists and exports the city bureau's file; the
leadership reads. Submitted reports never change: a correction is a new version."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from inspections.bootstrap import Deps
from inspections.domain import report_files
from inspections.domain.reports import (
    BUREAU_WIDE,
    Period,
    ReportInvalid,
    ReportKind,
    Submitter,
    may_read,
    read_scope,
    reporting_department,
)
from inspections.entrypoints.report_schemas import (
    ConsolidationDraft,
    DepartmentDraft,
    ReportIn,
    ReportList,
    ReportOut,
)
from inspections.service_layer import reports as service
from spotcheck_common.auth import Principal, require
from spotcheck_common.http import Refusal, refusals
from spotcheck_common.roles import Role

router = APIRouter(prefix="/api/inspections/not-inspected-reports", tags=["inspections"])

# A department (the tasks' lead department: supervising department, station, or the credit
# department for its own tasks) compiles and submits its own list.
Reporter = Annotated[Principal, require(Role.SUPERVISING_DEPT, Role.STATION, Role.CREDIT_DEPT)]
# The credit department consolidates and exports.
Consolidator = Annotated[Principal, require(Role.CREDIT_DEPT)]
# The departments read their own lists; the credit department and the leadership every one.
Reader = Annotated[
    Principal,
    require(
        Role.CREDIT_DEPT,
        Role.SUPERVISING_DEPT,
        Role.STATION,
        Role.DEPUTY_DIRECTOR,
        Role.DIRECTOR_MEETING,
    ),
]
ConsolidationReader = Annotated[
    Principal, require(Role.CREDIT_DEPT, Role.DEPUTY_DIRECTOR, Role.DIRECTOR_MEETING)
]

SUBMIT_REFUSALS: dict[int | str, dict[str, Any]] = refusals(
    401,
    403,
    409,
    422,
    s403="缺少角色，或令牌未写明所在科室",
    s409="本期名单已报送（更正须注明所替换的现行版本），或尚有科室未报送（汇总）",
)
READ_REFUSALS: dict[int | str, dict[str, Any]] = refusals(
    401, 403, 404, s403="缺少角色，或不是本科室的名单", s404="名单不存在"
)


def _roles(principal: Principal) -> set[str]:
    return {str(r) for r in principal.roles}


def _submitter(principal: Principal) -> Submitter:
    return Submitter(principal.user, principal.name)


@router.get(
    "",
    summary="视为完成抽查名单（各科室报送的、信用监管科汇总的，各版本）",
    responses=refusals(401, 403, s403="缺少角色，或查看其他科室的名单"),
)
async def list_reports(
    principal: Reader,
    deps: Deps,
    kind: ReportKind | None = None,
    department: str | None = None,
    period_start: Annotated[date | None, Query(description="只列出期间在此之内的")] = None,
    period_end: date | None = None,
) -> ReportList:
    scope = read_scope(_roles(principal), principal.department, department)
    if not _roles(principal) & BUREAU_WIDE:
        kind = ReportKind.DEPARTMENT  # a department reads its own lists, not the bureau's
    period = Period(period_start, period_end) if period_start and period_end else None
    async with deps.uow(principal.context()) as uow:
        found = await service.reports(uow, kind, scope, period)
    return ReportList(total=len(found), items=[ReportOut.of(r, with_items=False) for r in found])


@router.get(
    "/department-draft",
    summary="科室名单预览：本科室承办任务中本期提交、视为完成抽查的检查对象",
    responses=refusals(401, 403, 422, s403="缺少角色，或查看其他科室"),
)
async def department_draft(
    principal: Reader,
    deps: Deps,
    period_start: date,
    period_end: date,
    department: Annotated[str | None, Query(description="信用监管科、局领导查看时必填")] = None,
) -> DepartmentDraft:
    scope = read_scope(_roles(principal), principal.department, department)
    if not scope:
        raise ReportInvalid("请指定科室（department）")
    period = Period(period_start, period_end)
    async with deps.uow(principal.context()) as uow:
        items = await service.department_draft(uow, scope, period)
        current = await service.current_report(uow, ReportKind.DEPARTMENT, scope, period)
    return DepartmentDraft(
        department=scope,
        period_start=period.start,
        period_end=period.end,
        current=ReportOut.of(current, with_items=False) if current else None,
        total=len(items),
        items=list(items),
    )


@router.post(
    "/department",
    summary="科室报送本期名单（提交后不可更改；更正须报送新版本）",
    status_code=201,
    responses=SUBMIT_REFUSALS,
)
async def submit_department_report(principal: Reporter, form: ReportIn, deps: Deps) -> ReportOut:
    department = reporting_department(_roles(principal), principal.department)
    async with deps.uow(principal.context()) as uow:
        report = await service.submit_department_report(
            uow,
            department,
            _submitter(principal),
            form.period,
            form.replaces,
            form.correction_reason,
            form.note,
        )
    return ReportOut.of(report)


@router.get(
    "/consolidation-draft",
    summary="汇总预览：纳入的各科室现行名单、检查对象，及尚未报送的科室",
    responses=refusals(401, 403, 422),
)
async def consolidation_draft(
    principal: ConsolidationReader, deps: Deps, period_start: date, period_end: date
) -> ConsolidationDraft:
    period = Period(period_start, period_end)
    async with deps.uow(principal.context()) as uow:
        draft = await service.consolidation_draft(uow, period)
        current = await service.current_report(
            uow, ReportKind.CONSOLIDATED, service.CONSOLIDATED, period
        )
    return ConsolidationDraft.of(draft, current)


@router.post(
    "/consolidated",
    summary="信用监管科汇总本期各科室名单，按市局格式上报（有科室未报送时拒绝）",
    status_code=201,
    responses=SUBMIT_REFUSALS,
)
async def consolidate(principal: Consolidator, form: ReportIn, deps: Deps) -> ReportOut:
    async with deps.uow(principal.context()) as uow:
        report = await service.consolidate(
            uow,
            _submitter(principal),
            form.period,
            form.replaces,
            form.correction_reason,
            form.note,
        )
    return ReportOut.of(report)


@router.get("/{report_id}", summary="名单详情（报送时冻结的检查对象）", responses=READ_REFUSALS)
async def get_report(report_id: str, principal: Reader, deps: Deps) -> ReportOut:
    async with deps.uow(principal.context()) as uow:
        report = await service.report(uow, report_id)
    may_read(_roles(principal), principal.department, report)
    return ReportOut.of(report)


@router.get(
    "/{report_id}/file",
    summary="下载报送时导出的文件（市局格式：xlsx，或 UTF-8 带 BOM 的 CSV；读取时校验 SHA-256）",
    response_class=Response,
    responses={
        200: {
            "content": {report_files.XLSX_TYPE: {}, "text/csv": {}},
            "description": "报送时的文件，X-Content-SHA256 为其 SHA-256",
        },
        **READ_REFUSALS,
        500: {"model": Refusal, "description": "文件与报送时记录的 SHA-256 不符"},
    },
)
async def get_report_file(
    report_id: str,
    principal: Reader,
    deps: Deps,
    format: Annotated[Literal["xlsx", "csv"], Query(description="xlsx | csv")] = "xlsx",
) -> Response:
    async with deps.uow(principal.context()) as uow:
        report = await service.report(uow, report_id)
        may_read(_roles(principal), principal.department, report)
        content = await service.report_file(uow, report, format)
    _, media_type = report_files.FORMATS[format]
    name = report_files.file_name(report, format)
    return Response(
        content,
        media_type=media_type,
        headers={
            "X-Content-SHA256": report.xlsx_sha256 if format == "xlsx" else report.csv_sha256,
            "Content-Disposition": "attachment; filename*=UTF-8''" + quote(name, safe=""),
        },
    )
