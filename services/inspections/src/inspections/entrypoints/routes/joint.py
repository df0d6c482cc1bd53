"""A neighbour's joint inspections with this bureau's inspectors on the team (issue 10): they
read the record the drawing district keeps and act on it here, at their own bureau — the leader
records and submits, every member signs; each act travels to the drawing district as an event
from this district's own topic (202: the drawing district's next state shows it recorded).

    GET  /api/inspections/joint-inspections
    GET  /api/inspections/joint-inspections/{id}
    PUT  /api/inspections/joint-inspections/{id}/results   (the leader)
    POST /api/inspections/joint-inspections/{id}/sign
    POST /api/inspections/joint-inspections/{id}/submit    (the leader)
    GET  /api/inspections/workload?year=                   each inspector's load, both kinds
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from inspections.bootstrap import Deps
from inspections.domain.joint import RecordForm
from inspections.entrypoints.routes.access import (
    READ_REFUSALS,
    REFUSALS,
    Inspector,
    Management,
    Signer,
    Staff,
    field_reader,
)
from inspections.entrypoints.schemas import (
    JointInspectionOut,
    JointInspectionPage,
    ResultsIn,
    SubmitIn,
    WorkloadList,
    WorkloadOut,
)
from inspections.service_layer import joint, views
from spotcheck_common.http import Offset, refusals

router = APIRouter(prefix="/api/inspections/joint-inspections", tags=["joint inspections"])
workload_router = APIRouter(prefix="/api/inspections/workload", tags=["joint inspections"])


@workload_router.get(
    "",
    summary="本局执法人员年度检查任务量（含相邻区联合抽取），按任务截止年度",
    responses=refusals(401, 403, 422),
)
async def workload(
    principal: Management, deps: Deps, year: Annotated[int, Query(ge=2000, le=2100)]
) -> WorkloadList:
    async with deps.uow(principal.context()) as uow:
        found = await views.workload(uow, year)
    return WorkloadList(year=year, items=[WorkloadOut.of(w) for w in found])


@router.get(
    "",
    summary="相邻区联合抽取中、本局执法人员参加的检查（检查记录由抽取区保存）",
    responses=refusals(401, 403),
)
async def list_joint_inspections(
    principal: Staff,
    deps: Deps,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> JointInspectionPage:
    async with deps.uow(principal.context()) as uow:
        page = await joint.search(uow, field_reader(principal), limit, offset)
    items = [JointInspectionOut.of(j, deps.district) for j in page.items]
    return JointInspectionPage(total=page.total, items=items)


@router.get("/{inspection_id}", summary="一次联合检查（抽取区的检查记录）", responses=READ_REFUSALS)
async def get_joint_inspection(
    inspection_id: str, principal: Staff, deps: Deps
) -> JointInspectionOut:
    async with deps.uow(principal.context()) as uow:
        found = await joint.get(uow, inspection_id, field_reader(principal))
    return JointInspectionOut.of(found, deps.district)


@router.put(
    "/{inspection_id}/results",
    status_code=202,
    summary="本局执法人员（检查组长）在本局录入检查结果（由抽取区记录）",
    responses=REFUSALS,
)
async def record_joint_results(
    inspection_id: str, principal: Inspector, form: ResultsIn, deps: Deps
) -> JointInspectionOut:
    entered = RecordForm(form.results, form.not_inspected, form.withhold)
    async with deps.uow(principal.context()) as uow:
        found = await joint.record(uow, inspection_id, principal.inspector_id, entered)
    return JointInspectionOut.of(found, deps.district)


@router.post(
    "/{inspection_id}/submit",
    status_code=202,
    summary="本局执法人员（检查组长）在本局提交检查记录（全员签名后；由抽取区记录）",
    responses=REFUSALS,
)
async def submit_joint_inspection(
    inspection_id: str,
    principal: Inspector,
    deps: Deps,
    form: Annotated[SubmitIn | None, Body()] = None,
) -> JointInspectionOut:
    completed_on = (form or SubmitIn()).completed_on
    async with deps.uow(principal.context()) as uow:
        found = await joint.submit(uow, inspection_id, principal.inspector_id, completed_on)
    return JointInspectionOut.of(found, deps.district)


@router.post(
    "/{inspection_id}/sign",
    status_code=202,
    summary="本局执法人员在本局确认检查结果并签名（由抽取区记录）",
    responses=REFUSALS,
)
async def sign_joint_inspection(
    inspection_id: str, principal: Signer, deps: Deps
) -> JointInspectionOut:
    async with deps.uow(principal.context()) as uow:
        found = await joint.sign(uow, inspection_id, principal.inspector_id)
    return JointInspectionOut.of(found, deps.district)
