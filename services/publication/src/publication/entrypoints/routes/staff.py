"""What staff read of publication: withheld results, the publication deadline, and the export
in the fields of the national publicity system (国家企业信用信息公示系统)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response

from publication.bootstrap import Deps
from publication.domain import model
from publication.entrypoints.schemas import (
    ExportJson,
    OverdueOut,
    OverduePage,
    WithheldOut,
    WithheldPage,
)
from publication.service_layer import views
from spotcheck_common.auth import Principal, require
from spotcheck_common.http import Offset, refusals
from spotcheck_common.roles import STAFF, Role

CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
Staff = Annotated[Principal, require(*STAFF)]

router = APIRouter(prefix="/api/publication", tags=["publication"])


@router.get(
    "/withheld",
    summary="依法不予公示的检查结果（含不予公开理由，仅信用监管科）",
    responses=refusals(401, 403, 422, s403="缺少信用监管科角色"),
)
async def list_withheld(
    principal: CreditDept,
    deps: Deps,
    task_no: Annotated[str | None, Query(max_length=100, description="任务编号")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> WithheldPage:
    async with deps.uow(principal.context()) as uow:
        page = await views.withheld(uow, task_no, limit, offset)
    return WithheldPage(total=page.total, items=[WithheldOut.of(w) for w in page.items])


@router.get(
    "/overdue",
    summary="未在20个工作日内公示的检查结果（公示逾期）",
    responses=refusals(401, 403, 422, s403="缺少本局工作人员角色"),
)
async def list_overdue(
    principal: Staff,
    deps: Deps,
    department: Annotated[str | None, Query(max_length=200, description="主办科室")] = None,
) -> OverduePage:
    async with deps.uow(principal.context()) as uow:
        found = await views.overdue(uow, department)
    return OverduePage(
        total=len(found.late),
        limit_workdays=model.PUBLISH_LIMIT_WORKDAYS,
        # Deadlines waiting for a year's holiday schedule: not late, not yet computable.
        pending_calendar=found.pending_calendar,
        items=[OverdueOut.of(r, found.calendar) for r in found.late],
    )


@router.get(
    "/export",
    summary="按国家企业信用信息公示系统字段导出检查结果（每个检查事项一行，现行版本）",
    description=(
        "列：" + "、".join(model.EXPORT_COLUMNS) + "。每条检查结果的现行版本，每个检查事项一行；"
        "object_kind=organisation（默认）导出各类组织（市场主体、机关、事业单位、社会组织等）；"
        "产品、项目、行为没有统一社会信用代码，按 object_kind=product|project|conduct 分别导出，"
        "以「检查对象类型」「对象编码」及该类对象的字段（如产品名称、商标、规格型号、生产日期或批号、"
        "生产者统一社会信用代码）代替「统一社会信用代码」列；"
        "更正过的结果导出现行版本，备注注明「更正（第N版，更正第N-1版）：理由」。"
        "from / to 按现行版本的公示日期（北京时间，含两端）筛选。"
        "format=csv：UTF-8（带 BOM，Excel 可直接打开），逗号分隔，首行为列名；"
        "format=json：{columns, rows}。依法不予公示的结果不导出。"
    ),
    response_class=Response,
    responses={
        **refusals(401, 403, 422, s403="缺少信用监管科角色"),
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": ExportJson.model_json_schema()},
            }
        },
    },
)
async def export(
    principal: CreditDept,
    deps: Deps,
    task_no: Annotated[str | None, Query(max_length=100, description="任务编号")] = None,
    date_from: Annotated[date | None, Query(alias="from", description="公示日期起（含）")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="公示日期止（含）")] = None,
    format: Annotated[Literal["csv", "json"], Query(description="csv | json")] = "csv",
    object_kind: Annotated[
        model.ExportKind, Query(description="organisation（各类组织）| product | project | conduct")
    ] = model.ORGANISATIONS,
) -> Response:
    async with deps.uow(principal.context()) as uow:
        rows = await views.export_rows(uow, task_no, date_from, date_to, object_kind)
    columns = model.export_columns(object_kind)
    if format == "json":
        body = json.dumps({"columns": columns, "rows": rows}, ensure_ascii=False)
        return Response(body.encode(), media_type="application/json")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(f"抽查检查结果_{task_no or '全部'}.csv")},
    )


def _attachment(filename: str) -> str:
    """RFC 6266 / 5987: an ASCII fallback and the UTF-8 name."""
    return f"attachment; filename=\"export.csv\"; filename*=UTF-8''{quote(filename)}"
