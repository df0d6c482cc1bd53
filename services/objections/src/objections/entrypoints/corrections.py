"""Corrections requested from the city bureau over HTTP (第九条): the credit department requests
the correction of an error the bureau found itself (an objection's: ``POST …/objections/{id}/
correction``), records the city's reply with its document, and staff read the requests.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.exc import IntegrityError

from objections.bootstrap import Deps
from objections.domain import scans
from objections.domain.requests import RequestStatus
from objections.entrypoints.routes import CreditDept, Staff
from objections.entrypoints.schemas import (
    BureauCorrectionIn,
    CorrectionRequestOut,
    CorrectionRequestPage,
)
from objections.entrypoints.uploads import (
    REPLY_BODY,
    reply_form,
    scan_download,
    scan_download_responses,
)
from objections.service_layer import corrections, views
from spotcheck_common.errors import Conflict
from spotcheck_common.http import Offset, refusals

router = APIRouter(prefix="/api/objections/corrections", tags=["corrections"])


@router.post(
    "",
    status_code=201,
    summary="信用监管科就本局发现的错误向市局报请更正已公示的检查结果",
    description=(
        "第九条：检查结果一经公示不得擅自更改；事后发现确有错误的，报信用监管科汇集，由信用"
        "监管科依规向市局报请更正。登记报请文件的文号和日期；市局批复同意后才发布新版本。"
        "由异议复查确认的错误经 POST /api/objections/objections/{objection_id}/correction 报请。"
    ),
    responses=refusals(
        401,
        403,
        404,
        409,
        422,
        s403="缺少信用监管科角色",
        s404="公示记录不存在或尚未公示",
        s409="该检查结果另有待批复的报请",
    ),
)
async def request_correction(
    body: BureauCorrectionIn, principal: CreditDept, deps: Deps
) -> CorrectionRequestOut:
    day = deps.today()
    async with deps.uow(principal.context()) as uow:
        try:
            request = await corrections.request_correction(
                uow,
                body.record_id,
                body.corrected_results,
                body.reason.strip(),
                body.request_no.strip(),
                body.requested_on,
                body.note.strip(),
                day,
            )
        except IntegrityError:
            raise Conflict("该检查结果另有待市局批复的更正报请") from None
    return CorrectionRequestOut.of(request)


@router.post(
    "/{request_id}/reply",
    summary="信用监管科登记市局对更正报请的批复（同意或不予更正）",
    description=(
        "第九条：登记市局批复的文号和日期，可附批复的扫描件（multipart/form-data，字段 file；"
        f"PDF、JPEG 或 PNG，上限 {scans.MAX_BYTES // (1024 * 1024)} MiB）。同意的，公示服务"
        "发布新版本（原版本保留）；不予更正的须写明理由，因异议报请的即反馈检查对象。"
    ),
    responses=refusals(
        401,
        403,
        404,
        409,
        413,
        422,
        s403="缺少信用监管科角色",
        s409="该报请已登记批复",
        s413="扫描件超过大小上限",
    ),
    openapi_extra=REPLY_BODY,
)
async def record_reply(
    request_id: str, request: Request, principal: CreditDept, deps: Deps
) -> CorrectionRequestOut:
    limit = deps.settings.scan_max_bytes
    body, upload = await reply_form(request, limit)
    day = deps.today()
    async with deps.uow(principal.context()) as uow:
        recorded = await corrections.record_city_reply(
            uow,
            request_id,
            body.decision == "granted",
            body.reply_no.strip(),
            body.replied_on,
            body.reason.strip(),
            day,
            upload,
            limit,
        )
    return CorrectionRequestOut.of(recorded)


@router.get("", summary="向市局报请更正的记录", responses=refusals(401, 403, 422))
async def list_requests(
    principal: Staff,
    deps: Deps,
    status: RequestStatus | None = None,
    record_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> CorrectionRequestPage:
    async with deps.uow(principal.context()) as uow:
        page = await views.requests(uow, status, record_id, limit, offset)
    return CorrectionRequestPage(
        total=page.total, items=[CorrectionRequestOut.of(r) for r in page.items]
    )


@router.get(
    "/{request_id}", summary="更正报请详情（含市局批复）", responses=refusals(401, 403, 404)
)
async def get_request(request_id: str, principal: Staff, deps: Deps) -> CorrectionRequestOut:
    async with deps.uow(principal.context()) as uow:
        return CorrectionRequestOut.of(await views.request(uow, request_id))


@router.get(
    "/{request_id}/document",
    summary="下载市局批复的扫描件（本局工作人员；读取时校验 SHA-256）",
    response_class=Response,
    responses=scan_download_responses("报请不存在，或未附市局批复的扫描件", "市局批复的扫描件"),
)
async def download_document(request_id: str, principal: Staff, deps: Deps) -> Response:
    async with deps.uow(principal.context()) as uow:
        kept, content = await views.reply_document(uow, request_id)
    return scan_download(kept, content, f"city-reply-{kept.owner_id}")
