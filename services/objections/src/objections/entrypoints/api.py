"""Objections HTTP API: the inspected entity files, the reviewer decides, feedback is logged."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from objections.adapters.repository import SqlObjectionsRepository
from objections.domain import model
from objections.domain.model import Status
from objections.service_layer import services
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import USCC, ObjectionDecision
from spotcheck_common.http import Acting, Conflict, NotFound
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.workdays import today


class ObjectionIn(BaseModel):
    """An objection of the inspected entity against a published result (异议申请)."""

    model_config = ConfigDict(extra="forbid")

    record_id: str = Field(min_length=1, max_length=36, description="公示记录编号")
    uscc: USCC = Field(description="申请人（检查对象）的统一社会信用代码")
    reason: str = Field(min_length=1, max_length=4000, description="异议理由")
    received_on: date | None = Field(None, description="收到申请材料之日，默认今天")


class DecisionIn(BaseModel):
    """The review result (复查结果)."""

    model_config = ConfigDict(extra="forbid")

    decision: ObjectionDecision = Field(description="upheld 维持 | corrected 确有错误予以更正")
    reason: str = Field(min_length=1, max_length=4000, description="复查意见")
    corrected_results: list[ItemResult] = Field(
        default_factory=list, description="更正后的检查事项结果（仅 corrected，列出需更正的事项）"
    )
    decided_on: date | None = Field(None, description="作出复查结果之日，默认今天")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_on: date | None = Field(None, description="反馈检查对象之日，默认今天")
    note: str = Field("", max_length=2000, description="反馈方式、送达情况等")


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/api/objections/objections", tags=["objections"])

    @router.post("", status_code=201, summary="检查对象对公示的检查结果提出异议")
    async def file(body: ObjectionIn, ctx: Acting) -> dict[str, Any]:
        day = today()
        async with rt.uow(ctx) as uow:
            repo = SqlObjectionsRepository(uow.session)
            try:
                objection = await services.file_objection(
                    uow, repo, body.record_id, body.uscc, body.reason.strip(), body.received_on, day
                )
            except IntegrityError:
                raise Conflict("该检查结果已有尚未复查的异议，请等待复查结果") from None
        return model.view(objection, day)

    @router.post("/{objection_id}/decision", summary="复查：维持或更正")
    async def decide(objection_id: str, body: DecisionIn, ctx: Acting) -> dict[str, Any]:
        day = today()
        async with rt.uow(ctx) as uow:
            repo = SqlObjectionsRepository(uow.session)
            objection = await services.decide_objection(
                uow,
                repo,
                objection_id,
                body.decision,
                body.reason.strip(),
                body.corrected_results,
                body.decided_on,
                day,
            )
        return model.view(objection, day)

    @router.post("/{objection_id}/feedback", summary="登记复查情况已反馈检查对象")
    async def feedback(objection_id: str, body: FeedbackIn, ctx: Acting) -> dict[str, Any]:
        day = today()
        async with rt.uow(ctx) as uow:
            repo = SqlObjectionsRepository(uow.session)
            objection = await services.give_feedback(
                uow, repo, objection_id, body.given_on, body.note.strip(), day
            )
        return model.view(objection, day)

    @router.get("", summary="异议列表（含期限与逾期标记）")
    async def list_objections(
        status: Status | None = None,
        uscc: Annotated[str | None, Query(max_length=18)] = None,
        record_id: Annotated[str | None, Query(max_length=36)] = None,
        overdue: Annotated[bool, Query(description="只看已逾期（任一期限）")] = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        day = today()
        async with rt.db.sessions() as session:
            total, rows = await SqlObjectionsRepository(session).search(
                status, uscc, record_id, day if overdue else None, limit, offset
            )
        return {
            "total": total,
            "today": day.isoformat(),
            "items": [model.view(o, day) for o in rows],
        }

    @router.get("/{objection_id}", summary="异议详情")
    async def get_objection(objection_id: str) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            objection = await SqlObjectionsRepository(session).get(objection_id)
        if objection is None:
            raise NotFound(f"异议 {objection_id} 不存在")
        return model.view(objection, today())

    return router
