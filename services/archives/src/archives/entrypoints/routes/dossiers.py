"""Task dossiers (档案): list, read with the chain checked on the spot, contents by 第十二条,
attachment checks, export."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response

from archives.bootstrap import Deps
from archives.entrypoints.routes.access import Reader, TaskId
from archives.entrypoints.schemas import (
    AttachmentCheckOut,
    DossierContentsOut,
    DossierList,
    DossierOut,
    DossierSummary,
    VerificationOut,
)
from archives.service_layer import views
from spotcheck_common.http import Offset, refusals

router = APIRouter(prefix="/api/archives/dossiers", tags=["archives"])


@router.get("", summary="档案列表（条目数、最近归档时间）", responses=refusals(401, 403))
async def list_dossiers(
    principal: Reader,
    deps: Deps,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> DossierList:
    async with deps.uow(principal.context()) as uow:
        page = await views.dossiers(uow, limit, offset)
    return DossierList(total=page.total, items=[DossierSummary.of(h) for h in page.items])


@router.get(
    "/{task_id}",
    summary="任务档案：按序列出全部条目及哈希，并当场重新校验哈希链",
    responses=refusals(401, 403, 404),
)
async def get_dossier(task_id: TaskId, principal: Reader, deps: Deps) -> DossierOut:
    async with deps.uow(principal.context()) as uow:
        view = await views.read_dossier(uow, task_id)
    return DossierOut.of(view)


@router.get(
    "/{task_id}/contents",
    summary="档案目录：按第十二条的材料类别（计划、实施方案、检查记录表、现场笔录……）",
    responses=refusals(401, 403, 404),
)
async def dossier_contents(task_id: TaskId, principal: Reader, deps: Deps) -> DossierContentsOut:
    async with deps.uow(principal.context()) as uow:
        view = await views.read_dossier(uow, task_id)
    return DossierContentsOut.of(view)


@router.post(
    "/{task_id}/attachments/{attachment_id}/check",
    summary="核对附件文件：与档案中归档的 SHA-256 是否一致（不改变档案）",
    description="请求体为文件原始字节（application/octet-stream）。",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
    responses=refusals(401, 403, 404),
)
async def check_attachment(
    task_id: TaskId,
    attachment_id: Annotated[str, Path(min_length=1, max_length=100)],
    request: Request,
    principal: Reader,
    deps: Deps,
) -> AttachmentCheckOut:
    async with deps.uow(principal.context()) as uow:
        view = await views.read_dossier(uow, task_id)
    content = await request.body()
    return AttachmentCheckOut.of(views.check_attachment(view, attachment_id, content))


@router.get(
    "/{task_id}/verify",
    summary="校验档案哈希链，报告第一个不符的条目序号",
    responses=refusals(401, 403, 404),
)
async def verify_dossier(task_id: TaskId, principal: Reader, deps: Deps) -> VerificationOut:
    async with deps.uow(principal.context()) as uow:
        view = await views.read_dossier(uow, task_id)
    return VerificationOut.of(view.verification)


@router.get(
    "/{task_id}/export",
    summary="导出档案：一个 JSON 文件，含清单与全部条目",
    description="可用 `spotcheck-archives verify 文件` 离线校验（仅需 Python 标准库）。",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "档案导出文件"},
        **refusals(401, 403, 404),
    },
)
async def export_dossier(task_id: TaskId, principal: Reader, deps: Deps) -> Response:
    async with deps.uow(principal.context()) as uow:
        view = await views.read_dossier(uow, task_id)
    document = views.export_document(view, deps.district, deps.now(), principal.user)
    body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    filename = quote(f"dossier-{task_id}.json", safe="")
    return Response(
        content=body.encode("utf-8"),
        media_type="application/json",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"},
    )
