"""Inspections HTTP API (thin: parse, call the service layer, shape the answer).

Who acts comes from the bearer token: the user is recorded on every event, and the token's
``inspector_id`` (执法人员编号) is matched against the inspection's team.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from inspections.adapters.repository import SqlInspectionRepository
from inspections.domain.model import STATUS_LABELS, Inspection, InspectionStatus, ResultEntry
from inspections.service_layer import services
from spotcheck_common.auth import STAFF, Principal, Role, require
from spotcheck_common.http import NotFound
from spotcheck_common.service import ServiceRuntime


class ResultsIn(BaseModel):
    """The whole record form: one result per check item of the task."""

    model_config = ConfigDict(extra="forbid")

    results: list[ResultEntry] = Field(min_length=1)


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    completed_on: date | None = Field(None, description="检查完成日期，默认今天")


def inspection_json(i: Inspection, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "inspection_id": i.inspection_id,
        "task_id": i.task_id,
        "task_no": i.task_no,
        "task_title": i.task_title,
        "draw_id": i.draw_id,
        "uscc": i.uscc,
        "entity_name": i.entity_name,
        "risk_class": i.risk_class,
        "inspecting_authority": i.inspecting_authority,
        "check_type": i.check_type,
        "deadline": i.deadline.isoformat(),
        "status": str(i.status),
        "status_label": STATUS_LABELS[i.status],
        "check_items": [c.model_dump(mode="json") for c in i.check_items],
        "team": [m.model_dump(mode="json") for m in i.team],
        "results": [r.model_dump(mode="json") for r in i.results],
        "signatures": {k: v.isoformat() for k, v in sorted(i.signatures.items())},
        "unsigned": i.unsigned,
        "recorded_by": i.recorded_by,
        "recorded_at": i.recorded_at.isoformat() if i.recorded_at else None,
        "submitted_by": i.submitted_by,
        "submitted_at": i.submitted_at.isoformat() if i.submitted_at else None,
        "completed_on": i.completed_on.isoformat() if i.completed_on else None,
        "version": i.version,
    }
    if history is not None:
        body["history"] = history
    return body


# 第八条、第九条: the leader records and submits (谁检查、谁录入); every member of the team,
# experts included, signs; everyone in the bureau reads.
Inspector = Annotated[Principal, require(Role.INSPECTOR)]
Signer = Annotated[Principal, require(Role.INSPECTOR, Role.EXPERT)]
Staff = Annotated[Principal, require(*STAFF)]

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录"},
    403: {"description": "缺少角色，不是检查组成员或不是组长"},
    404: {"description": "检查记录不存在"},
    409: {"description": "检查记录已提交，或尚不能进行这一步"},
    422: {"description": "内容不符合要求"},
}


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/api/inspections", tags=["inspections"])

    @router.get("/inspections", summary="检查记录列表（按任务、统一社会信用代码、状态）")
    async def list_inspections(
        principal: Staff,
        task_id: str | None = None,
        uscc: str | None = None,
        status: InspectionStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlInspectionRepository(session)
            total, rows = await repo.search(
                task_id, uscc.upper() if uscc else None, status, limit, offset
            )
        return {"total": total, "items": [inspection_json(i) for i in rows]}

    @router.get(
        "/inspections/{inspection_id}",
        summary="检查记录详情（含全程记录）",
        responses={404: REFUSALS[404]},
    )
    async def get_inspection(inspection_id: str, principal: Staff) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlInspectionRepository(session)
            inspection = await repo.get(inspection_id)
            if inspection is None:
                raise NotFound(f"检查记录 {inspection_id} 不存在")
            history = await repo.history(inspection_id)
        return inspection_json(inspection, history)

    @router.put(
        "/inspections/{inspection_id}/results",
        summary="组长录入检查结果（整张记录表；修改后已有签名作废）",
        responses=REFUSALS,
    )
    async def record_results(
        inspection_id: str, principal: Inspector, form: ResultsIn
    ) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            repo = SqlInspectionRepository(uow.session)
            inspection = await services.record_results(
                uow, repo, inspection_id, principal.inspector_id, form.results
            )
        return inspection_json(inspection)

    @router.post(
        "/inspections/{inspection_id}/sign",
        summary="检查组成员确认检查结果并签名",
        responses=REFUSALS,
    )
    async def sign(inspection_id: str, principal: Signer) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            repo = SqlInspectionRepository(uow.session)
            inspection = await services.sign(uow, repo, inspection_id, principal.inspector_id)
        return inspection_json(inspection)

    @router.post(
        "/inspections/{inspection_id}/submit",
        summary="组长提交检查记录（全员签名后；提交后不可更改）",
        responses=REFUSALS,
    )
    async def submit(
        inspection_id: str,
        principal: Inspector,
        form: Annotated[SubmitIn | None, Body()] = None,
    ) -> dict[str, Any]:
        form = form or SubmitIn()
        async with rt.uow(principal.context()) as uow:
            repo = SqlInspectionRepository(uow.session)
            inspection = await services.submit(
                uow, repo, inspection_id, principal.inspector_id, form.completed_on
            )
        return inspection_json(inspection)

    return router
