"""The working-day calendar over HTTP: the general office records a year's holiday schedule;
staff and the public read any year with its source."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from registry.domain import calendar
from registry.service_layer import calendar as services
from spotcheck_common.auth import Principal, require
from spotcheck_common.calendar_store import CalendarStore
from spotcheck_common.events.calendar import HolidayPeriod, MakeUpWorkday
from spotcheck_common.roles import STAFF, Role
from spotcheck_common.service import ServiceRuntime

GeneralOffice = Annotated[Principal, require(Role.GENERAL_OFFICE)]
Staff = Annotated[Principal, require(*STAFF)]
Year = Annotated[int, Path(ge=2000, le=2100, description="年份")]


class CalendarYearIn(BaseModel):
    """One year's schedule as the State Council's notice states it."""

    document_no: str = Field(
        min_length=1, max_length=100, description="发文字号，如 国办发明电〔2026〕12号"
    )
    title: str = Field("", max_length=200, description="通知标题")
    published_on: date = Field(description="通知发布日期")
    days_off: list[HolidayPeriod] = Field(
        min_length=1, description="放假安排：每个节日的放假起止日期（含调休放假的日子）"
    )
    make_up_workdays: list[MakeUpWorkday] = Field(
        default_factory=list, description="调休上班的周六、周日"
    )
    reason: str = Field("", max_length=500, description="更正理由（录入第 2 版起必填）")


def _public(view: dict[str, Any]) -> dict[str, Any]:
    """The public reads the schedule and its source, not which staff member typed it."""
    strip = ("recorded_by",)
    return {
        **view,
        "current": {k: v for k, v in view["current"].items() if k not in strip}
        if view["current"]
        else None,
        "versions": [{k: v for k, v in x.items() if k not in strip} for x in view["versions"]],
    }


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["calendar"])

    async def _view(year: int) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            versions = await CalendarStore(session).versions(year)
        return calendar.view(year, versions)

    @router.post(
        "/api/registry/calendar/{year}",
        status_code=201,
        summary="录入（或更正）某年的节假日安排（国务院办公厅通知）",
        description=(
            "办公室在通知发布当日录入：每个节日的放假起止日期、调休上班的周末、发文字号和发布"
            "日期。已录入的年份再次录入即为更正（新版本，须写明理由），旧版本保留。录入后发送给"
            "公示、异议、检查、档案各服务：待定的期限随即计算。"
        ),
        responses={
            403: {"description": "缺少办公室角色"},
            409: {"description": "同一版本刚由他人录入"},
            422: {"description": "日期不在该年、调休上班日不是周末、与放假日重叠，或更正缺少理由"},
        },
    )
    async def record_year(year: Year, body: CalendarYearIn, principal: GeneralOffice) -> Any:
        async with rt.uow(principal.context()) as uow:
            await services.record_year(
                uow,
                CalendarStore(uow.session),
                year,
                body.document_no,
                body.title,
                body.published_on,
                body.days_off,
                body.make_up_workdays,
                body.reason,
            )
        return await _view(year)

    @router.get("/api/registry/calendar/{year}", summary="某年的工作日历（含录入人和各版本）")
    async def get_year(year: Year, principal: Staff) -> dict[str, Any]:
        return await _view(year)

    @router.get(
        "/public/calendar/{year}",
        tags=["public"],
        summary="某年的工作日历：放假、调休上班的日子及其来源（公开）",
    )
    async def public_year(year: Year) -> dict[str, Any]:
        return _public(await _view(year))

    @router.get(
        "/public/calendar",
        tags=["public"],
        summary="工作日历覆盖的年份及来源（公开）",
    )
    async def public_years() -> dict[str, Any]:
        async with rt.db.sessions() as session:
            versions = await CalendarStore(session).versions()
        return calendar.overview(rt.clock.today(), versions)

    return router
