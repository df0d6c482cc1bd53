"""Party keys (spotcheck-draw/3, §14.2): each person who commits, reveals or countersigns
registers the public half of an Ed25519 key made on their own device
(``spotcheck-ceremony keygen``); rotation is a new key and the old one revoked. A
co-organising agency's liaison (agency_liaison) registers one for its agency's party (§16).

    POST /api/draws/keys                       {party, public_key, valid_from, valid_until,
                                                signature}  (the key's own signature)
    POST /api/draws/keys/{key_id}/revocation   {reason}  (its holder, or the general office)
    GET  /api/draws/keys                        the district's keys
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from draws.bootstrap import Deps
from draws.entrypoints.routes.draws import agency_of, may_act_for
from draws.entrypoints.schemas import KeyIn, KeyList, KeyOut, RevocationIn
from draws.service_layer import services, views
from spotcheck_common.auth import Principal, require
from spotcheck_common.http import refusals
from spotcheck_common.roles import STAFF, Role

KeyHolder = Annotated[
    Principal, require(Role.CREDIT_DEPT, Role.GENERAL_OFFICE, Role.AGENCY_LIAISON)
]
# The keys are public (/public/draws/keys): an agency's liaison reads them too, to find its own.
Reader = Annotated[Principal, require(*STAFF, Role.AGENCY_LIAISON)]

router = APIRouter(prefix="/api/draws/keys", tags=["keys"])


@router.post(
    "",
    status_code=201,
    summary="登记本人的参与方签名密钥（公钥；私钥只在本人设备上）",
    responses=refusals(401, 403, 409, 422, s403="无权代表该参与方"),
)
async def register_key(body: KeyIn, principal: KeyHolder, deps: Deps) -> KeyOut:
    may_act_for(principal, body.party)
    async with deps.uow(principal.context()) as uow:
        key = await services.register_key(
            uow,
            district=deps.district,
            party=body.party,
            public_key=body.public_key,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            signature=body.signature,
            agency=agency_of(principal),
        )
    return KeyOut.of(key)


@router.post(
    "/{key_id}/revocation",
    summary="吊销参与方密钥（遗失、调岗或轮换）",
    responses=refusals(401, 403, 404, 409, 422, s403="只有持有人本人或办公室可以吊销"),
)
async def revoke_key(key_id: str, body: RevocationIn, principal: KeyHolder, deps: Deps) -> KeyOut:
    async with deps.uow(principal.context()) as uow:
        key = await services.revoke_key(
            uow, key_id, body.reason, may_revoke_any=Role.GENERAL_OFFICE in principal.roles
        )
    return KeyOut.of(key)


@router.get("", summary="本区登记的参与方密钥", responses=refusals(401, 403))
async def list_keys(principal: Reader, deps: Deps) -> KeyList:
    async with deps.uow(principal.context()) as uow:
        keys = await views.keys(uow, deps.district)
    return KeyList(total=len(keys), items=[KeyOut.of(k) for k in keys])
