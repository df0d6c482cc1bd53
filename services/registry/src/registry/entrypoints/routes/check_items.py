"""The spot-check item list (抽查事项清单) over HTTP: the version in force or any version, and
every version with its status; the public reads the version in force (the rules make the list
public). A new version is an import (``routes.imports``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from registry.bootstrap import Deps
from registry.entrypoints.schemas import (
    ItemListOut,
    ListVersionOut,
    ListVersions,
    PublicItemListOut,
)
from registry.service_layer import views
from spotcheck_common.auth import Principal, require
from spotcheck_common.http import refusals
from spotcheck_common.roles import STAFF
from spotcheck_common.uow import Context

Staff = Annotated[Principal, require(*STAFF)]
PUBLIC = Context(actor="public")

# Full paths: the staff reads under /api/registry, the public one under /public.
router = APIRouter(tags=["registry"])


@router.get(
    "/api/registry/check-items",
    summary="抽查事项清单（现行版本，或 ?version= 指定版本）",
    responses=refusals(401, 403, 404, 422, s404="尚无生效的清单，或版本不存在"),
)
async def list_check_items(
    principal: Staff, deps: Deps, version: Annotated[int | None, Query(ge=1)] = None
) -> ItemListOut:
    today = deps.today()
    async with deps.uow(principal.context()) as uow:
        found = await views.item_list(uow, version, today)
    return ItemListOut.of_list(found, today)


@router.get(
    "/api/registry/check-item-lists", summary="抽查事项清单的各个版本", responses=refusals(401, 403)
)
async def list_check_item_versions(principal: Staff, deps: Deps) -> ListVersions:
    today = deps.today()
    async with deps.uow(principal.context()) as uow:
        versions = await views.list_versions(uow)
    rows = [ListVersionOut.of(v, versions, today) for v in reversed(versions)]
    return ListVersions(total=len(rows), items=rows)


@router.get(
    "/public/check-items",
    summary="公示：抽查事项清单（现行版本，公开）",
    responses=refusals(404, s404="尚无生效的清单"),
)
async def public_check_items(deps: Deps) -> PublicItemListOut:
    today = deps.today()
    async with deps.uow(PUBLIC) as uow:
        found = await views.item_list(uow, None, today)
    return PublicItemListOut.of(ItemListOut.of_list(found, today))
