"""Paper objections over HTTP: the credit department registers a paper application with the
scan of the paper (第十一条); staff download the scan.

The scan is served as a download (``Content-Disposition: attachment``) with the type its
content was recognised as (PDF, JPEG or PNG: inert in every browser), ``nosniff``, never cached,
its SHA-256 checked first.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import IntegrityError

from objections.bootstrap import Deps
from objections.domain import scans
from objections.entrypoints.routes import CreditDept, Staff, check_applicant
from objections.entrypoints.schemas import ObjectionOut
from objections.entrypoints.uploads import (
    PAPER_BODY,
    paper_form,
    scan_download,
    scan_download_responses,
)
from objections.service_layer import services, views
from spotcheck_common.errors import Conflict
from spotcheck_common.http import refusals

router = APIRouter(prefix="/api/objections/objections", tags=["objections"])


@router.post(
    "/paper",
    status_code=201,
    summary="信用监管科登记书面异议申请（附申请书扫描件）",
    description=(
        "第十一条：检查对象以书面方式提出异议的，由信用监管科登记收到之日，并上传申请书扫描件"
        "（multipart/form-data，字段 file；PDF、JPEG 或 PNG，按文件内容识别，"
        f"上限 {scans.MAX_BYTES // (1024 * 1024)} MiB）。扫描件与其 SHA-256、登记人、"
        "登记时间一并保存，不得修改或删除；没有扫描件的书面申请不予登记。"
    ),
    responses=refusals(
        401,
        403,
        404,
        409,
        413,
        422,
        s403="缺少信用监管科角色",
        s404="公示记录不存在或尚未公示",
        s409="该检查结果已有尚未复查的异议",
        s413="扫描件超过大小上限",
        s422="缺少扫描件、扫描件不是 PDF/JPEG/PNG、文件名不可用，或申请内容不符合要求",
    ),
    openapi_extra=PAPER_BODY,
)
async def file_paper(request: Request, principal: CreditDept, deps: Deps) -> ObjectionOut:
    limit = deps.settings.scan_max_bytes
    body, upload = await paper_form(request, limit)
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
                paper=True,
                upload=upload,
                scan_max_bytes=limit,
            )
        except IntegrityError:
            raise Conflict("该检查结果已有尚未复查的异议，请等待复查结果") from None
    return ObjectionOut.of(objection, day)


@router.get(
    "/{objection_id}/scan",
    summary="下载书面异议申请的扫描件（本局工作人员；读取时校验 SHA-256）",
    response_class=Response,
    responses=scan_download_responses("异议不存在，或没有扫描件（网上提出的异议）"),
)
async def download_scan(objection_id: str, principal: Staff, deps: Deps) -> Response:
    async with deps.uow(principal.context()) as uow:
        scan, content = await views.scan(uow, objection_id)
    return scan_download(scan, content, f"objection-{scan.owner_id}")
