"""Accountability (第十三条) and statistics, read from the facts folded from the events."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from archives.bootstrap import Deps
from archives.entrypoints.routes.access import AccountabilityReader, Department, department_scope
from archives.entrypoints.schemas import AccountabilityOut, StatisticsOut
from archives.service_layer import accountability
from spotcheck_common.http import refusals

router = APIRouter(prefix="/api/archives", tags=["archives"])

AsOf = Annotated[
    date | None,
    Query(description="截止日（YYYY-MM-DD，北京时间）；默认今天。逾期按此日判断"),
]
S403 = "缺少角色，或监管科室查看其他科室"


@router.get(
    "/accountability",
    summary="责任追究（第十三条）：谁在何时未做什么——逾期未执行任务、未按时公示、异议逾期、未移送",
    responses=refusals(401, 403, s403=S403),
)
async def get_accountability(
    principal: AccountabilityReader,
    deps: Deps,
    department: Department = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="任务截止年度")] = None,
    as_of: AsOf = None,
) -> AccountabilityOut:
    scope = department_scope(principal, department)
    day = as_of or deps.today()
    async with deps.uow(principal.context()) as uow:
        report = await accountability.accountability(uow, day, year, scope)
    return AccountabilityOut.of(report)


@router.get(
    "/statistics",
    summary="统计：按任务、科室、检查人员的完成率、公示率、逾期，检查结果分类",
    responses=refusals(401, 403, s403=S403),
)
async def get_statistics(
    principal: AccountabilityReader,
    deps: Deps,
    year: Annotated[
        int | None, Query(ge=2000, le=2100, description="任务截止年度；默认截止日所在年")
    ] = None,
    department: Department = None,
    as_of: AsOf = None,
) -> StatisticsOut:
    scope = department_scope(principal, department)
    day = as_of or deps.today()
    async with deps.uow(principal.context()) as uow:
        report = await accountability.statistics_report(uow, day, year or day.year, scope)
    return StatisticsOut.of(report)
