"""Inspections HTTP API (thin: parse, call the service layer, shape the answer).

Who acts comes from the bearer token: the user is recorded on every event, and the token's
``inspector_id`` (执法人员编号) is matched against the inspection's team.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser

from inspections.adapters.repository import SqlInspectionRepository
from inspections.domain import attachments as att
from inspections.domain.follow_ups import STATUS_LABELS as FOLLOW_UP_LABELS
from inspections.domain.follow_ups import FollowUp, FollowUpStatus, OutcomeIn
from inspections.domain.model import (
    STATUS_LABELS,
    Inspection,
    InspectionStatus,
    NotInspected,
    ResultEntry,
    Withhold,
)
from inspections.domain.visits import Visit
from inspections.entrypoints.overdue import set_gauge
from inspections.service_layer import services
from inspections.service_layer.config import get_inspections_settings
from spotcheck_common.auth import Principal, require
from spotcheck_common.errors import NotFound, TooLarge
from spotcheck_common.events.inspections import AttachmentKind
from spotcheck_common.roles import STAFF, Role
from spotcheck_common.service import ServiceRuntime


class ResultsIn(BaseModel):
    """The whole record form: one result per check item of the task; or, for a target not
    inspected (第八条), the reason (every item then carries its national category)."""

    model_config = ConfigDict(extra="forbid")

    results: list[ResultEntry] = Field(default_factory=list)
    not_inspected: NotInspected | None = Field(
        None, description="未开展检查、视为完成抽查的情形（无法联系、不配合检查情节严重、注销等）"
    )
    withhold: Withhold | None = Field(
        None, description="依法依规不予公示：理由及法律依据（检查结果记录但不公示）"
    )


class VisitResultEntry(ResultEntry):
    """One line of one task's record form, recorded for the whole visit."""

    task_id: str = Field(min_length=1, description="该检查事项所属的抽查任务")


class VisitResultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    results: list[VisitResultEntry] = Field(default_factory=list)
    not_inspected: NotInspected | None = None


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    completed_on: date | None = Field(None, description="检查完成日期，默认今天")


def inspection_json(i: Inspection, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "inspection_id": i.inspection_id,
        "task_id": i.task_id,
        "task_no": i.task_no,
        "task_title": i.task_title,
        "draw_id": i.draw_id,
        "uscc": i.uscc,
        "entity_name": i.entity_name,
        "risk_class": i.risk_class,
        "inspecting_authority": i.inspecting_authority,
        "check_type": i.check_type,
        "deadline": i.deadline.isoformat(),
        "status": str(i.status),
        "status_label": STATUS_LABELS[i.status],
        "check_items": [c.model_dump(mode="json") for c in i.check_items],
        "team": [m.model_dump(mode="json") for m in i.team],
        "results": [r.model_dump(mode="json") for r in i.results],
        "signatures": {k: v.isoformat() for k, v in sorted(i.signatures.items())},
        "unsigned": i.unsigned,
        "recorded_by": i.recorded_by,
        "recorded_at": i.recorded_at.isoformat() if i.recorded_at else None,
        "submitted_by": i.submitted_by,
        "submitted_at": i.submitted_at.isoformat() if i.submitted_at else None,
        "completed_on": i.completed_on.isoformat() if i.completed_on else None,
        "version": i.version,
        "plan_no": i.plan_no,
        "plan_name": i.plan_name,
        "visit_id": i.visit_id or None,
        "visit_leader_id": i.visit_leader_id or None,
        "not_inspected_reason": str(i.not_inspected_reason) if i.not_inspected_reason else None,
        "not_inspected_label": i.not_inspected_label or None,
        "not_inspected_on": i.not_inspected_on.isoformat() if i.not_inspected_on else None,
        # Counts as done (视为完成抽查): submitted, inspected or not.
        "done": i.status is InspectionStatus.SUBMITTED,
        "withhold_reason": i.withhold_reason or None,
    }
    if history is not None:
        body["history"] = history
    return body


def visit_json(
    v: Visit, inspections: list[Inspection], history: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "visit_id": v.visit_id,
        "uscc": v.uscc,
        "entity_name": v.entity_name,
        "leader": v.leader.model_dump(mode="json"),
        "lead_task_id": v.lead_task_id,
        "lead_inspection_id": v.lead_inspection_id,
        "members": v.members,
        "created_at": v.created_at.isoformat(),
        "done": all(i.status is InspectionStatus.SUBMITTED for i in inspections),
        "inspections": [
            {
                "inspection_id": i.inspection_id,
                "task_id": i.task_id,
                "task_no": i.task_no,
                "task_title": i.task_title,
                "deadline": i.deadline.isoformat(),
                "status": str(i.status),
                "status_label": STATUS_LABELS[i.status],
                "team": [m.model_dump(mode="json") for m in i.team],
                "unsigned": i.unsigned,
                "check_items": [
                    {**c.model_dump(mode="json"), "task_id": i.task_id} for c in i.check_items
                ],
                "results": [r.model_dump(mode="json") for r in i.results],
            }
            for i in inspections
        ],
        # Every task's items, each tagged with its task: the list the team works through.
        "check_items": [
            {**c.model_dump(mode="json"), "task_id": i.task_id, "task_no": i.task_no}
            for i in inspections
            for c in i.check_items
        ],
        "version": v.version,
    }
    if history is not None:
        body["history"] = history
    return body


def attachment_json(a: att.Attachment) -> dict[str, Any]:
    return {
        "attachment_id": a.attachment_id,
        "inspection_id": a.inspection_id,
        "task_id": a.task_id,
        "uscc": a.uscc,
        "kind": str(a.kind),
        "kind_label": att.KIND_LABELS[a.kind],
        "filename": a.filename,
        "media_type": a.media_type,
        "size": a.size,
        "sha256": a.sha256,
        "added_by": a.added_by,
        "added_at": a.added_at.isoformat(),
    }


def follow_up_json(f: FollowUp, today: date) -> dict[str, Any]:
    return {
        "follow_up_id": f.follow_up_id,
        "inspection_id": f.inspection_id,
        "task_id": f.task_id,
        "task_no": f.task_no,
        "uscc": f.uscc,
        "entity_name": f.entity_name,
        "kind": str(f.kind),
        "lead_department": f.lead_department,
        "reason": f.reason,
        "status": str(f.status),
        "status_label": FOLLOW_UP_LABELS[f.status],
        "case_no": f.case_no or None,
        "opened_on": f.opened_on.isoformat(),
        "suspected_crime_on": f.suspected_crime_on.isoformat() if f.suspected_crime_on else None,
        "transfer_due_on": f.transfer_due_on.isoformat() if f.transfer_due_on else None,
        # Pending while the year the deadline reaches has no holiday schedule yet.
        "transfer_due": f.transfer_deadline.json() if f.transfer_deadline else None,
        "transferred_on": f.transferred_on.isoformat() if f.transferred_on else None,
        "rectified_on": f.rectified_on.isoformat() if f.rectified_on else None,
        "closed_on": f.closed_on.isoformat() if f.closed_on else None,
        "overdue": f.overdue(today),
        "transferred_late": f.transferred_late,
        "outcomes": f.outcomes,
        "version": f.version,
    }


class PayloadTooLarge(TooLarge):
    pass


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    too_big = f"附件超过大小上限 {limit} 字节（{limit // (1024 * 1024)} MiB）"
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise PayloadTooLarge(too_big, limit=limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + 64 * 1024:  # multipart framing is allowed a little room
            raise PayloadTooLarge(too_big, limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def parse_upload(
    request: Request, body: bytes, kind: str | None, filename: str | None
) -> tuple[str | None, str | None, str, bytes]:
    """(kind, filename, media type, content) from a multipart form or a raw body."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return kind, filename, content_type, body

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    form = await MultiPartParser(request.headers, stream()).parse()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise HTTPException(422, "multipart 表单中缺少文件字段 file")
    content = await upload.read()
    form_kind = form.get("kind")
    return (
        kind or (form_kind if isinstance(form_kind, str) else None),
        filename or upload.filename,
        upload.content_type or "application/octet-stream",
        content,
    )


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "附件内容：原始字节（Content-Type 即文件类型），或 multipart/form-data "
        "（字段 file，可带 kind）",
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "kind": {"type": "string", "enum": [str(k) for k in AttachmentKind]},
                    },
                    "required": ["file"],
                }
            },
        },
    }
}


# 第八条、第九条: the leader records and submits (谁检查、谁录入); every member of the team,
# experts included, signs; everyone in the bureau reads.
Inspector = Annotated[Principal, require(Role.INSPECTOR)]
Signer = Annotated[Principal, require(Role.INSPECTOR, Role.EXPERT)]
Staff = Annotated[Principal, require(*STAFF)]
# 第十条: the lead department handles follow-up and reports to the credit department, which
# keeps the register; the bureau's leadership reads it (第十三条 accountability).
FollowUpReader = Annotated[
    Principal,
    require(Role.CREDIT_DEPT, Role.SUPERVISING_DEPT, Role.DEPUTY_DIRECTOR, Role.DIRECTOR_MEETING),
]
FollowUpRecorder = Annotated[Principal, require(Role.CREDIT_DEPT, Role.SUPERVISING_DEPT)]
BUREAU_WIDE = {Role.CREDIT_DEPT, Role.DEPUTY_DIRECTOR, Role.DIRECTOR_MEETING}

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录"},
    403: {"description": "缺少角色，不是检查组成员或不是组长"},
    404: {"description": "检查记录不存在"},
    409: {"description": "检查记录已提交，或尚不能进行这一步"},
    422: {"description": "内容不符合要求"},
}
UPLOAD_REFUSALS: dict[int | str, dict[str, Any]] = {
    **REFUSALS,
    409: {"description": "检查记录已提交且后续处理已办结（或没有后续处理）"},
    413: {"description": "附件超过大小上限"},
}
FOLLOW_UP_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录"},
    403: {"description": "缺少角色，或不是牵头监管科室"},
    404: {"description": "后续处理不存在"},
    409: {"description": "当前状态不能记录这一处理结果"},
    422: {"description": "内容不符合要求"},
}


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/api/inspections", tags=["inspections"])

    @router.get("/inspections", summary="检查记录列表（按任务、统一社会信用代码、状态）")
    async def list_inspections(
        principal: Staff,
        task_id: str | None = None,
        uscc: str | None = None,
        status: InspectionStatus | None = None,
        visit_id: str | None = None,
        not_inspected: Annotated[
            bool | None, Query(description="true：仅未开展检查、视为完成的（报信用监管科的名单）")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlInspectionRepository(session)
            total, rows = await repo.search(
                task_id,
                uscc.upper() if uscc else None,
                status,
                limit,
                offset,
                visit_id=visit_id,
                not_inspected=not_inspected,
            )
        return {"total": total, "items": [inspection_json(i) for i in rows]}

    @router.get(
        "/inspections/{inspection_id}",
        summary="检查记录详情（含全程记录）",
        responses={404: REFUSALS[404]},
    )
    async def get_inspection(inspection_id: str, principal: Staff) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlInspectionRepository(session)
            inspection = await repo.get(inspection_id)
            if inspection is None:
                raise NotFound(f"检查记录 {inspection_id} 不存在")
            history = await repo.history(inspection_id)
        return inspection_json(inspection, history)

    @router.put(
        "/inspections/{inspection_id}/results",
        summary="组长录入检查结果（整张记录表；修改后已有签名作废）",
        responses=REFUSALS,
    )
    async def record_results(
        inspection_id: str, principal: Inspector, form: ResultsIn
    ) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            repo = SqlInspectionRepository(uow.session)
            inspection = await services.record_results(
                uow,
                repo,
                inspection_id,
                principal.inspector_id,
                form.results,
                not_inspected=form.not_inspected,
                withhold=form.withhold,
            )
        return inspection_json(inspection)

    @router.post(
        "/inspections/{inspection_id}/sign",
        summary="检查组成员确认检查结果并签名",
        responses=REFUSALS,
    )
    async def sign(inspection_id: str, principal: Signer) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            repo = SqlInspectionRepository(uow.session)
            inspection = await services.sign(uow, repo, inspection_id, principal.inspector_id)
        return inspection_json(inspection)

    @router.post(
        "/inspections/{inspection_id}/submit",
        summary="组长提交检查记录（全员签名后；提交后不可更改）",
        responses=REFUSALS,
    )
    async def submit(
        inspection_id: str,
        principal: Inspector,
        form: Annotated[SubmitIn | None, Body()] = None,
    ) -> dict[str, Any]:
        form = form or SubmitIn()
        async with rt.uow(principal.context()) as uow:
            repo = SqlInspectionRepository(uow.session)
            inspection = await services.submit(
                uow, repo, inspection_id, principal.inspector_id, form.completed_on
            )
        return inspection_json(inspection)

    # -- attachments (第八条 全过程记录, 第十二条 档案) ------------------------------------------

    @router.post(
        "/inspections/{inspection_id}/attachments",
        status_code=201,
        summary="检查组成员上传附件（现场笔录、照片、责令整改通知书、送达回证、检查记录表）",
        description="原始字节或 multipart/form-data（字段 file）；kind、filename 为查询参数"
        "（multipart 时可取自表单）。检查记录提交后，仅在后续处理未办结时可上传。"
        "内容与其 SHA-256 一并保存，读取时校验。",
        responses=UPLOAD_REFUSALS,
        openapi_extra=UPLOAD_BODY,
    )
    async def add_attachment(
        inspection_id: str,
        request: Request,
        principal: Signer,
        kind: AttachmentKind | None = None,
        filename: Annotated[str | None, Query(max_length=att.MAX_FILENAME)] = None,
    ) -> dict[str, Any]:
        limit = get_inspections_settings().attachment_max_bytes
        body = await read_limited(request, limit)
        kind_raw, name, media_type, content = await parse_upload(request, body, kind, filename)
        if len(content) > limit:
            raise PayloadTooLarge(f"附件超过大小上限 {limit} 字节", limit=limit)
        try:
            the_kind = AttachmentKind(kind_raw) if kind_raw else None
        except ValueError:
            the_kind = None
        if the_kind is None or not name:
            raise HTTPException(
                422,
                "须说明附件类型 kind（"
                + "、".join(f"{k}={v}" for k, v in att.KIND_LABELS.items())
                + "）和文件名 filename",
            )
        async with rt.uow(principal.context()) as uow:
            repo = SqlInspectionRepository(uow.session)
            attachment = await services.add_attachment(
                uow,
                repo,
                inspection_id,
                principal.inspector_id,
                the_kind,
                name,
                media_type,
                content,
            )
        return attachment_json(attachment)

    @router.get(
        "/inspections/{inspection_id}/attachments",
        summary="检查记录的附件列表（含 SHA-256）",
        responses={404: REFUSALS[404]},
    )
    async def list_attachments(inspection_id: str, principal: Staff) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlInspectionRepository(session)
            if await repo.get(inspection_id) is None:
                raise NotFound(f"检查记录 {inspection_id} 不存在")
            items = await repo.attachments_of(inspection_id)
        return {"total": len(items), "items": [attachment_json(a) for a in items]}

    @router.get(
        "/inspections/{inspection_id}/attachments/{attachment_id}",
        summary="下载附件（读取时校验 SHA-256，不符则拒绝）",
        response_class=Response,
        responses={
            200: {"content": {"application/octet-stream": {}}},
            404: {"description": "附件不存在"},
            500: {"description": "附件内容与 SHA-256 不符"},
        },
    )
    async def get_attachment(inspection_id: str, attachment_id: str, principal: Staff) -> Response:
        async with rt.db.sessions() as session:
            found = await SqlInspectionRepository(session).get_attachment(attachment_id)
        if found is None or found[0].inspection_id != inspection_id:
            raise NotFound(f"附件 {attachment_id} 不存在")
        attachment, content = found
        body = att.verified(attachment, content)
        return Response(
            body,
            media_type=attachment.media_type,
            headers={
                "X-Content-SHA256": attachment.sha256,
                "Content-Disposition": "attachment; filename*=UTF-8''"
                + _quote(attachment.filename),
            },
        )

    # -- visits (进一次门、查多项事) ------------------------------------------------------------

    @router.get("/visits", summary="检查（进一次门、查多项事）列表，按统一社会信用代码")
    async def list_visits(
        principal: Staff,
        uscc: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlInspectionRepository(session)
            visits = await repo.search_visits(uscc.upper() if uscc else None, limit, offset)
            items = [visit_json(v, await repo.of_visit(v.visit_id)) for v in visits]
        return {"total": len(items), "items": items}

    @router.get(
        "/visits/{visit_id}",
        summary="一次检查的详情：各任务的检查事项、检查组与结果",
        responses={404: {"description": "检查不存在"}},
    )
    async def get_visit(visit_id: str, principal: Staff) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            repo = SqlInspectionRepository(session)
            visit = await repo.get_visit(visit_id)
            if visit is None:
                raise NotFound(f"检查（进一次门）{visit_id} 不存在")
            body = visit_json(
                visit, await repo.of_visit(visit_id), await repo.visit_history(visit_id)
            )
        return body

    @router.put(
        "/visits/{visit_id}/results",
        summary="本次检查的组长一次录入各任务的检查结果（每条注明所属任务）",
        responses={**REFUSALS, 404: {"description": "检查不存在"}},
    )
    async def record_visit_results(
        visit_id: str, principal: Inspector, form: VisitResultsIn
    ) -> dict[str, Any]:
        entries = [
            (e.task_id, ResultEntry.model_validate(e.model_dump(exclude={"task_id"})))
            for e in form.results
        ]
        async with rt.uow(principal.context()) as uow:
            repo = SqlInspectionRepository(uow.session)
            visit, inspections = await services.record_visit_results(
                uow, repo, visit_id, principal.inspector_id, entries, None, form.not_inspected
            )
        return visit_json(visit, inspections)

    # -- follow-up (第十条) -------------------------------------------------------------------

    def _department_scope(principal: Principal, department: str | None) -> str | None:
        if principal.roles & BUREAU_WIDE:
            return department
        if department and department != principal.department:
            raise HTTPException(403, f"监管科室只能查看本科室（{principal.department}）的后续处理")
        return principal.department

    @router.get(
        "/follow-ups",
        summary="后续处理台账（信用监管科备案；涉嫌犯罪逾期未移送标为 overdue）",
        responses={401: {"description": "未登录"}, 403: {"description": "缺少角色"}},
    )
    async def list_follow_ups(
        principal: FollowUpReader,
        status: FollowUpStatus | None = None,
        department: str | None = None,
        task_id: str | None = None,
        uscc: str | None = None,
        overdue: bool | None = None,
    ) -> dict[str, Any]:
        scope = _department_scope(principal, department)
        today = rt.clock.today()
        async with rt.db.sessions() as session:
            repo = SqlInspectionRepository(session)
            rows = await repo.search_follow_ups(
                status, scope, task_id, uscc.upper() if uscc else None
            )
            if principal.roles & BUREAU_WIDE and not (status or department or task_id or uscc):
                set_gauge(rows, today)
        if overdue is not None:
            rows = [f for f in rows if f.overdue(today) is overdue]
        return {
            "total": len(rows),
            "overdue": sum(1 for f in rows if f.overdue(today)),
            "transfer_due_workdays": get_inspections_settings().transfer_due_workdays,
            "items": [follow_up_json(f, today) for f in rows],
        }

    @router.get(
        "/follow-ups/{follow_up_id}",
        summary="后续处理详情（含每次处理结果）",
        responses=FOLLOW_UP_REFUSALS,
    )
    async def get_follow_up(follow_up_id: str, principal: FollowUpReader) -> dict[str, Any]:
        async with rt.db.sessions() as session:
            follow_up = await SqlInspectionRepository(session).get_follow_up(follow_up_id)
        if follow_up is None:
            raise NotFound(f"后续处理 {follow_up_id} 不存在")
        _department_scope(principal, follow_up.lead_department)
        return follow_up_json(follow_up, rt.clock.today())

    @router.post(
        "/follow-ups/{follow_up_id}/outcomes",
        summary="牵头监管科室记录后续处理结果（已改正、立案查处、移送司法机关、办结）",
        responses=FOLLOW_UP_REFUSALS,
    )
    async def record_follow_up(
        follow_up_id: str, principal: FollowUpRecorder, form: OutcomeIn
    ) -> dict[str, Any]:
        async with rt.uow(principal.context()) as uow:
            repo = SqlInspectionRepository(uow.session)
            follow_up = await services.record_follow_up(
                uow,
                repo,
                follow_up_id,
                principal.user,
                {str(r) for r in principal.roles},
                principal.department,
                form,
                transfer_workdays=get_inspections_settings().transfer_due_workdays,
            )
        return follow_up_json(follow_up, rt.clock.today())

    return router


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
