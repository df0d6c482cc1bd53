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
from objections.entrypoints import overdue as overdue_gauge
from objections.service_layer import services
from spotcheck_common.auth import STAFF, Principal, Role, require
from spotcheck_common.errors import Conflict, Forbidden, NotFound
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import USCC, ObjectionDecision
from spotcheck_common.service import ServiceRuntime

# 第九条、第十一条: the inspected entity objects (the credit department may register a paper
# application on its behalf); the supervising department reviews and feeds back, the credit
# department collects corrections; staff read, and an entity reads its own objections.
Applicant = Annotated[Principal, require(Role.ENTITY, Role.CREDIT_DEPT)]
Reviewer = Annotated[Principal, require(Role.SUPERVISING_DEPT, Role.CREDIT_DEPT)]
# 第九条: a confirmed error is reported to the credit department, which submits the correction.
CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
Staff = Annotated[Principal, require(*STAFF)]
Reader = Annotated[Principal, require(*STAFF, Role.ENTITY)]


def is_staff(principal: Principal) -> bool:
    return bool(principal.roles & set(STAFF))


def check_applicant(principal: Principal, uscc: str) -> None:
    """An entity objects only in its own name (403 otherwise); the credit department may
    register an application for any entity."""
    if Role.CREDIT_DEPT in principal.roles:
        return
    if not principal.uscc or principal.uscc.upper() != uscc.upper():
        raise Forbidden(
            f"检查对象只能以本单位名义提出异议：令牌中的统一社会信用代码为"
            f"「{principal.uscc or '（无）'}」，申请中的为「{uscc}」"
        )


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


class CorrectionSubmissionIn(BaseModel):
    """The credit department submits the confirmed correction (报请更正)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=2000, description="报请说明（如报市局的文号）")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_on: date | None = Field(None, description="反馈检查对象之日，默认今天")
    note: str = Field("", max_length=2000, description="反馈方式、送达情况等")


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/api/objections/objections", tags=["objections"])

    @router.post(
        "",
        status_code=201,
        summary="检查对象对公示的检查结果提出异议（或信用监管科代为登记书面申请）",
        responses={403: {"description": "缺少角色，或不是该检查结果的检查对象"}},
    )
    async def file(body: ObjectionIn, principal: Applicant) -> dict[str, Any]:
        check_applicant(principal, body.uscc)
        day = rt.clock.today()
        async with rt.uow(principal.context()) as uow:
            repo = SqlObjectionsRepository(uow.session)
            try:
                objection = await services.file_objection(
                    uow, repo, body.record_id, body.uscc, body.reason.strip(), body.received_on, day
                )
            except IntegrityError:
                raise Conflict("该检查结果已有尚未复查的异议，请等待复查结果") from None
        return model.view(objection, day)

    @router.post("/{objection_id}/decision", summary="复查：维持或更正")
    async def decide(objection_id: str, body: DecisionIn, principal: Reviewer) -> dict[str, Any]:
        day = rt.clock.today()
        async with rt.uow(principal.context()) as uow:
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
                reviewer_department=principal.department,
                submit_as_credit_department=Role.CREDIT_DEPT in principal.roles,
            )
        return model.view(objection, day)

    @router.post(
        "/{objection_id}/correction",
        summary="信用监管科报请更正经复查确有错误的检查结果（公示新版本）",
        description=(
            "第九条：经复查确有错误的，报信用监管科汇集，由信用监管科依规报请更正。"
            "记录报请人；公示服务据此发布新版本（原版本保留）。由信用监管科复查决定更正的，"
            "决定时即已报请。"
        ),
        responses={403: {"description": "缺少信用监管科角色"}},
    )
    async def submit_correction(
        objection_id: str, body: CorrectionSubmissionIn, principal: CreditDept
    ) -> dict[str, Any]:
        day = rt.clock.today()
        async with rt.uow(principal.context()) as uow:
            repo = SqlObjectionsRepository(uow.session)
            objection = await services.submit_correction(
                uow, repo, objection_id, body.note.strip(), day
            )
        return model.view(objection, day)

    @router.post("/{objection_id}/feedback", summary="登记复查情况已反馈检查对象")
    async def feedback(objection_id: str, body: FeedbackIn, principal: Reviewer) -> dict[str, Any]:
        day = rt.clock.today()
        async with rt.uow(principal.context()) as uow:
            repo = SqlObjectionsRepository(uow.session)
            objection = await services.give_feedback(
                uow, repo, objection_id, body.given_on, body.note.strip(), day
            )
        return model.view(objection, day)

    @router.get("", summary="异议列表（含期限与逾期标记）")
    async def list_objections(
        principal: Staff,
        status: Status | None = None,
        uscc: Annotated[str | None, Query(max_length=18)] = None,
        record_id: Annotated[str | None, Query(max_length=36)] = None,
        overdue: Annotated[bool, Query(description="只看已逾期（任一期限）")] = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        day = rt.clock.today()
        async with rt.db.sessions() as session:
            repo = SqlObjectionsRepository(session)
            total, rows = await repo.search(
                status, uscc, record_id, day if overdue else None, limit, offset
            )
            overdue_gauge.set_gauge(await repo.with_open_clocks(), day)  # refresh on read
        return {
            "total": total,
            "today": day.isoformat(),
            "items": [model.view(o, day) for o in rows],
        }

    @router.get(
        "/{objection_id}",
        summary="异议详情（本局工作人员，或提出异议的检查对象本身）",
        responses={403: {"description": "缺少角色，或不是本单位的异议"}},
    )
    async def get_objection(objection_id: str, principal: Reader) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            objection = await SqlObjectionsRepository(session).get(objection_id)
        if objection is None:
            raise NotFound(f"异议 {objection_id} 不存在")
        if not is_staff(principal) and principal.uscc.upper() != objection.uscc:
            raise Forbidden("检查对象只能查看本单位提出的异议")
        return model.view(objection, rt.clock.today())

    return router
