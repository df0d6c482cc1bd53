"""Operations: the events whose fold into the accountability facts failed (filed in their
dossiers all the same), and folding them again once the fold is fixed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from archives.bootstrap import Deps
from archives.entrypoints.routes.access import Auditor
from archives.entrypoints.schemas import ParkedFoldOut, ParkedFoldPage, RefoldOut
from archives.service_layer import accountability, views
from spotcheck_common.http import Offset, refusals

router = APIRouter(prefix="/api/archives/parked-folds", tags=["archives"])


@router.get(
    "",
    summary="折算失败而搁置的事件（已归档，未计入责任追究与统计），最早的在前",
    responses=refusals(401, 403),
)
async def list_parked_folds(
    principal: Auditor,
    deps: Deps,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> ParkedFoldPage:
    async with deps.uow(principal.context()) as uow:
        page = await views.parked_folds(uow, limit, offset)
    return ParkedFoldPage(total=page.total, items=[ParkedFoldOut.of(p) for p in page.items])


@router.post(
    "/refold",
    summary="重新折算搁置的事件（修复后）：成功的移出，失败的仍搁置并记下原因",
    responses=refusals(401, 403),
)
async def refold(
    principal: Auditor,
    deps: Deps,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> RefoldOut:
    async with deps.uow(principal.context()) as uow:
        refolded = await accountability.refold_parked(uow, limit)
    return RefoldOut.of(refolded)
