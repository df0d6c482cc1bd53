"""Registry HTTP API (thin: parse, call the service layer, shape the answer)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from registry.adapters.repository import SqlRegistryRepository
from registry.domain import check_items
from registry.domain.imports import ITEM_CLASS_BY_LABEL
from registry.entrypoints import imports_api
from registry.service_layer import services
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import Forbidden, Invalid, NotFound
from spotcheck_common.events.types import USCC, EntityStatus, RiskClass
from spotcheck_common.roles import STAFF, Role
from spotcheck_common.service import ServiceRuntime

# Who may do what (实施细则第三条、第四条、第六条): the credit department keeps the registers
# and the item list; an inspector declares their own conflicts of interest; everyone in the
# bureau reads.
CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]
Staff = Annotated[Principal, require(*STAFF)]
Declarant = Annotated[Principal, require(Role.INSPECTOR, Role.CREDIT_DEPT)]


class EntityChange(BaseModel):
    status: EntityStatus | None = None
    risk_class: RiskClass | None = None


class ConflictIn(BaseModel):
    inspector_id: str = Field(min_length=1)
    uscc: USCC
    reason: str = Field(min_length=1)


class PairConflictIn(BaseModel):
    inspector_ids: list[str] = Field(min_length=2, max_length=2, description="两名执法检查人员编号")
    reason: str = Field(min_length=1, description="理由（如：近亲属）")


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/api/registry", tags=["registry"])
    imports_api.add_routes(router, rt)

    @router.get("/experts", summary="专家库")
    async def list_experts(principal: Staff, field: str | None = None) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            rows = await SqlRegistryRepository(session, rt.db.postgres).list_experts(field)
        return {"total": len(rows), "items": [r.model_dump(mode="json") for r in rows]}

    @router.post(
        "/inspector-conflicts",
        status_code=201,
        summary="登记两名执法检查人员不得同组（如近亲属）",
        responses={
            403: {"description": "缺少信用监管科角色"},
            404: {"description": "执法检查人员不存在"},
            422: {"description": "两名人员相同，或缺少理由"},
        },
    )
    async def declare_pair_conflict(body: PairConflictIn, principal: CreditDept) -> dict[str, Any]:
        first, second = (i.strip() for i in body.inspector_ids)
        async with rt.uow(principal.context()) as uow:
            repo = SqlRegistryRepository(uow.session, rt.db.postgres)
            created = await services.declare_pair_conflict(uow, repo, first, second, body.reason)
        return {"created": created, "inspector_ids": sorted((first, second))}

    @router.get("/entities", summary="查询市场主体")
    async def list_entities(
        principal: Staff,
        q: str | None = None,
        risk_class: RiskClass | None = None,
        status: EntityStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlRegistryRepository(session, rt.db.postgres)
            total, rows = await repo.search_entities(q, risk_class, status, limit, offset)
        return {"total": total, "items": [r.model_dump(mode="json") for r in rows]}

    @router.get("/entities/{uscc}", summary="市场主体详情")
    async def get_entity(uscc: str, principal: Staff) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            entity = await SqlRegistryRepository(session, rt.db.postgres).get_entity(uscc.upper())
        if entity is None:
            raise NotFound(f"市场主体 {uscc} 不存在")
        return entity.model_dump(mode="json")

    @router.patch("/entities/{uscc}", summary="变更市场主体状态或风险等级")
    async def change_entity(
        uscc: str, change: EntityChange, principal: CreditDept
    ) -> dict[str, Any]:
        if change.status is None and change.risk_class is None:
            raise Invalid("至少变更 status 或 risk_class 之一")
        async with rt.uow(principal.context()) as uow:
            repo = SqlRegistryRepository(uow.session, rt.db.postgres)
            return await services.change_entity(
                uow, repo, uscc.upper(), change.status, change.risk_class
            )

    @router.get("/inspectors", summary="执法检查人员名录")
    async def list_inspectors(principal: Staff, department: str | None = None) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            rows = await SqlRegistryRepository(session, rt.db.postgres).list_inspectors(department)
        return {"total": len(rows), "items": [r.model_dump(mode="json") for r in rows]}

    @router.post(
        "/conflicts",
        status_code=201,
        summary="申报利害关系（回避）：执法检查人员本人申报，或信用监管科代为登记",
        responses={403: {"description": "缺少角色，或执法检查人员为他人申报"}},
    )
    async def declare_conflict(body: ConflictIn, principal: Declarant) -> dict[str, Any]:
        if Role.CREDIT_DEPT not in principal.roles and body.inspector_id != principal.inspector_id:
            raise Forbidden(
                f"执法检查人员只能为本人申报回避：令牌中的执法人员编号为"
                f"「{principal.inspector_id or '（无）'}」，申报的是「{body.inspector_id}」",
            )
        async with rt.uow(principal.context()) as uow:
            repo = SqlRegistryRepository(uow.session, rt.db.postgres)
            created = await services.declare_conflict(
                uow, repo, body.inspector_id, body.uscc, body.reason
            )
        return {"created": created}

    @router.get(
        "/check-items",
        summary="抽查事项清单（现行版本，或 ?version= 指定版本）",
        responses={404: {"description": "尚无生效的清单，或版本不存在"}},
    )
    async def list_check_items(
        principal: Staff, version: Annotated[int | None, Query(ge=1)] = None
    ) -> dict[str, Any]:
        today = rt.clock.today()
        async with rt.db.sessions() as session:
            repo = SqlRegistryRepository(session, rt.db.postgres)
            versions = await repo.list_versions()
            if version is None:
                chosen = check_items.current(versions, today)
                if chosen is None:
                    raise NotFound("尚无生效的抽查事项清单")
            else:
                found = [v for v in versions if v.version == version]
                if not found:
                    raise NotFound(f"抽查事项清单第 {version} 版不存在")
                chosen = found[0]
            items = await repo.check_items(chosen.version)
        labels = {v: k for k, v in ITEM_CLASS_BY_LABEL.items()}
        return {
            **_version_json(chosen, versions, today),
            "total": len(items),
            "items": [{**i.model_dump(), "item_class_label": labels[i.item_class]} for i in items],
        }

    @router.get("/check-item-lists", summary="抽查事项清单的各个版本")
    async def list_check_item_versions(principal: Staff) -> dict[str, Any]:
        today = rt.clock.today()
        async with rt.db.sessions() as session:
            versions = await SqlRegistryRepository(session, rt.db.postgres).list_versions()
        rows = [_version_json(v, versions, today) for v in reversed(versions)]
        return {"total": len(rows), "items": rows}

    return router


def _version_json(
    v: check_items.ListVersion, versions: list[check_items.ListVersion], today: date
) -> dict[str, Any]:
    status = check_items.status(v, versions, today)
    return {
        "list_id": v.list_id,
        "version": v.version,
        "effective_from": v.effective_from.isoformat(),
        "reason": v.reason,
        "status": status,
        "status_label": check_items.STATUS_LABELS[status],
        "items_count": v.items,
        "filename": v.filename,
        "sha256": v.sha256,
        "imported_by": v.imported_by,
        "imported_at": v.imported_at.isoformat(),
    }
