"""Inspections (检查记录): list, read with the history, record the results and a product's samples,
sign, submit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from inspections.bootstrap import Deps
from inspections.domain.model import InspectionStatus
from inspections.entrypoints.routes.access import (
    READ_REFUSALS,
    REFUSALS,
    Inspector,
    Signer,
    Staff,
    field_reader,
)
from inspections.entrypoints.schemas import (
    InspectionDetail,
    InspectionOut,
    InspectionPage,
    ResultsIn,
    SamplesIn,
    SubmitIn,
)
from inspections.service_layer import services, views
from spotcheck_common.http import Offset, refusals

router = APIRouter(prefix="/api/inspections/inspections", tags=["inspections"])


@router.get(
    "",
    summary="检查记录列表（按任务、统一社会信用代码、状态）",
    responses=refusals(401, 403),
)
async def list_inspections(
    principal: Staff,
    deps: Deps,
    task_id: str | None = None,
    uscc: str | None = None,
    status: InspectionStatus | None = None,
    visit_id: str | None = None,
    not_inspected: Annotated[
        bool | None, Query(description="true：仅未开展检查、视为完成的（报信用监管科的名单）")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> InspectionPage:
    async with deps.uow(principal.context()) as uow:
        page = await views.inspections(
            uow,
            task_id,
            uscc,
            status,
            limit,
            offset,
            visit_id=visit_id,
            not_inspected=not_inspected,
            reader=field_reader(principal),
        )
    return InspectionPage(total=page.total, items=[InspectionOut.of(i) for i in page.items])


@router.get("/{inspection_id}", summary="检查记录详情（含全程记录）", responses=READ_REFUSALS)
async def get_inspection(inspection_id: str, principal: Staff, deps: Deps) -> InspectionDetail:
    async with deps.uow(principal.context()) as uow:
        inspection = await views.inspection(uow, inspection_id, field_reader(principal))
        history = await views.history(uow, inspection_id)
    return InspectionDetail.with_history(inspection, history)


@router.put(
    "/{inspection_id}/results",
    summary="组长录入检查结果（整张记录表；修改后已有签名作废）",
    responses=REFUSALS,
)
async def record_results(
    inspection_id: str, principal: Inspector, form: ResultsIn, deps: Deps
) -> InspectionOut:
    async with deps.uow(principal.context()) as uow:
        inspection = await services.record_results(
            uow,
            inspection_id,
            principal.inspector_id,
            form.results,
            not_inspected=form.not_inspected,
            withhold=form.withhold,
        )
    return InspectionOut.of(inspection)


@router.put(
    "/{inspection_id}/samples",
    summary="组长登记产品抽样的样品（整表替换；提交前；修改后已有签名作废）",
    description="仅产品的检查记录（对象编码 ZP…）。抽样单、检验报告作为附件上传"
    "（kind=sampling_form、lab_report）；提交时须至少一个样品及这两类附件，未开展检查的除外。",
    responses=REFUSALS,
)
async def record_samples(
    inspection_id: str, principal: Inspector, form: SamplesIn, deps: Deps
) -> InspectionOut:
    async with deps.uow(principal.context()) as uow:
        inspection = await services.record_samples(
            uow, inspection_id, principal.inspector_id, form.samples
        )
    return InspectionOut.of(inspection)


@router.post("/{inspection_id}/sign", summary="检查组成员确认检查结果并签名", responses=REFUSALS)
async def sign(inspection_id: str, principal: Signer, deps: Deps) -> InspectionOut:
    async with deps.uow(principal.context()) as uow:
        inspection = await services.sign(uow, inspection_id, principal.inspector_id)
    return InspectionOut.of(inspection)


@router.post(
    "/{inspection_id}/submit",
    summary="组长提交检查记录（全员签名后；提交后不可更改）",
    responses=REFUSALS,
)
async def submit(
    inspection_id: str,
    principal: Inspector,
    deps: Deps,
    form: Annotated[SubmitIn | None, Body()] = None,
) -> InspectionOut:
    form = form or SubmitIn()
    async with deps.uow(principal.context()) as uow:
        inspection = await services.submit(
            uow, inspection_id, principal.inspector_id, form.completed_on
        )
    return InspectionOut.of(inspection)
