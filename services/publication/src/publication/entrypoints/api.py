"""Publication HTTP API: the public read API (``/public``: results, annual plans, tasks) and
the staff API (``/api/publication``: corrections, withheld results, the publication deadline,
the export for the national publicity system)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from publication.adapters.repository import SqlPublicationRepository
from publication.domain import model
from publication.service_layer import services
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import Conflict, DomainError, NotFound
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.roles import STAFF, Role
from spotcheck_common.service import ServiceRuntime

# 第九条: a published result is corrected only through the credit department. The public reads
# (/public/...) need no token.
CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
Staff = Annotated[Principal, require(*STAFF)]
STAFF_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录"},
    403: {"description": "缺少本局工作人员角色"},
}
CREDIT_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录"},
    403: {"description": "缺少信用监管科角色"},
}


class CorrectionIn(BaseModel):
    """A correction collected by the credit department (信用监管科)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="更正理由（必填）")
    results: list[ItemResult] = Field(
        min_length=1, description="更正的检查事项结果（仅列出需更正的事项）"
    )


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter()
    public = APIRouter(prefix="/public/results", tags=["public"])
    internal = APIRouter(prefix="/api/publication", tags=["publication"])

    @public.get("", summary="检查结果公示查询")
    async def search_results(
        uscc: Annotated[str | None, Query(max_length=18, description="统一社会信用代码")] = None,
        task_no: Annotated[str | None, Query(max_length=100, description="任务编号")] = None,
        q: Annotated[
            str | None, Query(max_length=100, description="主体名称、任务名称或代码")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            total, rows = await SqlPublicationRepository(session).search(
                uscc, task_no, q, limit, offset
            )
        return {"total": total, "items": [model.public_summary(r, v) for r, v in rows]}

    @public.get("/{record_id}", summary="检查结果公示详情（含全部版本）")
    async def get_result(record_id: str) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlPublicationRepository(session)
            record = await repo.get_record(record_id)
            versions = await repo.versions(record_id) if record else []
        if record is None:
            raise NotFound(f"公示记录 {record_id} 不存在")
        return model.public_view(record, versions)

    @internal.post(
        "/records/{record_id}/corrections",
        status_code=201,
        summary="信用监管科更正已公示的检查结果（发布新版本，原版本保留）",
        responses={401: {"description": "未登录"}, 403: {"description": "缺少信用监管科角色"}},
    )
    async def correct(record_id: str, body: CorrectionIn, principal: CreditDept) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            repo = SqlPublicationRepository(uow.session)
            try:
                corrected = await services.correct_by_credit_department(
                    uow, repo, record_id, body.results, body.reason.strip()
                )
            except services.RecordNotFound as exc:
                raise NotFound(str(exc)) from None
            except model.InvalidCorrection as exc:
                raise DomainError(str(exc)) from None
            except IntegrityError:
                raise Conflict("该公示记录正在被另一更正修改，请刷新后重试") from None
        return {
            "record_id": corrected.record_id,
            "version": corrected.record_version,
            "supersedes_version": corrected.supersedes_version,
            "published_at": corrected.published_at.isoformat(),
            "results": [r.model_dump(mode="json") for r in corrected.results],
            "remark": corrected.remark,
        }

    plans = APIRouter(prefix="/public/plans", tags=["public"])
    tasks = APIRouter(prefix="/public/tasks", tags=["public"])

    @plans.get("", summary="年度抽查工作计划公示（各计划的现行版本）")
    async def list_plans(
        year: Annotated[int | None, Query(ge=2000, le=2100, description="年度")] = None,
        department: Annotated[
            str | None, Query(max_length=200, description="制定计划的监管科室")
        ] = None,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            rows = await SqlPublicationRepository(session).current_plans(year, department)
        return {
            "total": len(rows),
            "labels": model.PLAN_LABELS,
            "item_labels": model.PLAN_ITEM_LABELS,
            "items": [model.plan_view(p, p.plan_version) for p in rows],
        }

    @plans.get("/{plan_id}", summary="年度抽查工作计划详情（全部版本，现行版本标明）")
    async def get_plan(plan_id: str) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            versions = await SqlPublicationRepository(session).plan_versions(plan_id)
        if not versions:
            raise NotFound(f"抽查计划 {plan_id} 不存在或尚未公示")
        current = versions[-1].plan_version
        views = [model.plan_view(p, current) for p in versions]
        return {
            "plan_id": plan_id,
            "current_version": current,
            "labels": model.PLAN_LABELS,
            "item_labels": model.PLAN_ITEM_LABELS,
            "current": views[-1],
            "versions": views,
        }

    @tasks.get("", summary="抽查任务（实施方案）公示查询")
    async def list_tasks(
        plan_no: Annotated[str | None, Query(max_length=100, description="抽查计划编号")] = None,
        q: Annotated[
            str | None, Query(max_length=100, description="任务名称、编号或主办科室")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            total, rows = await SqlPublicationRepository(session).search_tasks(
                plan_no, q, limit, offset
            )
        return {
            "total": total,
            "labels": model.TASK_LABELS,
            "items": [model.task_view(t) for t in rows],
        }

    @tasks.get("/{task_id}", summary="抽查任务（实施方案）公示详情")
    async def get_task(task_id: str) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            task = await SqlPublicationRepository(session).get_task(task_id)
        if task is None:
            raise NotFound(f"抽查任务 {task_id} 不存在或尚未公示")
        return {**model.task_view(task), "labels": model.TASK_LABELS}

    @internal.get(
        "/withheld",
        summary="依法不予公示的检查结果（含不予公开理由，仅信用监管科）",
        responses=CREDIT_ONLY,
    )
    async def list_withheld(
        principal: CreditDept,
        task_no: Annotated[str | None, Query(max_length=100, description="任务编号")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            total, rows = await SqlPublicationRepository(session).list_withheld(
                task_no, limit, offset
            )
        return {"total": total, "items": [model.withheld_view(w) for w in rows]}

    @internal.get(
        "/overdue",
        summary="未在20个工作日内公示的检查结果（公示逾期）",
        responses=STAFF_ONLY,
    )
    async def list_overdue(
        principal: Staff,
        department: Annotated[str | None, Query(max_length=200, description="主办科室")] = None,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlPublicationRepository(session)
            late = await repo.late_records()
            calendar = await repo.calendar()
            pending = await repo.pending_deadlines()
        if department is not None:
            late = [r for r in late if r.lead_department == department]
        return {
            "total": len(late),
            "limit_workdays": model.PUBLISH_LIMIT_WORKDAYS,
            # Deadlines waiting for a year's holiday schedule: not late, not yet computable.
            "pending_calendar": pending,
            "items": [model.overdue_view(r, calendar) for r in late],
        }

    @internal.get(
        "/export",
        summary="按国家企业信用信息公示系统字段导出检查结果（每个检查事项一行，现行版本）",
        description=(
            "列："
            + "、".join(model.EXPORT_COLUMNS)
            + "。每条检查结果的现行版本，每个检查事项一行；"
            "更正过的结果导出现行版本，备注注明「更正（第N版，更正第N-1版）：理由」。"
            "from / to 按现行版本的公示日期（北京时间，含两端）筛选。"
            "format=csv：UTF-8（带 BOM，Excel 可直接打开），逗号分隔，首行为列名；"
            "format=json：{columns, rows}。依法不予公示的结果不导出。"
        ),
        responses={
            **CREDIT_ONLY,
            200: {"content": {"text/csv": {}, "application/json": {}}},
        },
    )
    async def export(
        principal: CreditDept,
        task_no: Annotated[str | None, Query(max_length=100, description="任务编号")] = None,
        date_from: Annotated[
            date | None, Query(alias="from", description="公示日期起（含）")
        ] = None,
        date_to: Annotated[date | None, Query(alias="to", description="公示日期止（含）")] = None,
        format: Annotated[Literal["csv", "json"], Query(description="csv | json")] = "csv",
    ) -> Response:
        if date_from and date_to and date_from > date_to:
            raise DomainError("导出起始日期不能晚于截止日期")
        async with rt.db.sessions() as session:
            pairs = await SqlPublicationRepository(session).current_versions(
                task_no, date_from, date_to
            )
        rows = [row for record, version in pairs for row in model.export_rows(record, version)]
        stem = f"抽查检查结果_{task_no or '全部'}"
        if format == "json":
            body = json.dumps(
                {"columns": model.EXPORT_COLUMNS, "rows": rows}, ensure_ascii=False
            ).encode()
            return Response(body, media_type="application/json")
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=model.EXPORT_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        return Response(
            ("\ufeff" + buffer.getvalue()).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _attachment(f"{stem}.csv")},
        )

    router.include_router(public)
    router.include_router(plans)
    router.include_router(tasks)
    router.include_router(internal)
    return router


def _attachment(filename: str) -> str:
    """RFC 6266 / 5987: an ASCII fallback and the UTF-8 name."""
    return f"attachment; filename=\"export.csv\"; filename*=UTF-8''{quote(filename)}"
