"""Attachments of an inspection (第八条 全过程记录, 第十二条 档案): upload, list, download."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response

from inspections.bootstrap import Deps
from inspections.domain import attachments as att
from inspections.entrypoints.routes.access import READ_REFUSALS, Signer, Staff, field_reader
from inspections.entrypoints.routes.uploads import UPLOAD_BODY, upload
from inspections.entrypoints.schemas import AttachmentOut, AttachmentPage
from inspections.service_layer import services, views
from spotcheck_common.events.inspections import AttachmentKind
from spotcheck_common.http import Refusal, refusals

router = APIRouter(prefix="/api/inspections/inspections", tags=["inspections"])


@router.post(
    "/{inspection_id}/attachments",
    status_code=201,
    summary="检查组成员上传附件（现场笔录、照片、责令整改通知书、送达回证、检查记录表、抽样单、检验报告）",
    description="原始字节或 multipart/form-data（字段 file）；kind、filename 为查询参数"
    "（multipart 时可取自表单）。检查记录提交后，仅在后续处理未办结时可上传。"
    "内容与其 SHA-256 一并保存，读取时校验。",
    responses=refusals(
        401,
        403,
        404,
        409,
        413,
        422,
        s403="缺少角色，或不是检查组成员",
        s404="检查记录不存在",
        s409="检查记录已提交且后续处理已办结（或没有后续处理）",
        s413="附件超过大小上限",
    ),
    openapi_extra=UPLOAD_BODY,
)
async def add_attachment(
    inspection_id: str,
    request: Request,
    principal: Signer,
    deps: Deps,
    kind: AttachmentKind | None = None,
    filename: Annotated[str | None, Query(max_length=att.MAX_FILENAME)] = None,
) -> AttachmentOut:
    limit = deps.settings.attachment_max_bytes
    the_kind, name, media_type, content = await upload(request, limit, kind, filename)
    async with deps.uow(principal.context()) as uow:
        attachment = await services.add_attachment(
            uow, inspection_id, principal.inspector_id, the_kind, name, media_type, content
        )
    return AttachmentOut.of(attachment)


@router.get(
    "/{inspection_id}/attachments",
    summary="检查记录的附件列表（含 SHA-256）",
    responses=READ_REFUSALS,
)
async def list_attachments(inspection_id: str, principal: Staff, deps: Deps) -> AttachmentPage:
    async with deps.uow(principal.context()) as uow:
        items = await views.attachments(uow, inspection_id, field_reader(principal))
    return AttachmentPage(total=len(items), items=[AttachmentOut.of(a) for a in items])


@router.get(
    "/{inspection_id}/attachments/{attachment_id}",
    summary="下载附件（读取时校验 SHA-256，不符则拒绝）",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "附件内容"},
        **refusals(401, 403, 404, s404="附件不存在"),
        500: {"model": Refusal, "description": "附件内容与 SHA-256 不符"},
    },
)
async def get_attachment(
    inspection_id: str, attachment_id: str, principal: Staff, deps: Deps
) -> Response:
    async with deps.uow(principal.context()) as uow:
        attachment, body = await views.attachment(
            uow, inspection_id, attachment_id, field_reader(principal)
        )
    return Response(
        body,
        media_type=att.served_type(attachment.media_type),
        headers={
            "X-Content-SHA256": attachment.sha256,
            "Content-Disposition": "attachment; filename*=UTF-8''"
            + quote(attachment.filename, safe=""),
        },
    )
