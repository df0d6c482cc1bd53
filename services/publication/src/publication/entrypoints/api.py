"""Publication HTTP API: the public read API (``/public``) and the credit department's
corrections (``/api/publication``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from publication.adapters.repository import SqlPublicationRepository
from publication.domain import model
from publication.service_layer import services
from spotcheck_common.auth import Principal, Role, require
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.http import Conflict, DomainError, NotFound
from spotcheck_common.service import ServiceRuntime

# 第九条: a published result is corrected only through the credit department. The public reads
# (/public/...) need no token.
CreditDept = Annotated[Principal, require(Role.CREDIT_DEPT)]


class CorrectionIn(BaseModel):
    """A correction collected by the credit department (信用监管科)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="更正理由（必填）")
    results: list[ItemResult] = Field(
        min_length=1, description="更正的检查事项结果（仅列出需更正的事项）"
    )


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter()
    public = APIRouter(prefix="/public/results", tags=["public"])
    internal = APIRouter(prefix="/api/publication", tags=["publication"])

    @public.get("", summary="检查结果公示查询")
    async def search_results(
        uscc: Annotated[str | None, Query(max_length=18, description="统一社会信用代码")] = None,
        task_no: Annotated[str | None, Query(max_length=100, description="任务编号")] = None,
        q: Annotated[
            str | None, Query(max_length=100, description="主体名称、任务名称或代码")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            total, rows = await SqlPublicationRepository(session).search(
                uscc, task_no, q, limit, offset
            )
        return {"total": total, "items": [model.public_summary(r, v) for r, v in rows]}

    @public.get("/{record_id}", summary="检查结果公示详情（含全部版本）")
    async def get_result(record_id: str) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlPublicationRepository(session)
            record = await repo.get_record(record_id)
            versions = await repo.versions(record_id) if record else []
        if record is None:
            raise NotFound(f"公示记录 {record_id} 不存在")
        return model.public_view(record, versions)

    @internal.post(
        "/records/{record_id}/corrections",
        status_code=201,
        summary="信用监管科更正已公示的检查结果（发布新版本，原版本保留）",
        responses={401: {"description": "未登录"}, 403: {"description": "缺少信用监管科角色"}},
    )
    async def correct(record_id: str, body: CorrectionIn, principal: CreditDept) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            repo = SqlPublicationRepository(uow.session)
            try:
                corrected = await services.correct_by_credit_department(
                    uow, repo, record_id, body.results, body.reason.strip()
                )
            except services.RecordNotFound as exc:
                raise NotFound(str(exc)) from None
            except model.InvalidCorrection as exc:
                raise DomainError(str(exc)) from None
            except IntegrityError:
                raise Conflict("该公示记录正在被另一更正修改，请刷新后重试") from None
        return {
            "record_id": corrected.record_id,
            "version": corrected.record_version,
            "supersedes_version": corrected.supersedes_version,
            "published_at": corrected.published_at.isoformat(),
            "results": [r.model_dump(mode="json") for r in corrected.results],
            "remark": corrected.remark,
        }

    router.include_router(public)
    router.include_router(internal)
    return router
