"""The registers over HTTP: market entities, inspectors, the expert pool, and the conflicts of
interest (回避) that keep an inspector away from an entity or from another inspector.

Who may do what (实施细则第三条、第四条、第六条): the credit department keeps the registers; an
inspector declares their own conflicts of interest; everyone in the bureau reads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from registry.bootstrap import Deps
from registry.entrypoints.schemas import (
    ConflictIn,
    ConflictOut,
    EntityChange,
    EntityOut,
    EntityPage,
    ExpertList,
    ExternalInspectorList,
    InspectorList,
    PairConflictIn,
    PairConflictOut,
)
from registry.service_layer import services, views
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import Forbidden
from spotcheck_common.events.types import EntityStatus, RiskClass
from spotcheck_common.http import Offset, refusals
from spotcheck_common.objects import ObjectKind
from spotcheck_common.roles import MANAGEMENT, Role

CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
# The registers are read by the departments and leadership, not by field roles (issue 12).
Management = Annotated[Principal, require(*MANAGEMENT)]
Declarant = Annotated[Principal, require(Role.INSPECTOR, Role.CREDIT_DEPT)]

router = APIRouter(prefix="/api/registry", tags=["registry"])


@router.get("/experts", summary="专家库", responses=refusals(401, 403, 422))
async def list_experts(principal: Management, deps: Deps, field: str | None = None) -> ExpertList:
    async with deps.uow(principal.context()) as uow:
        rows = await views.experts(uow, field)
    return ExpertList(total=len(rows), items=rows)


@router.post(
    "/inspector-conflicts",
    status_code=201,
    summary="登记两名执法检查人员不得同组（如近亲属）",
    responses=refusals(
        401,
        403,
        404,
        422,
        s403="缺少信用监管科角色",
        s404="执法检查人员不存在",
        s422="两名人员相同，或缺少理由",
    ),
)
async def declare_pair_conflict(
    body: PairConflictIn, principal: CreditDept, deps: Deps
) -> PairConflictOut:
    first, second = (i.strip() for i in body.inspector_ids)
    async with deps.uow(principal.context()) as uow:
        created = await services.declare_pair_conflict(uow, first, second, body.reason)
    return PairConflictOut(created=created, inspector_ids=sorted((first, second)))


@router.get(
    "/entities",
    summary="查询市场主体及其他检查对象（可按类别筛选）",
    responses=refusals(401, 403, 422),
)
async def list_entities(
    principal: Management,
    deps: Deps,
    q: str | None = None,
    risk_class: RiskClass | None = None,
    status: EntityStatus | None = None,
    kind: Annotated[ObjectKind | None, Query(description="检查对象类别（第一条）")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> EntityPage:
    async with deps.uow(principal.context()) as uow:
        page = await views.entities(uow, q, risk_class, status, limit, offset, kind)
    return EntityPage(total=page.total, items=[EntityOut.of(e) for e in page.items])


@router.get("/entities/{uscc}", summary="检查对象详情", responses=refusals(401, 403, 404))
async def get_entity(uscc: str, principal: Management, deps: Deps) -> EntityOut:
    async with deps.uow(principal.context()) as uow:
        return EntityOut.of(await views.entity(uow, uscc))


@router.patch(
    "/entities/{uscc}",
    summary="变更市场主体状态或风险等级",
    responses=refusals(401, 403, 404, 422, s403="缺少信用监管科角色"),
)
async def change_entity(
    uscc: str, change: EntityChange, principal: CreditDept, deps: Deps
) -> EntityOut:
    async with deps.uow(principal.context()) as uow:
        changed = await services.change_entity(uow, uscc.upper(), change.status, change.risk_class)
    return EntityOut.of(changed)


@router.get(
    "/external-inspectors",
    summary="联合检查单位执法人员名录（第三条；编号为 单位代码:编号，不任组长）",
    responses=refusals(401, 403, 422),
)
async def list_external_inspectors(
    principal: Management, deps: Deps, agency: str | None = None
) -> ExternalInspectorList:
    async with deps.uow(principal.context()) as uow:
        rows = await views.external_inspectors(uow, agency)
    return ExternalInspectorList(total=len(rows), items=rows)


@router.get("/inspectors", summary="执法检查人员名录", responses=refusals(401, 403, 422))
async def list_inspectors(
    principal: Management, deps: Deps, department: str | None = None
) -> InspectorList:
    async with deps.uow(principal.context()) as uow:
        rows = await views.inspectors(uow, department)
    return InspectorList(total=len(rows), items=rows)


@router.post(
    "/conflicts",
    status_code=201,
    summary="申报利害关系（回避）：执法检查人员本人申报，或信用监管科代为登记",
    responses=refusals(
        401,
        403,
        404,
        422,
        s403="缺少角色，或执法检查人员为他人申报",
        s404="执法检查人员（或专家）或市场主体不存在",
    ),
)
async def declare_conflict(body: ConflictIn, principal: Declarant, deps: Deps) -> ConflictOut:
    if Role.CREDIT_DEPT not in principal.roles and body.inspector_id != principal.inspector_id:
        raise Forbidden(
            f"执法检查人员只能为本人申报回避：令牌中的执法人员编号为"
            f"「{principal.inspector_id or '（无）'}」，申报的是「{body.inspector_id}」"
        )
    async with deps.uow(principal.context()) as uow:
        created = await services.declare_conflict(uow, body.inspector_id, body.uscc, body.reason)
    return ConflictOut(created=created)
