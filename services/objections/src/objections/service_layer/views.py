"""Reads of the objections service (the query side): what staff and entities look at."""

from __future__ import annotations

from datetime import date

from objections.domain import model, scans
from objections.domain.model import Objection, Status
from objections.domain.requests import CorrectionRequest, RequestStatus
from objections.service_layer.unit_of_work import ObjectionsUnitOfWork
from spotcheck_common.db import Page
from spotcheck_common.errors import Forbidden, NotFound


async def objection(uow: ObjectionsUnitOfWork, objection_id: str) -> Objection:
    found = await uow.objections.get(objection_id)
    if found is None:
        raise NotFound(f"异议 {objection_id} 不存在")
    return found


async def objection_of_entity(uow: ObjectionsUnitOfWork, objection_id: str, uscc: str) -> Objection:
    """An entity reads only the objections to its own results (a producer: its products')."""
    found = await objection(uow, objection_id)
    if found.uscc == uscc.upper():
        return found
    record = await uow.objections.get_record(found.record_id)
    if record is None or model.online_applicant(record) != uscc.upper():
        raise Forbidden("检查对象只能查看本单位提出的异议")
    return found


async def scan(uow: ObjectionsUnitOfWork, objection_id: str) -> tuple[scans.Scan, bytes]:
    """A paper objection's scan and its content, checked against its SHA-256 (500 if it no
    longer matches; never served)."""
    await objection(uow, objection_id)
    found = await uow.objections.scan(objection_id)
    if found is None:
        raise NotFound(f"异议 {objection_id} 没有扫描件（网上提出的异议不附扫描件）")
    kept, content = found
    return kept, scans.verified(kept, content)


async def search(
    uow: ObjectionsUnitOfWork,
    status: Status | None,
    uscc: str | None,
    record_id: str | None,
    overdue_on: date | None,
    limit: int,
    offset: int,
) -> Page[Objection]:
    return await uow.objections.search(status, uscc, record_id, overdue_on, limit, offset)


async def request(uow: ObjectionsUnitOfWork, request_id: str) -> CorrectionRequest:
    found = await uow.objections.get_request(request_id)
    if found is None:
        raise NotFound(f"更正报请 {request_id} 不存在")
    return found


async def requests(
    uow: ObjectionsUnitOfWork,
    status: RequestStatus | None,
    record_id: str | None,
    limit: int,
    offset: int,
) -> Page[CorrectionRequest]:
    return await uow.objections.search_requests(status, record_id, limit, offset)


async def reply_document(uow: ObjectionsUnitOfWork, request_id: str) -> tuple[scans.Scan, bytes]:
    """The city reply's scan and its content, checked against its SHA-256 (500 if it no longer
    matches; never served)."""
    await request(uow, request_id)
    found = await uow.objections.reply_document(request_id)
    if found is None:
        raise NotFound(f"更正报请 {request_id} 未附市局批复的扫描件")
    kept, content = found
    return kept, scans.verified(kept, content)
