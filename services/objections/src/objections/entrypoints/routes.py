"""Objections over HTTP (thin: parse, call a use case or a view, shape the answer).

第九条、第十一条: the inspected entity objects online (the credit department registers a paper
application with its scan: ``paper.py``); the supervising department reviews and feeds back,
the credit department requests the city bureau to correct a confirmed error (its reply:
``corrections.py``); staff read, and an entity reads its own objections.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.exc import IntegrityError

from objections.bootstrap import Deps
from objections.domain.model import Status
from objections.entrypoints.schemas import (
    CityRequestIn,
    DecisionIn,
    FeedbackIn,
    ObjectionIn,
    ObjectionOut,
    ObjectionPage,
)
from objections.service_layer import corrections, services, views
from spotcheck_common import objects
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import Conflict, Forbidden
from spotcheck_common.http import Offset, refusals
from spotcheck_common.roles import STAFF, Role

Applicant = Annotated[Principal, require(Role.ENTITY, Role.CREDIT_DEPT)]
Reviewer = Annotated[Principal, require(Role.SUPERVISING_DEPT, Role.CREDIT_DEPT)]
# 第九条: a confirmed error is reported to the credit department, which submits the correction.
CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
Staff = Annotated[Principal, require(*STAFF)]
Reader = Annotated[Principal, require(*STAFF, Role.ENTITY)]

router = APIRouter(prefix="/api/objections/objections", tags=["objections"])


def is_staff(principal: Principal) -> bool:
    return bool(principal.roles & set(STAFF))


def applicant(principal: Principal) -> str | None:
    """The credit code an entity files in, in its own name; None for the credit department,
    which registers an application for any object."""
    return None if Role.CREDIT_DEPT in principal.roles else principal.uscc


def check_applicant(principal: Principal, uscc: str) -> None:
    """An entity objects only in its own name (403 otherwise); the credit department may
    register an application for any entity. An object id in the ``Z`` namespace is no one's
    code: the record says who may object (a product's producer; ``services.file_objection``)."""
    if Role.CREDIT_DEPT in principal.roles or uscc.upper().startswith(objects.NAMESPACE):
        return
    if not principal.uscc or principal.uscc.upper() != uscc.upper():
        raise Forbidden(
            f"检查对象只能以本单位名义提出异议：令牌中的统一社会信用代码为"
            f"「{principal.uscc or '（无）'}」，申请中的为「{uscc}」"
        )


def registers_paper(principal: Principal, uscc: str) -> bool:
    """The credit department filing for an entity registers a paper application (the entity
    files online, in its own name)."""
    own = Role.ENTITY in principal.roles and principal.uscc.upper() == uscc.upper()
    return Role.CREDIT_DEPT in principal.roles and not own


@router.post(
    "",
    status_code=201,
    summary="检查对象网上对公示的检查结果提出异议",
    description=(
        "第十一条：检查对象以本单位名义提出，以系统收到之日为收到之日。书面申请须附申请书"
        "扫描件，由信用监管科经 POST /api/objections/objections/paper 登记（在此提交的"
        "书面申请不予登记）。"
    ),
    responses=refusals(
        401,
        403,
        404,
        409,
        422,
        s403="缺少角色，或不是该检查结果的检查对象",
        s422="内容不符合要求，或网上申请填写了收到之日，或书面申请未附扫描件",
    ),
)
async def file(body: ObjectionIn, principal: Applicant, deps: Deps) -> ObjectionOut:
    check_applicant(principal, body.uscc)
    day = deps.today()
    async with deps.uow(principal.context()) as uow:
        try:
            objection = await services.file_objection(
                uow,
                body.record_id,
                body.uscc,
                body.reason.strip(),
                body.received_on,
                day,
                paper=registers_paper(principal, body.uscc),
                applicant=applicant(principal),
            )
        except IntegrityError:
            raise Conflict("该检查结果已有尚未复查的异议，请等待复查结果") from None
    return ObjectionOut.of(objection, day)


@router.post(
    "/{objection_id}/decision",
    summary="复查：维持或更正",
    responses=refusals(401, 403, 404, 409, 422),
)
async def decide(
    objection_id: str, body: DecisionIn, principal: Reviewer, deps: Deps
) -> ObjectionOut:
    day = deps.today()
    async with deps.uow(principal.context()) as uow:
        objection = await services.decide_objection(
            uow,
            objection_id,
            body.decision,
            body.reason.strip(),
            body.corrected_results,
            body.decided_on,
            day,
            reviewer_department=principal.department,
            credit_department=Role.CREDIT_DEPT in principal.roles,
        )
    return ObjectionOut.of(objection, day)


@router.post(
    "/{objection_id}/correction",
    summary="信用监管科就经复查确有错误的检查结果向市局报请更正",
    description=(
        "第九条：经复查确有错误的，报信用监管科汇集，由信用监管科依规向市局报请更正。"
        "登记报请文件的文号和日期；报请本身不发布任何内容，市局批复同意"
        "（POST /api/objections/corrections/{request_id}/reply）后公示服务才发布新版本。"
        "在 5 个工作日的更正期限内报请的，市局批复前更正期限停止计算。"
    ),
    responses=refusals(
        401,
        403,
        404,
        409,
        422,
        s403="缺少信用监管科角色",
        s409="尚未复查、已报请，或该检查结果另有待批复的报请",
    ),
)
async def request_correction(
    objection_id: str, body: CityRequestIn, principal: CreditDept, deps: Deps
) -> ObjectionOut:
    day = deps.today()
    async with deps.uow(principal.context()) as uow:
        try:
            await corrections.request_objection_correction(
                uow,
                objection_id,
                body.request_no.strip(),
                body.requested_on,
                body.note.strip(),
                day,
            )
        except IntegrityError:
            raise Conflict("该检查结果另有待市局批复的更正报请") from None
    async with deps.uow(principal.context()) as uow:
        objection = await views.objection(uow, objection_id)
    return ObjectionOut.of(objection, day)


@router.post(
    "/{objection_id}/feedback",
    summary="登记复查情况已反馈检查对象",
    responses=refusals(401, 403, 404, 409, 422),
)
async def feedback(
    objection_id: str, body: FeedbackIn, principal: Reviewer, deps: Deps
) -> ObjectionOut:
    day = deps.today()
    async with deps.uow(principal.context()) as uow:
        objection = await services.give_feedback(
            uow,
            objection_id,
            body.given_on,
            body.note.strip(),
            day,
            reviewer_department=principal.department,
            credit_department=Role.CREDIT_DEPT in principal.roles,
        )
    return ObjectionOut.of(objection, day)


@router.get(
    "",
    summary="异议列表（含期限与逾期标记）",
    responses=refusals(401, 403, 422),
)
async def list_objections(
    principal: Staff,
    deps: Deps,
    status: Status | None = None,
    uscc: Annotated[
        str | None, Query(max_length=18, description="检查对象的统一社会信用代码或对象编码")
    ] = None,
    record_id: Annotated[str | None, Query(max_length=36)] = None,
    overdue: Annotated[bool, Query(description="只看已逾期（任一期限）")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> ObjectionPage:
    day = deps.today()
    async with deps.uow(principal.context()) as uow:
        page = await views.search(
            uow, status, uscc, record_id, day if overdue else None, limit, offset
        )
    return ObjectionPage(
        total=page.total, today=day, items=[ObjectionOut.of(o, day) for o in page.items]
    )


@router.get(
    "/{objection_id}",
    summary="异议详情（本局工作人员，或提出异议的检查对象本身）",
    responses=refusals(401, 403, 404, s403="缺少角色，或不是本单位的异议"),
)
async def get_objection(objection_id: str, principal: Reader, deps: Deps) -> ObjectionOut:
    async with deps.uow(principal.context()) as uow:
        if is_staff(principal):
            objection = await views.objection(uow, objection_id)
        else:
            objection = await views.objection_of_entity(uow, objection_id, principal.uscc)
    return ObjectionOut.of(objection, deps.today())
