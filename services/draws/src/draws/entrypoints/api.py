"""Draws HTTP API (thin: parse, call the service layer, shape the answer).

A draw, step by step (each party generates its 32-byte share itself and keeps it secret until
every party has committed; commitment = SHA-256 as in ``docs/draw-spec.md`` §3):

    POST /api/draws/draws                      {"task_id": ...}            → manifest frozen
    POST /api/draws/draws/{id}/commitments     {"party", "commitment"}     (every party)
    POST /api/draws/draws/{id}/reveals         {"party", "share"}          (every party; the
                                               last one fixes the seed and computes the result)
    POST /api/draws/draws/{id}/beacon          {"value"}              (if the manifest names one)
    POST /api/draws/draws/{id}/countersign     {"opinion"}                 → DrawCompleted
    POST /api/draws/draws/{id}/replacements    {uscc, inspector_id, reason, approved_by,
                                                approval_ref}
    GET  /public/draws/{id}/bundle             the verifier's input

Roles (bearer token): creating, the beacon and cancelling — credit_dept; a party's commitment
and reveal — general_office for the party 办公室, credit_dept for every other party;
countersigning — general_office; replacements — credit_dept or deputy_director (the deputy
director's approval is recorded in the body); reading — any staff role; /public/* — anyone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from draws.adapters.repository import SqlDrawsRepository
from draws.adapters.snapshot import SnapshotStore
from draws.domain import fast
from draws.domain import protocol as p
from draws.service_layer import services
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import Conflict, NotFound
from spotcheck_common.events.types import USCC
from spotcheck_common.roles import STAFF, Role
from spotcheck_common.service import ServiceRuntime

# Who may do what (第六条: the credit department runs the draw, the general office supervises
# it and is a seed party, the deputy director approves replacements).
CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
SeedParty = Annotated[Principal, require(Role.CREDIT_DEPT, Role.GENERAL_OFFICE)]
GeneralOffice = Annotated[Principal, require(Role.GENERAL_OFFICE)]
Replacer = Annotated[Principal, require(Role.CREDIT_DEPT, Role.DEPUTY_DIRECTOR)]
Staff = Annotated[Principal, require(*STAFF)]
OFFICE_PARTY = "办公室"


def _may_act_for(principal: Principal, party: str) -> None:
    """The general office's share is the office's; every other party's, a credit department's."""
    needed = Role.GENERAL_OFFICE if party == OFFICE_PARTY else Role.CREDIT_DEPT
    if needed not in principal.roles:
        label = (
            "办公室(general_office)" if needed is Role.GENERAL_OFFICE else "信用监管科(credit_dept)"
        )
        raise HTTPException(403, f"只有{label}可以代表参与方「{party}」提交承诺或揭示种子")


# The stand-alone verifier, served as the one file a citizen downloads.
VERIFIER_SOURCE = (Path(__file__).resolve().parent.parent / "verify_draw.py").read_bytes()


class DrawIn(BaseModel):
    task_id: str = Field(min_length=1, description="已批准的抽查任务")
    parties: list[str] | None = Field(
        None,
        description="种子参与方（按此顺序组合）；默认 信用监管科、办公室；联合抽取可增加相邻区域",
    )
    caps: dict[str, int] | None = Field(
        None, description="按风险等级设置的年度抽查上限，默认每类 2 次", examples=[{"E": 3}]
    )
    beacon_source: str | None = Field(
        None, description="外部信标的来源说明（冻结时写入清单；信标值在承诺齐后录入）"
    )
    neighbour_rule: str = Field(
        "none", description="相邻区域执法人员的使用规则：none 或 fill-when-short（本区不足时补充）"
    )


class CommitmentIn(BaseModel):
    party: str = Field(min_length=1)
    commitment: str = Field(min_length=64, max_length=64, description="承诺值（64 个十六进制字符）")


class RevealIn(BaseModel):
    party: str = Field(min_length=1)
    share: str = Field(min_length=64, max_length=64, description="种子份额（32 字节，十六进制）")


class BeaconIn(BaseModel):
    value: str = Field(min_length=2, max_length=128, description="外部信标值（十六进制）")


class CountersignIn(BaseModel):
    opinion: str = Field("抽取过程符合规定", description="监督意见")


class ReplacementIn(BaseModel):
    uscc: USCC
    inspector_id: str = Field(min_length=1, description="被调换的执法检查人员")
    reason: str = Field(min_length=1, description="调换理由")
    approved_by: str = Field(min_length=1, description="批准调换的分管局长")
    approval_ref: str = Field(min_length=1, description="批准文号或记录编号")


class CancelIn(BaseModel):
    reason: str = Field(min_length=1)


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["draws"])
    prefix = "/api/draws"
    snapshots = rt.state.setdefault(
        "snapshots", SnapshotStore(rt.settings.data_dir / f"{rt.district}-draws-snapshot")
    )

    async def _run(ctx: Any, action: Any) -> dict[str, Any]:
        async with rt.uow(ctx) as uow:
            repo = SqlDrawsRepository(uow.session, rt.db.postgres)
            draw = await action(uow, repo)
            if isinstance(draw, dict):
                return draw
        async with rt.db.sessions() as session:
            return await services.view(SqlDrawsRepository(session, rt.db.postgres), draw)

    @router.post(
        f"{prefix}/draws", status_code=201, summary="创建抽取：冻结并公示抽取清单（尚无任何随机数）"
    )
    async def create_draw(body: DrawIn, principal: CreditDept) -> dict[str, Any]:
        return await _run(
            principal.context(),
            lambda uow, repo: services.create_draw(
                uow,
                repo,
                district=rt.district,
                task_id=body.task_id,
                parties=body.parties,
                caps=body.caps,
                beacon_source=body.beacon_source,
                neighbour_rule=body.neighbour_rule,
                snapshots=snapshots,
                neighbours=rt.settings.neighbour_districts,
            ),
        )

    @router.post(f"{prefix}/draws/{{draw_id}}/commitments", summary="参与方提交种子承诺（SHA-256）")
    async def commit(draw_id: str, body: CommitmentIn, principal: SeedParty) -> dict[str, Any]:
        _may_act_for(principal, body.party)
        return await _run(
            principal.context(),
            lambda uow, repo: services.commit_share(
                uow, repo, draw_id, body.party, body.commitment
            ),
        )

    @router.post(
        f"{prefix}/draws/{{draw_id}}/reveals", summary="参与方揭示种子份额（与承诺不符则拒绝）"
    )
    async def reveal(draw_id: str, body: RevealIn, principal: SeedParty) -> dict[str, Any]:
        _may_act_for(principal, body.party)
        return await _run(
            principal.context(),
            lambda uow, repo: services.reveal_share(uow, repo, draw_id, body.party, body.share),
        )

    @router.post(f"{prefix}/draws/{{draw_id}}/beacon", summary="录入清单指定的外部信标值")
    async def beacon(draw_id: str, body: BeaconIn, principal: CreditDept) -> dict[str, Any]:
        return await _run(
            principal.context(),
            lambda uow, repo: services.set_beacon(uow, repo, draw_id, body.value),
        )

    @router.post(f"{prefix}/draws/{{draw_id}}/countersign", summary="办公室监督会签（完成抽取）")
    async def countersign(
        draw_id: str, body: CountersignIn, principal: GeneralOffice
    ) -> dict[str, Any]:
        return await _run(
            principal.context(),
            lambda uow, repo: services.countersign(
                uow,
                repo,
                draw_id,
                principal.name or principal.user,
                body.opinion,
                f"/public/draws/{draw_id}/bundle",
            ),
        )

    @router.post(
        f"{prefix}/draws/{{draw_id}}/replacements",
        status_code=201,
        summary="经分管局长同意调换执法检查人员（按同一规则另行抽取）",
    )
    async def replace(draw_id: str, body: ReplacementIn, principal: Replacer) -> dict[str, Any]:
        return await _run(
            principal.context(),
            lambda uow, repo: services.replace_inspector(
                uow,
                repo,
                draw_id,
                uscc=body.uscc,
                inspector_id=body.inspector_id,
                reason=body.reason,
                approved_by=body.approved_by,
                approval_ref=body.approval_ref,
            ),
        )

    @router.post(
        f"{prefix}/draws/{{draw_id}}/cancel", summary="作废抽取（仅限尚无参与方揭示种子时）"
    )
    async def cancel(draw_id: str, body: CancelIn, principal: CreditDept) -> dict[str, Any]:
        return await _run(
            principal.context(),
            lambda uow, repo: services.cancel_draw(uow, repo, draw_id, body.reason),
        )

    @router.get(f"{prefix}/draws/{{draw_id}}", summary="抽取详情")
    async def get_draw(draw_id: str, principal: Staff) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlDrawsRepository(session, rt.db.postgres)
            draw = await repo.get_draw(draw_id)
            if draw is None:
                raise NotFound(f"抽取 {draw_id} 不存在")
            return await services.view(repo, draw)

    @router.get(f"{prefix}/draws", summary="按任务查询抽取")
    async def list_draws(
        principal: Staff, task_id: Annotated[str | None, Query()] = None
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlDrawsRepository(session, rt.db.postgres)
            draws = await repo.list_draws(task_id)
            items = [
                {
                    "draw_id": d.draw_id,
                    "task_id": d.task_id,
                    "task_no": d.task_no,
                    "status": d.status,
                    "manifest_sha256": d.manifest_sha256,
                    "result_sha256": d.result_sha256,
                    "created_at": d.created_at.isoformat() if d.created_at else None,
                }
                for d in draws
            ]
        return {"total": len(items), "items": items}

    @router.get(
        "/public/draws/{draw_id}/manifest",
        tags=["public"],
        summary="公示：抽取清单（随机数产生前冻结）",
    )
    async def public_manifest(draw_id: str) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            draw = await SqlDrawsRepository(session, rt.db.postgres).get_draw(draw_id)
        if draw is None:
            raise NotFound(f"抽取 {draw_id} 不存在")
        return {
            "manifest": draw.manifest,
            "manifest_sha256": draw.manifest_sha256,
            "commitments": draw.commitments,
            "status": draw.status,
        }

    @router.get(
        "/public/draws/{draw_id}/bundle",
        tags=["public"],
        summary="公示：可验证数据包（spotcheck-verify 的输入）",
        response_class=Response,
        responses={200: {"content": {"application/json": {}}}},
    )
    async def public_bundle(draw_id: str) -> Response:
        async with rt.db.sessions() as session:
            repo = SqlDrawsRepository(session, rt.db.postgres)
            draw = await repo.get_draw(draw_id)
            if draw is None:
                raise NotFound(f"抽取 {draw_id} 不存在")
            if draw.result is None:
                raise Conflict("抽取尚未完成，暂无可验证的数据包")
            pop = await repo.get_population(draw_id)
        return Response(p.canonical_json(draw.bundle(pop)), media_type="application/json")

    @router.get(
        "/public/draws/{draw_id}/proof/{uscc}",
        tags=["public"],
        summary="公示：某市场主体在抽取总体中的 Merkle 包含证明（spotcheck-verify --proof）",
    )
    async def public_proof(draw_id: str, uscc: str) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlDrawsRepository(session, rt.db.postgres)
            draw = await repo.get_draw(draw_id)
            if draw is None:
                raise NotFound(f"抽取 {draw_id} 不存在")
            pop = await repo.get_population(draw_id)
        chunk = int(draw.manifest["population"]["chunk_size"])
        proof = p.inclusion_proof(pop, uscc.upper(), fast.population_leaves(pop, chunk), chunk)
        if proof is None:
            raise NotFound(f"{uscc} 不在本次抽取的总体中")
        return {
            **proof,
            "draw_id": draw_id,
            "population_root": draw.manifest["population"]["merkle_root"],
            "manifest_sha256": draw.manifest_sha256,
        }

    @router.get(
        "/public/draws/verifier/verify_draw.py",
        tags=["public"],
        summary="下载独立验证程序 verify_draw.py（仅需 Python 标准库）",
        response_class=Response,
    )
    async def public_verifier() -> Response:
        return Response(VERIFIER_SOURCE, media_type="text/x-python")

    return router
