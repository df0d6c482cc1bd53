"""What anyone may read and check of a draw (no token): the manifest frozen before any random
number existed, the verifiable bundle, the proof that an entity is in the draw's population or
that it is not, the stand-alone verifier itself, and the neighbours' joint draws this bureau
took part in."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from draws.bootstrap import PUBLIC, Deps
from draws.entrypoints import tools
from draws.entrypoints.schemas import (
    AnyProof,
    DrawList,
    DrawSummary,
    KeyList,
    KeyOut,
    LogHead,
    LogOut,
    ManifestOut,
    PublicJointDraw,
    PublicJointDrawList,
    proof_out,
)
from draws.service_layer import views
from spotcheck_common.http import refusals

router = APIRouter(prefix="/public/draws", tags=["public"])


@router.get(
    "",
    summary="公示：本区的抽取（按任务；状态、清单摘要与结果摘要，作废的也在内）",
    responses=refusals(422),
)
async def public_draws(
    deps: Deps,
    task_id: Annotated[
        str | None, Query(max_length=100, description="抽查任务编号（task_id）")
    ] = None,
) -> DrawList:
    async with deps.uow(PUBLIC) as uow:
        draws = await views.draws_of_task(uow, task_id)
    return DrawList(total=len(draws), items=[DrawSummary.of(d) for d in draws])


@router.get(
    "/log",
    summary="公示：本区抽取日志（哈希链；verify_draw.py --log 的输入）",
    responses=refusals(422),
)
async def public_log(
    deps: Deps,
    after: Annotated[int, Query(ge=0, le=2**62, description="从此序号之后开始")] = 0,
    limit: Annotated[int, Query(ge=1, le=10000)] = 10000,
) -> LogOut:
    async with deps.uow(PUBLIC) as uow:
        return LogOut.model_validate(await views.log(uow, deps.district, after, limit))


@router.get("/log/head", summary="公示：本区抽取日志的链头（序号与哈希）")
async def public_log_head(deps: Deps) -> LogHead:
    async with deps.uow(PUBLIC) as uow:
        return LogHead.model_validate(await views.head(uow, deps.district))


@router.get("/keys", summary="公示：本区参与方密钥（有效期、吊销）")
async def public_keys(deps: Deps) -> KeyList:
    async with deps.uow(PUBLIC) as uow:
        keys = await views.keys(uow, deps.district)
    return KeyList(total=len(keys), items=[KeyOut.of(k) for k in keys])


@router.get(
    "/joint",
    summary="公示：本局参与的联合抽取（相邻区发起；数据包由抽取区公示，摘要为本局经消息总线收到的）",
)
async def public_joint_draws(deps: Deps) -> PublicJointDrawList:
    async with deps.uow(PUBLIC) as uow:
        found = await uow.draws.list_joint_draws()
    return PublicJointDrawList(total=len(found), items=[PublicJointDraw.of(j) for j in found])


@router.get(
    "/{draw_id}/manifest",
    summary="公示：抽取清单（随机数产生前冻结）",
    responses=refusals(404),
)
async def public_manifest(draw_id: str, deps: Deps) -> ManifestOut:
    async with deps.uow(PUBLIC) as uow:
        draw = await views.draw(uow, draw_id)
    return ManifestOut.of(draw)


@router.get(
    "/{draw_id}/bundle",
    summary="公示：可验证数据包（spotcheck-verify 的输入）",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
        **refusals(404, 409, s409="抽取尚未完成，暂无可验证的数据包"),
    },
)
async def public_bundle(draw_id: str, deps: Deps) -> Response:
    async with deps.uow(PUBLIC) as uow:
        body = await views.bundle(uow, draw_id)
    return Response(body, media_type="application/json")


@router.get(
    "/{draw_id}/proof/{uscc}",
    summary="公示：某市场主体在或不在抽取总体中的 Merkle 证明（spotcheck-verify --proof）",
    description="在总体中：包含证明（included 为 true，spotcheck-draw-proof/1）；不在总体中："
    "不包含证明（included 为 false，spotcheck-draw-nonproof/1），给出代码在有序总体中应处位置两侧的"
    "分块及其审计路径（规范 §4.3、§4.4）。",
    responses=refusals(
        404,
        422,
        s404="抽取不存在",
        s422="不是统一社会信用代码（18 位，数字及大写字母，不含 I、O、S、V、Z）",
    ),
)
async def public_proof(draw_id: str, uscc: str, deps: Deps) -> AnyProof:
    async with deps.uow(PUBLIC) as uow:
        manifest, manifest_sha256, proof = await views.proof(uow, draw_id, uscc)
    return proof_out(draw_id, manifest, manifest_sha256, proof)


@router.get(
    "/verifier/verify_draw.py",
    summary="下载独立验证程序 verify_draw.py（仅需 Python 标准库）",
    response_class=Response,
    responses={200: {"content": {"text/x-python": {"schema": {"type": "string"}}}}},
)
async def public_verifier() -> Response:
    return Response(tools.VERIFIER, media_type="text/x-python")


@router.get(
    "/ceremony/spotcheck-ceremony.pyz",
    summary="下载抽取仪式工具 spotcheck-ceremony（仅需 Python 标准库；密钥与份额只在本机生成）",
    response_class=Response,
    responses={200: {"content": {"application/zip": {"schema": {"type": "string"}}}}},
)
async def public_ceremony_tool() -> Response:
    return Response(
        tools.CEREMONY,
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="spotcheck-ceremony.pyz"',
            "X-Content-SHA256": hashlib.sha256(tools.CEREMONY).hexdigest(),
        },
    )
