"""The working-day calendar over HTTP: the general office records a year's holiday schedule;
staff and the public read any year with its source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from registry.bootstrap import Deps
from registry.entrypoints.schemas import (
    CalendarOverviewOut,
    CalendarYearIn,
    CalendarYearOut,
    PublicCalendarYearOut,
)
from registry.service_layer import calendar as services
from registry.service_layer import views
from spotcheck_common.auth import Principal, require
from spotcheck_common.http import refusals
from spotcheck_common.roles import STAFF, Role
from spotcheck_common.uow import Context

GeneralOffice = Annotated[Principal, require(Role.GENERAL_OFFICE)]
Staff = Annotated[Principal, require(*STAFF)]
Year = Annotated[int, Path(ge=2000, le=2100, description="年份")]

PUBLIC = Context(actor="public")

router = APIRouter(tags=["calendar"])


@router.post(
    "/api/registry/calendar/{year}",
    status_code=201,
    summary="录入（或更正）某年的节假日安排（国务院办公厅通知）",
    description=(
        "办公室在通知发布当日录入：每个节日的放假起止日期、调休上班的周末、发文字号和发布"
        "日期。已录入的年份再次录入即为更正（新版本，须写明理由），旧版本保留。录入后发送给"
        "公示、异议、检查、档案各服务：待定的期限随即计算。"
    ),
    responses=refusals(
        401,
        403,
        409,
        422,
        s403="缺少办公室角色",
        s409="同一版本刚由他人录入",
        s422="日期不在该年、调休上班日不是周末、与放假日重叠，或更正缺少理由",
    ),
)
async def record_year(
    year: Year, body: CalendarYearIn, principal: GeneralOffice, deps: Deps
) -> CalendarYearOut:
    async with deps.uow(principal.context()) as uow:
        await services.record_year(
            uow,
            year,
            body.document_no,
            body.title,
            body.published_on,
            body.days_off,
            body.make_up_workdays,
            body.reason,
        )
    async with deps.uow(principal.context()) as uow:
        return CalendarYearOut.model_validate(await views.calendar_year(uow, year))


@router.get(
    "/api/registry/calendar/{year}",
    summary="某年的工作日历（含录入人和各版本）",
    responses=refusals(401, 403, 422),
)
async def get_year(year: Year, principal: Staff, deps: Deps) -> CalendarYearOut:
    async with deps.uow(principal.context()) as uow:
        return CalendarYearOut.model_validate(await views.calendar_year(uow, year))


@router.get(
    "/public/calendar/{year}",
    tags=["public"],
    summary="某年的工作日历：放假、调休上班的日子及其来源（公开）",
    responses=refusals(422),
)
async def public_year(year: Year, deps: Deps) -> PublicCalendarYearOut:
    """The public reads the schedule and its source, not which staff member typed it."""
    async with deps.uow(PUBLIC) as uow:
        return PublicCalendarYearOut.model_validate(await views.calendar_year(uow, year))


@router.get("/public/calendar", tags=["public"], summary="工作日历覆盖的年份及来源（公开）")
async def public_years(deps: Deps) -> CalendarOverviewOut:
    async with deps.uow(PUBLIC) as uow:
        return CalendarOverviewOut.model_validate(await views.calendar_years(uow, deps.today()))
