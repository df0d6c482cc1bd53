"""This bureau's side of its neighbours' joint draws (issue 10): its credit department,
signed in here, commits and reveals its own share; the drawing district receives them as
events from this district's own topics, never through its own staff.

    GET  /api/draws/joint-draws                      the neighbours' draws naming this bureau
    GET  /api/draws/joint-draws/{id}
    POST /api/draws/joint-draws/{id}/commitment      {commitment, public_key, valid_from,
                                                      valid_until, key_signature, signature}
    POST /api/draws/joint-draws/{id}/reveal          {share, signature} (after every commit)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from draws.bootstrap import Deps
from draws.entrypoints.schemas import JointCommitmentIn, JointDrawList, JointDrawOut, JointRevealIn
from draws.service_layer import joint
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import NotFound
from spotcheck_common.http import refusals
from spotcheck_common.roles import STAFF, Role

CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
Staff = Annotated[Principal, require(*STAFF)]

router = APIRouter(prefix="/api/draws/joint-draws", tags=["joint draws"])


@router.get("", summary="相邻区发起、本局为参与方的联合抽取", responses=refusals(401, 403))
async def list_joint_draws(principal: Staff, deps: Deps) -> JointDrawList:
    async with deps.uow(principal.context()) as uow:
        return JointDrawList(items=[JointDrawOut.of(j) for j in await uow.draws.list_joint_draws()])


@router.get("/{draw_id}", summary="一次联合抽取中本局的一方", responses=refusals(401, 403, 404))
async def get_joint_draw(draw_id: str, principal: Staff, deps: Deps) -> JointDrawOut:
    async with deps.uow(principal.context()) as uow:
        jd = await uow.draws.get_joint_draw(draw_id)
        if jd is None:
            raise NotFound(f"联合抽取 {draw_id} 不存在（或本局不是其参与方）")
        return JointDrawOut.of(jd)


@router.post(
    "/{draw_id}/commitment",
    summary="本局信用监管科提交其种子承诺（以登记到抽取区抽取日志的密钥签名）",
    responses=refusals(401, 403, 404, 409, 422),
)
async def commit(
    draw_id: str, body: JointCommitmentIn, principal: CreditDept, deps: Deps
) -> JointDrawOut:
    async with deps.uow(principal.context()) as uow:
        jd = await joint.commit_joint_share(
            uow,
            district=deps.district,
            draw_id=draw_id,
            commitment=body.commitment,
            public_key=body.public_key,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            key_signature=body.key_signature,
            signature=body.signature,
        )
        return JointDrawOut.of(jd)


@router.post(
    "/{draw_id}/reveal",
    summary="本局信用监管科揭示其种子份额（各参与方均已承诺后）",
    responses=refusals(401, 403, 404, 409, 422),
)
async def reveal(
    draw_id: str, body: JointRevealIn, principal: CreditDept, deps: Deps
) -> JointDrawOut:
    async with deps.uow(principal.context()) as uow:
        jd = await joint.reveal_joint_share(
            uow, district=deps.district, draw_id=draw_id, share=body.share, signature=body.signature
        )
        return JointDrawOut.of(jd)
