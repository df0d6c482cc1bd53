"""Archives HTTP API (thin: read through the repository, shape the answer).

Read-only by design: dossiers grow only from events, and nothing here changes or removes them.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field

from archives.adapters.repository import SqlArchiveRepository
from archives.domain.chain import CHAIN_RULE, CHAIN_RULE_TEXT
from archives.service_layer import accountability, services
from spotcheck_common.auth import Principal, require
from spotcheck_common.roles import Role
from spotcheck_common.service import ServiceRuntime

# 第十二条: the dossiers (and the annual plans filed with them) are read and exported by the
# departments that keep, oversee or use them: the credit department, the general office, the
# deputy director, the director's meeting and the supervising departments.
ARCHIVE_READERS = (
    Role.CREDIT_DEPT,
    Role.GENERAL_OFFICE,
    Role.DEPUTY_DIRECTOR,
    Role.DIRECTOR_MEETING,
    Role.SUPERVISING_DEPT,
)
Reader = Annotated[Principal, require(*ARCHIVE_READERS)]

TaskId = Annotated[str, Path(min_length=1, max_length=100, description="任务 ID")]

# 第十三条: accountability and statistics are read bureau-wide by the credit department (which
# urges the departments to finish the annual plan), the general office, the deputy director and
# the director's meeting; a supervising department reads its own department only.
BUREAU_WIDE = (
    Role.CREDIT_DEPT,
    Role.GENERAL_OFFICE,
    Role.DEPUTY_DIRECTOR,
    Role.DIRECTOR_MEETING,
)
ACCOUNTABILITY_READERS = (*BUREAU_WIDE, Role.SUPERVISING_DEPT)
AccountabilityReader = Annotated[Principal, require(*ACCOUNTABILITY_READERS)]

AsOf = Annotated[
    date | None,
    Query(description="截止日（YYYY-MM-DD，北京时间）；默认今天。逾期按此日判断"),
]
Department = Annotated[str | None, Query(max_length=100, description="科室（责任科室）")]


def _department_scope(principal: Principal, department: str | None) -> str | None:
    """A supervising department sees its own department only; bureau-wide roles any."""
    if principal.roles & set(BUREAU_WIDE):
        return department
    own = principal.department
    if not own:
        raise HTTPException(403, "监管科室的令牌未载明所属科室（department），无法查看")
    if department is not None and department != own:
        raise HTTPException(403, f"监管科室只能查看本科室（{own}）的情况")
    return own


class DossierSummary(BaseModel):
    task_id: str
    task_no: str | None = Field(description="任务编号")
    title: str | None = Field(description="任务名称")
    entry_count: int = Field(description="条目数")
    head_hash: str = Field(description="链头哈希（最后一个条目的哈希，十六进制）")
    opened_at: str = Field(description="建档时间")
    last_activity_at: str = Field(description="最近归档时间")
    last_event_type: str | None = Field(description="最近归档的事件类型")


class VerificationOut(BaseModel):
    ok: bool = Field(description="哈希链是否完整")
    checked: int = Field(description="校验通过的条目数")
    head_hash: str = Field(description="重新计算得到的链头哈希")
    first_bad_seq: int | None = Field(description="第一个不符的条目序号")
    reason: str | None = Field(description="不符的原因")
    chain_rule: str = Field(description="哈希链规则标识")


class EntryOut(BaseModel):
    seq: int = Field(description="序号（从 1 起，连续）")
    kind: str = Field(description="条目类别：event 事件、attachment 附件、plan 抽查工作计划")
    event_id: str | None
    event_type: str | None
    occurred_at: str | None = Field(description="事件发生时间")
    actor: str | None = Field(description="操作人")
    recorded_at: str = Field(description="归档时间（不在哈希覆盖范围内）")
    prev_hash: str
    entry_hash: str
    document: dict[str, Any] = Field(description="归档内容：事件的完整信封")


class DossierOut(BaseModel):
    dossier: DossierSummary
    entries: list[EntryOut]
    verification: VerificationOut
    chain_rule: dict[str, str]
    contents: dict[str, Any] = Field(
        description="按实施细则第十二条分类的档案目录（由条目导出，不在哈希覆盖范围内）"
    )


class DossierList(BaseModel):
    total: int
    items: list[DossierSummary]


def _chain_rule() -> dict[str, str]:
    return {"id": CHAIN_RULE, "description": CHAIN_RULE_TEXT}


def _not_found(exc: services.NotFound) -> HTTPException:
    return HTTPException(status_code=404, detail=str(exc))


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/api/archives", tags=["archives"])

    async def _read(task_id: str) -> services.DossierView:
        async with rt.db.sessions() as session:
            repo = SqlArchiveRepository(session, rt.db.postgres)
            try:
                return await services.read_dossier(repo, task_id)
            except services.NotFound as exc:
                raise _not_found(exc) from None

    @router.get("/dossiers", summary="档案列表（条目数、最近归档时间）", response_model=DossierList)
    async def list_dossiers(
        principal: Reader,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlArchiveRepository(session, rt.db.postgres)
            total, heads = await repo.list_dossiers(limit, offset)
        return {"total": total, "items": [services.summary(h) for h in heads]}

    @router.get(
        "/dossiers/{task_id}",
        summary="任务档案：按序列出全部条目及哈希，并当场重新校验哈希链",
        response_model=DossierOut,
    )
    async def get_dossier(task_id: TaskId, principal: Reader) -> dict[str, Any]:
        view = await _read(task_id)
        return {
            "dossier": services.summary(view.head),
            "entries": [services.entry_view(e) for e in view.entries],
            "verification": view.verification.as_dict(),
            "chain_rule": _chain_rule(),
            "contents": services.dossier_contents(view),
        }

    @router.get(
        "/dossiers/{task_id}/contents",
        summary="档案目录：按第十二条的材料类别（计划、实施方案、检查记录表、现场笔录……）",
    )
    async def dossier_contents(task_id: TaskId, principal: Reader) -> dict[str, Any]:
        view = await _read(task_id)
        return {
            "task_id": task_id,
            "entry_count": view.head.entry_count,
            "head_hash": view.head.head_hash,
            "verification": view.verification.as_dict(),
            **services.dossier_contents(view),
        }

    @router.post(
        "/dossiers/{task_id}/attachments/{attachment_id}/check",
        summary="核对附件文件：与档案中归档的 SHA-256 是否一致（不改变档案）",
        description="请求体为文件原始字节（application/octet-stream）。",
    )
    async def check_attachment(
        task_id: TaskId,
        attachment_id: Annotated[str, Path(min_length=1, max_length=100)],
        request: Request,
        principal: Reader,
    ) -> dict[str, Any]:
        view = await _read(task_id)
        content = await request.body()
        try:
            return services.check_attachment(view, attachment_id, content)
        except services.NotFound as exc:
            raise _not_found(exc) from None

    @router.get(
        "/plans/{plan_id}",
        summary="年度抽查工作计划：归档的全部版本（完整事件信封）",
    )
    async def get_plan(
        plan_id: Annotated[str, Path(min_length=1, max_length=100)], principal: Reader
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlArchiveRepository(session, rt.db.postgres)
            try:
                versions = await services.plan_versions(repo, plan_id)
            except services.NotFound as exc:
                raise _not_found(exc) from None
            tasks = await repo.tasks_of_plan(plan_id)
        return {
            "plan_id": plan_id,
            "versions": [
                {"plan_version": v.plan_version, "event_id": v.event_id, "envelope": v.envelope}
                for v in versions
            ],
            "tasks": tasks,
        }

    @router.get(
        "/accountability",
        summary="责任追究（第十三条）：谁在何时未做什么——逾期未执行任务、未按时公示、异议逾期、未移送",
    )
    async def get_accountability(
        principal: AccountabilityReader,
        department: Department = None,
        year: Annotated[int | None, Query(ge=2000, le=2100, description="任务截止年度")] = None,
        as_of: AsOf = None,
    ) -> dict[str, Any]:
        scope = _department_scope(principal, department)
        day = as_of or rt.clock.today()
        async with rt.db.sessions() as session:
            repo = SqlArchiveRepository(session, rt.db.postgres)
            report = await accountability.accountability(repo, day, year, scope)
            if as_of is None:
                # On read, as well as every minute in the background: the gauge as of today.
                await accountability.refresh_gauge(repo, day)
        return report

    @router.get(
        "/statistics",
        summary="统计：按任务、科室、检查人员的完成率、公示率、逾期，检查结果分类",
    )
    async def get_statistics(
        principal: AccountabilityReader,
        year: Annotated[
            int | None, Query(ge=2000, le=2100, description="任务截止年度；默认截止日所在年")
        ] = None,
        department: Department = None,
        as_of: AsOf = None,
    ) -> dict[str, Any]:
        scope = _department_scope(principal, department)
        day = as_of or rt.clock.today()
        async with rt.db.sessions() as session:
            repo = SqlArchiveRepository(session, rt.db.postgres)
            return await accountability.statistics_report(repo, day, year or day.year, scope)

    @router.get(
        "/dossiers/{task_id}/verify",
        summary="校验档案哈希链，报告第一个不符的条目序号",
        response_model=VerificationOut,
    )
    async def verify_dossier(task_id: TaskId, principal: Reader) -> dict[str, Any]:
        return (await _read(task_id)).verification.as_dict()

    @router.get(
        "/dossiers/{task_id}/export",
        summary="导出档案：一个 JSON 文件，含清单与全部条目",
        description="可用 `spotcheck-archives verify 文件` 离线校验（仅需 Python 标准库）。",
        response_class=Response,
        responses={200: {"content": {"application/json": {}}, "description": "档案导出文件"}},
    )
    async def export_dossier(task_id: TaskId, principal: Reader) -> Response:
        view = await _read(task_id)
        document = services.export_document(view, rt.district, rt.clock.now(), principal.user)
        body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        filename = quote(f"dossier-{task_id}.json", safe="")
        return Response(
            content=body.encode("utf-8"),
            media_type="application/json",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"},
        )

    return router
