"""Exemptions from accountability (第十三条): the department answering for a failure (or the
credit department) proposes with evidence; the director's meeting decides. Both acts are filed
in the task's dossier."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response

from archives.bootstrap import Deps
from archives.domain.exemptions import Status
from archives.entrypoints.routes.access import (
    AccountabilityReader,
    Department,
    Reader,
    department_scope,
)
from archives.entrypoints.schemas import (
    DecisionIn,
    EvidenceOut,
    ExemptionOut,
    ExemptionPage,
    ProposalIn,
)
from archives.service_layer import exemptions as service
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import TooLarge
from spotcheck_common.http import Refusal, refusals
from spotcheck_common.roles import ROLE_LABELS, Role

router = APIRouter(prefix="/api/archives/exemptions", tags=["archives"])

Proposer = Annotated[Principal, require(Role.CREDIT_DEPT, Role.SUPERVISING_DEPT)]
DirectorMeeting = Annotated[Principal, require(Role.DIRECTOR_MEETING)]
ExemptionId = Annotated[str, Path(min_length=1, max_length=36, description="免责申请编号")]


def proposer(principal: Principal) -> service.Proposer:
    credit = Role.CREDIT_DEPT in principal.roles
    own = principal.department or (ROLE_LABELS[Role.CREDIT_DEPT] if credit else "")
    return service.Proposer(principal.user, own, credit)


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes ``limit`` bytes."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"证明材料超过大小上限 {limit} 字节", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/evidence",
    status_code=201,
    summary="上传免责证明材料（保存内容及其 SHA-256，申请时引用）",
    description="请求体为文件原始字节，Content-Type 即文件类型；task_id、filename 为查询参数。",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
    responses=refusals(
        401, 403, 404, 413, 422, s403="缺少角色，或是相邻区的任务", s404="任务尚无档案"
    ),
)
async def upload_evidence(
    request: Request,
    principal: Proposer,
    deps: Deps,
    task_id: Annotated[str, Query(min_length=1, max_length=100)],
    filename: Annotated[str, Query(min_length=1, max_length=service.MAX_FILENAME)],
) -> EvidenceOut:
    content = await read_limited(request, service.MAX_EVIDENCE_BYTES)
    media_type = request.headers.get("content-type", "")
    async with deps.uow(principal.context()) as uow:
        evidence = await service.upload_evidence(uow, task_id, filename, media_type, content)
    return EvidenceOut.of(evidence)


@router.get(
    "/evidence/{evidence_id}",
    summary="下载免责证明材料（读取时校验 SHA-256，不符则拒绝）",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "证明材料内容"},
        **refusals(401, 403, 404, s404="证明材料不存在"),
        500: {"model": Refusal, "description": "内容与 SHA-256 不符"},
    },
)
async def download_evidence(
    evidence_id: Annotated[str, Path(min_length=1, max_length=36)],
    principal: Reader,
    deps: Deps,
) -> Response:
    async with deps.uow(principal.context()) as uow:
        evidence, content = await service.evidence_file(uow, evidence_id)
    return Response(
        content,
        # Served as bytes to download: an uploaded page or script never runs in the console.
        media_type="application/octet-stream",
        headers={
            "X-Content-SHA256": evidence.sha256,
            "Content-Disposition": "attachment; filename*=UTF-8''"
            + quote(evidence.filename, safe=""),
        },
    )


@router.post(
    "",
    status_code=201,
    summary="申请免责（第十三条）：责任科室或信用监管科，说明情形、理由并附证明材料；归入任务档案",
    responses=refusals(
        401,
        403,
        404,
        409,
        422,
        s403="缺少角色，或不是该事项的责任科室",
        s404="该事项截至今天不在责任追究报告中，或证明材料不存在",
        s409="该事项已有待决定的申请，或已决定免责",
        s422="未说明免责情形、理由或证明材料",
    ),
)
async def propose(body: ProposalIn, principal: Proposer, deps: Deps) -> ExemptionOut:
    async with deps.uow(principal.context()) as uow:
        exemption = await service.propose_exemption(
            uow,
            proposer(principal),
            body.item_id,
            body.circumstances,
            body.statement,
            body.evidence_ids,
            body.attachment_ids,
        )
    return ExemptionOut.of(exemption)


@router.post(
    "/{exemption_id}/decision",
    summary="局长办公会决定是否免责（会议日期、纪要编号、理由）；归入任务档案",
    responses=refusals(
        401,
        403,
        404,
        409,
        422,
        s403="缺少局长办公会角色",
        s404="免责申请不存在",
        s409="该申请已经决定",
        s422="会议日期早于申请日或晚于今天，或缺少理由、纪要编号",
    ),
)
async def decide(
    exemption_id: ExemptionId, body: DecisionIn, principal: DirectorMeeting, deps: Deps
) -> ExemptionOut:
    async with deps.uow(principal.context()) as uow:
        exemption = await service.decide_exemption(
            uow, exemption_id, body.granted, body.reasons, body.meeting_date, body.minute_no
        )
    return ExemptionOut.of(exemption)


@router.get(
    "",
    summary="免责申请及决定（按任务、状态、责任科室）",
    responses=refusals(401, 403, s403="缺少角色，或监管科室查看其他科室"),
)
async def list_exemptions(
    principal: AccountabilityReader,
    deps: Deps,
    task_id: Annotated[str | None, Query(max_length=100)] = None,
    status: Status | None = None,
    department: Department = None,
) -> ExemptionPage:
    scope = department_scope(principal, department)
    async with deps.uow(principal.context()) as uow:
        found = await service.exemptions(uow, task_id, status, scope)
    return ExemptionPage(total=len(found), items=[ExemptionOut.of(e) for e in found])


@router.get(
    "/{exemption_id}",
    summary="一项免责申请：事项、情形、理由、证明材料（SHA-256）及局长办公会的决定",
    responses=refusals(401, 403, 404, s403="缺少角色，或监管科室查看其他科室"),
)
async def get_exemption(
    exemption_id: ExemptionId, principal: AccountabilityReader, deps: Deps
) -> ExemptionOut:
    async with deps.uow(principal.context()) as uow:
        exemption = await service.exemption(uow, exemption_id)
    department_scope(principal, exemption.proposal.department)
    return ExemptionOut.of(exemption)
