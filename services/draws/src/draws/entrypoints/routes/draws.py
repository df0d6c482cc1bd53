"""A draw, step by step (thin: parse, call a use case or a view, shape the answer).

Every draw is ``spotcheck-draw/3`` (``docs/draw-spec.md`` §14): each person makes their share
and their Ed25519 key on their own computer (``spotcheck-ceremony``) and signs each act; every
step is a record of the district's draw log.

    POST /api/draws/draws                      {"task_id", …}              → manifest frozen
    POST /api/draws/draws/{id}/commitments     {party, commitment, key_id, signature}
    POST /api/draws/draws/{id}/reveals         {party, share, key_id, signature} (the last
                                               one fixes the seed and computes the result)
    POST /api/draws/draws/{id}/beacon          {"value"}   (if named: after every reveal,
                                               once the beacon is public)
    POST /api/draws/draws/{id}/assignment      {targets, key_id, signature}  (direct assignment,
                                               §15: the teams of the drawn targets)
    POST /api/draws/draws/{id}/countersign     {opinion, key_id, signature, acknowledge_unstaffed}
    POST /api/draws/draws/{id}/cancel          {reason, key_id, signature}  (before any reveal)
    POST /api/draws/draws/{id}/abort           (after the reveal deadline, shares missing)
    POST /api/draws/draws/{id}/replacement-approvals  {uscc, inspector_id, reason}
                                               (the deputy director, signed in)
    POST /api/draws/draws/{id}/replacements    {uscc, inspector_id, reason, approval_id}

Roles (bearer token): creating and cancelling — credit_dept; the beacon and aborting —
credit_dept or general_office (either may enter the public beacon: no one can stall it); a
party's commitment and reveal — general_office for the party 办公室, agency_liaison (whose
token's ``agency`` claim names the agency) for a co-organising agency's party
``<agency>:联合检查单位`` (draw spec §16), credit_dept for every other party; a direct
assignment — credit_dept (signing for 信用监管科); countersigning —
general_office; approving a replacement — deputy_director;
drawing it — credit_dept or deputy_director, naming the approval; reading — any staff role,
and a co-organising agency's liaison a draw its agency is a party of.

Duties, whatever the roles a token combines: each party's share is held by a different person
(who commits it, and alone reveals it), and the countersigner holds no share, did not
create the draw and did not assign its teams (403 naming the conflict).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from draws.bootstrap import Deps
from draws.domain import agencies
from draws.domain import protocol as p
from draws.domain.model import Draw
from draws.entrypoints.schemas import (
    ApprovalIn,
    ApprovalOut,
    AssignmentIn,
    BeaconIn,
    CancelIn,
    CommitmentIn,
    CountersignIn,
    DrawIn,
    DrawList,
    DrawOut,
    DrawSummary,
    ReceiptList,
    ReceiptOut,
    ReplacementIn,
    ReplacementOut,
    RevealIn,
    Signed,
)
from draws.service_layer import services, views
from draws.service_layer.unit_of_work import DrawsUnitOfWork
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import Forbidden
from spotcheck_common.http import refusals
from spotcheck_common.roles import STAFF, Role

# Who may do what (第六条: the credit department runs the draw, the general office supervises
# it and is a seed party, the deputy director approves replacements).
CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
SeedParty = Annotated[
    Principal, require(Role.CREDIT_DEPT, Role.GENERAL_OFFICE, Role.AGENCY_LIAISON)
]
GeneralOffice = Annotated[Principal, require(Role.GENERAL_OFFICE)]
Replacer = Annotated[Principal, require(Role.CREDIT_DEPT, Role.DEPUTY_DIRECTOR)]
DeputyDirector = Annotated[Principal, require(Role.DEPUTY_DIRECTOR)]
Supervisor = Annotated[Principal, require(Role.CREDIT_DEPT, Role.GENERAL_OFFICE)]
Member = Annotated[Principal, require(Role.INSPECTOR, Role.EXPERT)]
Staff = Annotated[Principal, require(*STAFF)]
# §16: a co-organising agency's liaison reads a draw its agency is a party of, to act in it.
Reader = Annotated[Principal, require(*STAFF, Role.AGENCY_LIAISON)]
OFFICE_PARTY = "办公室"

router = APIRouter(prefix="/api/draws/draws", tags=["draws"])


def agency_of(principal: Principal) -> str | None:
    """The co-organising agency a liaison acts for (its token's ``agency`` claim); None for
    the bureau's staff. A liaison's token without the claim acts for no agency's party."""
    if Role.AGENCY_LIAISON not in principal.roles:
        return None
    return str(principal.claims.get("agency") or "") or "?"


def may_act_for(principal: Principal, party: str) -> None:
    """The general office's share is the office's; a co-organising agency's, its liaison's
    (§16); every other party's, a credit department's."""
    agency = agency_of(principal)
    if agency is not None or p.agency_of_party(party) is not None:
        agencies.check_actor(party, agency)
        return
    needed = Role.GENERAL_OFFICE if party == OFFICE_PARTY else Role.CREDIT_DEPT
    if needed not in principal.roles:
        label = (
            "办公室(general_office)" if needed is Role.GENERAL_OFFICE else "信用监管科(credit_dept)"
        )
        raise Forbidden(f"只有{label}可以代表参与方「{party}」提交承诺或揭示种子")


async def answer(uow: DrawsUnitOfWork, draw: Draw) -> DrawOut:
    return DrawOut.of(draw, await views.names(uow, draw))


@router.post(
    "",
    status_code=201,
    summary="创建抽取：冻结并公示抽取清单（尚无任何随机数）",
    responses=refusals(401, 403, 404, 409, 422),
    response_model_exclude_unset=True,  # the result's fields only once there is one
)
async def create_draw(body: DrawIn, principal: CreditDept, deps: Deps) -> DrawOut:
    async with deps.uow(principal.context()) as uow:
        draw = await services.create_draw(
            uow,
            district=deps.district,
            task_id=body.task_id,
            parties=body.parties,
            caps=body.caps,
            beacon_source=body.beacon_source,
            beacon_encoding=body.beacon_encoding,
            beacon_available_at=body.beacon_available_at,
            neighbour_rule=body.neighbour_rule,
            snapshots=deps.snapshots,
            neighbours=deps.neighbours,
            reveal_hours=body.reveal_hours,
            joint_with=body.joint_with,
            direct_approval=body.direct_approval,
        )
        return await answer(uow, draw)


@router.post(
    "/{draw_id}/commitments",
    summary="参与方提交种子承诺（SHA-256）",
    responses=refusals(401, 403, 404, 409, 422, s403="缺少角色，或无权代表该参与方"),
    response_model_exclude_unset=True,  # the result's fields only once there is one
)
async def commit(draw_id: str, body: CommitmentIn, principal: SeedParty, deps: Deps) -> DrawOut:
    may_act_for(principal, body.party)
    async with deps.uow(principal.context()) as uow:
        draw = await services.commit_share(
            uow,
            draw_id,
            body.party,
            body.commitment,
            body.key_id,
            body.signature,
            agency=agency_of(principal),
        )
        return await answer(uow, draw)


@router.post(
    "/{draw_id}/reveals",
    summary="参与方揭示种子份额（与承诺不符则拒绝）",
    responses=refusals(401, 403, 404, 409, 422, s403="缺少角色，或无权代表该参与方"),
    response_model_exclude_unset=True,  # the result's fields only once there is one
)
async def reveal(draw_id: str, body: RevealIn, principal: SeedParty, deps: Deps) -> DrawOut:
    may_act_for(principal, body.party)
    async with deps.uow(principal.context()) as uow:
        draw = await services.reveal_share(
            uow,
            draw_id,
            body.party,
            body.share,
            body.key_id,
            body.signature,
            agency=agency_of(principal),
        )
        return await answer(uow, draw)


@router.post(
    "/{draw_id}/beacon",
    summary="录入清单指定的外部信标值",
    responses=refusals(401, 403, 404, 409, 422),
    response_model_exclude_unset=True,  # the result's fields only once there is one
)
async def beacon(draw_id: str, body: BeaconIn, principal: Supervisor, deps: Deps) -> DrawOut:
    async with deps.uow(principal.context()) as uow:
        draw = await services.set_beacon(uow, draw_id, body.value)
        return await answer(uow, draw)


@router.post(
    "/{draw_id}/assignment",
    summary="信用监管科直接委派检查组（第六条；清单已声明直接委派，检查对象已随机抽取）",
    responses=refusals(401, 403, 404, 409, 422, s422="委派不符合硬性规则，或签名无效"),
    response_model_exclude_unset=True,
)
async def assign(draw_id: str, body: AssignmentIn, principal: CreditDept, deps: Deps) -> DrawOut:
    async with deps.uow(principal.context()) as uow:
        draw = await views.draw(uow, draw_id)
        draw = await services.assign_teams(
            uow,
            draw_id,
            body.assignment("experts" in draw.manifest),
            principal.name or principal.user,
            body.key_id,
            body.signature,
        )
        return await answer(uow, draw)


@router.post(
    "/{draw_id}/countersign",
    summary="办公室监督会签（完成抽取）",
    responses=refusals(401, 403, 404, 409, 422),
    response_model_exclude_unset=True,  # the result's fields only once there is one
)
async def countersign(
    draw_id: str, body: CountersignIn, principal: GeneralOffice, deps: Deps
) -> DrawOut:
    async with deps.uow(principal.context()) as uow:
        draw = await services.countersign(
            uow,
            draw_id,
            principal.name or principal.user,
            body.opinion,
            f"/public/draws/{draw_id}/bundle",
            key_id=body.key_id,
            signature=body.signature,
            acknowledge_unstaffed=body.acknowledge_unstaffed,
        )
        return await answer(uow, draw)


@router.post(
    "/{draw_id}/replacement-approvals",
    status_code=201,
    summary="分管局长批准调换一名执法检查人员（记录批准人、时间和理由）",
    responses=refusals(401, 403, 404, 409, 422, s403="只有分管局长可以批准调换"),
)
async def approve_replacement(
    draw_id: str, body: ApprovalIn, principal: DeputyDirector, deps: Deps
) -> ApprovalOut:
    async with deps.uow(principal.context()) as uow:
        approval = await services.approve_replacement(
            uow,
            draw_id,
            uscc=body.uscc,
            inspector_id=body.inspector_id,
            reason=body.reason,
            by_name=principal.name,
        )
    return ApprovalOut.model_validate(approval)


@router.post(
    "/{draw_id}/replacements",
    status_code=201,
    summary="经分管局长同意调换执法检查人员（按同一规则另行抽取）",
    responses=refusals(401, 403, 404, 409, 422),
)
async def replace(
    draw_id: str, body: ReplacementIn, principal: Replacer, deps: Deps
) -> ReplacementOut:
    async with deps.uow(principal.context()) as uow:
        record = await services.replace_inspector(
            uow,
            draw_id,
            uscc=body.uscc,
            inspector_id=body.inspector_id,
            reason=body.reason,
            approval_id=body.approval_id,
        )
    return ReplacementOut.model_validate(record)


@router.post(
    "/{draw_id}/replacements/{approval_id}/countersign",
    summary="办公室会签一次调换（spotcheck-draw/3：会签后调换生效）",
    responses=refusals(401, 403, 404, 409, 422, s403="申请调换的人不能会签"),
)
async def countersign_replacement(
    draw_id: str, approval_id: str, body: Signed, principal: GeneralOffice, deps: Deps
) -> ReplacementOut:
    async with deps.uow(principal.context()) as uow:
        record = await services.countersign_replacement(
            uow,
            draw_id,
            approval_id,
            principal.name or principal.user,
            body.key_id,
            body.signature,
        )
    return ReplacementOut.model_validate(record)


@router.post(
    "/{draw_id}/cancel",
    summary="作废抽取（仅限尚无参与方揭示种子时）",
    responses=refusals(401, 403, 404, 409, 422),
    response_model_exclude_unset=True,  # the result's fields only once there is one
)
async def cancel(draw_id: str, body: CancelIn, principal: CreditDept, deps: Deps) -> DrawOut:
    async with deps.uow(principal.context()) as uow:
        draw = await services.cancel_draw(uow, draw_id, body.reason, body.key_id, body.signature)
        return await answer(uow, draw)


@router.post(
    "/{draw_id}/abort",
    summary="中止抽取（已过揭示截止时间而仍有参与方未揭示种子）",
    responses=refusals(401, 403, 404, 409),
    response_model_exclude_unset=True,
)
async def abort(draw_id: str, principal: Supervisor, deps: Deps) -> DrawOut:
    async with deps.uow(principal.context()) as uow:
        draw = await services.abort_draw(uow, draw_id)
        return await answer(uow, draw)


@router.get(
    "/{draw_id}",
    summary="抽取详情",
    responses=refusals(401, 403, 404),
    response_model_exclude_unset=True,
)
async def get_draw(draw_id: str, principal: Reader, deps: Deps) -> DrawOut:
    async with deps.uow(principal.context()) as uow:
        draw = await views.draw(uow, draw_id)
        agency = agency_of(principal)
        if agency is not None and not set(principal.roles) & set(STAFF):
            agencies.check_reader(draw.parties, agency)
        return await answer(uow, draw)


@router.get(
    "/{draw_id}/recusal-receipts",
    summary="本人回避声明在本次抽取中的回执（盐值与封存的承诺值）",
    responses=refusals(401, 403, 404),
)
async def recusal_receipts(draw_id: str, principal: Member, deps: Deps) -> ReceiptList:
    if not principal.inspector_id:
        raise Forbidden("令牌中没有执法检查人员或专家编号")
    async with deps.uow(principal.context()) as uow:
        items = await views.receipts(uow, draw_id, principal.inspector_id)
    return ReceiptList(
        draw_id=draw_id,
        member_id=principal.inspector_id,
        items=[ReceiptOut.model_validate(r) for r in items],
    )


@router.get("", summary="按任务查询抽取", responses=refusals(401, 403, 422))
async def list_draws(
    principal: Staff, deps: Deps, task_id: Annotated[str | None, Query()] = None
) -> DrawList:
    async with deps.uow(principal.context()) as uow:
        draws = await views.draws_of_task(uow, task_id)
    return DrawList(total=len(draws), items=[DrawSummary.of(d) for d in draws])
