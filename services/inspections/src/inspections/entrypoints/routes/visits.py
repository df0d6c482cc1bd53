"""Visits (进一次门、查多项事): one target's inspections of several tasks, one team."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inspections.bootstrap import Deps
from inspections.entrypoints.routes.access import S403, Inspector, Management, Staff, field_reader
from inspections.entrypoints.schemas import VisitDetail, VisitOut, VisitPage, VisitResultsIn
from inspections.service_layer import services, views
from spotcheck_common.http import Offset, refusals

router = APIRouter(prefix="/api/inspections/visits", tags=["inspections"])


@router.get(
    "",
    summary="检查（进一次门、查多项事）列表，按统一社会信用代码",
    responses=refusals(401, 403),
)
async def list_visits(
    principal: Management,
    deps: Deps,
    uscc: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> VisitPage:
    async with deps.uow(principal.context()) as uow:
        found = await views.visits(uow, uscc, limit, offset)
    items = [VisitOut.of(v.visit, v.inspections) for v in found.items]
    return VisitPage(total=found.total, items=items)


@router.get(
    "/{visit_id}",
    summary="一次检查的详情：各任务的检查事项、检查组与结果",
    responses=refusals(401, 403, 404, s404="检查不存在"),
)
async def get_visit(visit_id: str, principal: Staff, deps: Deps) -> VisitDetail:
    async with deps.uow(principal.context()) as uow:
        view, history = await views.visit(uow, visit_id, field_reader(principal))
    return VisitDetail.with_history(view.visit, view.inspections, history)


@router.put(
    "/{visit_id}/results",
    summary="本次检查的组长一次录入各任务的检查结果（每条注明所属任务）",
    responses=refusals(
        401,
        403,
        404,
        409,
        422,
        s403=S403,
        s404="检查不存在",
        s409="检查记录已提交，或尚不能进行这一步",
    ),
)
async def record_visit_results(
    visit_id: str, principal: Inspector, form: VisitResultsIn, deps: Deps
) -> VisitOut:
    async with deps.uow(principal.context()) as uow:
        visit, inspections = await services.record_visit_results(
            uow, visit_id, principal.inspector_id, form.entries(), None, form.not_inspected
        )
    return VisitOut.of(visit, inspections)
