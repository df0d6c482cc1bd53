"""Objections persistence behind a small interface, so the service layer runs on fakes too."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from objections.adapters import orm
from objections.domain.model import Objection, PublishedRecord, Status
from objections.domain.requests import CorrectionRequest, RequestStatus
from objections.domain.scans import Scan
from spotcheck_common.calendar_store import CalendarStore
from spotcheck_common.db import Page, aware, aware_or_none, paginate
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.workdays import WorkCalendar


class ObjectionsRepository(Protocol):
    async def get_record(self, record_id: str) -> PublishedRecord | None: ...

    async def save_record(self, record: PublishedRecord, now: datetime) -> bool: ...

    async def get(self, objection_id: str, lock: bool = False) -> Objection | None: ...

    async def pending_for_record(self, record_id: str) -> Objection | None: ...

    async def add(self, objection: Objection) -> None: ...

    async def update(self, objection: Objection, expected_status: Status | None = None) -> bool: ...

    async def calendar(self) -> WorkCalendar: ...

    async def started_since(self, day: date) -> list[Objection]: ...

    async def search(
        self,
        status: Status | None,
        uscc: str | None,
        record_id: str | None,
        overdue_on: date | None,
        limit: int,
        offset: int,
    ) -> Page[Objection]: ...

    async def with_open_clocks(self) -> list[Objection]: ...

    async def pending_calendar(self) -> list[Objection]: ...

    async def add_scan(self, scan: Scan, content: bytes) -> None: ...

    async def scan(self, objection_id: str) -> tuple[Scan, bytes] | None: ...

    async def add_request(self, request: CorrectionRequest) -> None: ...

    async def get_request(
        self, request_id: str, lock: bool = False
    ) -> CorrectionRequest | None: ...

    async def open_request_for_record(self, record_id: str) -> CorrectionRequest | None: ...

    async def update_request(self, request: CorrectionRequest) -> bool: ...

    async def search_requests(
        self, status: RequestStatus | None, record_id: str | None, limit: int, offset: int
    ) -> Page[CorrectionRequest]: ...

    async def add_reply_document(self, document: Scan, content: bytes) -> None: ...

    async def reply_document(self, request_id: str) -> tuple[Scan, bytes] | None: ...


def _record(row: Any) -> PublishedRecord:
    return PublishedRecord(
        record_id=row.record_id,
        task_id=row.task_id,
        task_no=row.task_no,
        task_title=row.task_title,
        uscc=row.uscc,
        entity_name=row.entity_name,
        current_version=row.current_version,
        results=[ItemResult.model_validate(r) for r in row.results],
        lead_department=row.lead_department,
        published_on=row.published_on,
        details=dict(row.details or {}),
    )


_FIELDS = [c.name for c in orm.objections.columns]
# What an objection carries of its scan (not the content), read with it by an outer join.
_SCAN_FIELDS = ["filename", "media_type", "size", "sha256", "recorded_by", "recorded_at"]
_SCAN_COLUMNS = [orm.objection_scans.c[name].label(f"scan_{name}") for name in _SCAN_FIELDS]


def _objections() -> sa.Select[Any]:
    """Objections with their scan's description (none for an online objection)."""
    t, s = orm.objections, orm.objection_scans
    return sa.select(t, *_SCAN_COLUMNS).select_from(
        t.outerjoin(s, s.c.objection_id == t.c.objection_id)
    )


def _scan(owner_id: str, row: Any, prefix: str = "") -> Scan:
    values = {name: getattr(row, prefix + name) for name in _SCAN_FIELDS}
    values["recorded_at"] = aware(values["recorded_at"])
    return Scan(owner_id=owner_id, **values)


def _scan_values(scan: Scan, content: bytes) -> dict[str, Any]:
    return {name: getattr(scan, name) for name in _SCAN_FIELDS} | {"content": content}


_REQUEST_FIELDS = [c.name for c in orm.correction_requests.columns]
_DOCUMENT_COLUMNS = [
    orm.correction_reply_documents.c[name].label(f"doc_{name}") for name in _SCAN_FIELDS
]


def _requests() -> sa.Select[Any]:
    """Requests with their reply document's description (none without a scan)."""
    t, d = orm.correction_requests, orm.correction_reply_documents
    return sa.select(t, *_DOCUMENT_COLUMNS).select_from(
        t.outerjoin(d, d.c.request_id == t.c.request_id)
    )


def _request(row: Any) -> CorrectionRequest:
    values = {name: getattr(row, name) for name in _REQUEST_FIELDS}
    values["status"] = RequestStatus(values["status"])
    values["corrected_results"] = [ItemResult.model_validate(r) for r in row.corrected_results]
    for moment in ("requested_at", "reply_recorded_at"):
        values[moment] = aware_or_none(values[moment])
    document = _scan(row.request_id, row, "doc_") if row.doc_sha256 is not None else None
    return CorrectionRequest(**values, document=document)


def _request_values(r: CorrectionRequest) -> dict[str, Any]:
    values = {name: getattr(r, name) for name in _REQUEST_FIELDS}
    values["status"] = r.status.value
    values["corrected_results"] = [c.model_dump(mode="json") for c in r.corrected_results]
    return values


def _objection(row: Any) -> Objection:
    values = {name: getattr(row, name) for name in _FIELDS}
    scan = _scan(row.objection_id, row, "scan_") if row.scan_sha256 is not None else None
    values["status"] = Status(values["status"])
    for moment in ("filed_at", "decided_at", "correction_submitted_at"):
        values[moment] = aware_or_none(values[moment])
    if values["corrected_results"] is not None:
        values["corrected_results"] = [
            ItemResult.model_validate(r) for r in values["corrected_results"]
        ]
    return Objection(**values, scan=scan)


def _values(o: Objection) -> dict[str, Any]:
    values = {name: getattr(o, name) for name in _FIELDS}
    values["status"] = o.status.value
    if o.corrected_results is not None:
        values["corrected_results"] = [r.model_dump(mode="json") for r in o.corrected_results]
    return values


class SqlObjectionsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_record(self, record_id: str) -> PublishedRecord | None:
        t = orm.published_records
        row = (await self.session.execute(sa.select(t).where(t.c.record_id == record_id))).first()
        return _record(row) if row else None

    async def save_record(self, record: PublishedRecord, now: datetime) -> bool:
        """Insert, or replace with a newer version; an older or equal version changes nothing."""
        t = orm.published_records
        values = {
            **record.__dict__,
            "results": [r.model_dump(mode="json") for r in record.results],
            "updated_at": now,
        }
        existing = (
            await self.session.execute(
                sa.select(t.c.current_version).where(t.c.record_id == record.record_id)
            )
        ).scalar_one_or_none()
        if existing is None:
            await self.session.execute(sa.insert(t).values(**values))
            return True
        if existing >= record.current_version:
            return False
        await self.session.execute(
            sa.update(t).where(t.c.record_id == record.record_id).values(**values)
        )
        return True

    async def calendar(self) -> WorkCalendar:
        return await CalendarStore(self.session).load()

    async def started_since(self, day: date) -> list[Objection]:
        """Objections whose clocks may read a year from ``day`` on (received or decided since)."""
        t = orm.objections
        rows = await self.session.execute(
            _objections()
            .where(sa.or_(t.c.received_on >= day, t.c.decided_on >= day))
            .order_by(t.c.received_on, t.c.objection_id)
            .with_for_update(of=t)
        )
        return [_objection(r) for r in rows]

    async def pending_calendar(self) -> list[Objection]:
        """Objections with a clock waiting for a year's holiday schedule."""
        t = orm.objections
        rows = await self.session.execute(
            _objections().where(
                sa.or_(
                    t.c.review_due_pending.is_not(None),
                    t.c.feedback_due_pending.is_not(None),
                    t.c.correction_due_pending.is_not(None),
                )
            )
        )
        return [_objection(r) for r in rows]

    async def get(self, objection_id: str, lock: bool = False) -> Objection | None:
        t = orm.objections
        query = _objections().where(t.c.objection_id == objection_id)
        if lock:
            query = query.with_for_update(of=t)
        row = (await self.session.execute(query)).first()
        return _objection(row) if row else None

    async def pending_for_record(self, record_id: str) -> Objection | None:
        t = orm.objections
        row = (
            await self.session.execute(
                _objections().where(t.c.record_id == record_id, t.c.status == Status.PENDING.value)
            )
        ).first()
        return _objection(row) if row else None

    async def add(self, objection: Objection) -> None:
        await self.session.execute(sa.insert(orm.objections).values(**_values(objection)))

    async def update(self, objection: Objection, expected_status: Status | None = None) -> bool:
        """Write back; with ``expected_status`` only if the row still has it (False if not)."""
        t = orm.objections
        query = sa.update(t).where(t.c.objection_id == objection.objection_id)
        if expected_status is not None:
            query = query.where(t.c.status == expected_status.value)
        result = await self.session.execute(query.values(**_values(objection)))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def search(
        self,
        status: Status | None,
        uscc: str | None,
        record_id: str | None,
        overdue_on: date | None,
        limit: int,
        offset: int,
    ) -> Page[Objection]:
        """Objections, newest first; ``overdue_on``: only those late on that day (any clock)."""
        t = orm.objections
        where: list[Any] = []
        if status is not None:
            where.append(t.c.status == status.value)
        if uscc:
            where.append(t.c.uscc == uscc.upper())
        if record_id:
            where.append(t.c.record_id == record_id)
        if overdue_on is not None:
            today = sa.literal(overdue_on, sa.Date)

            def late(done: Any, due: Any) -> Any:
                return sa.and_(
                    due.is_not(None),
                    sa.or_(sa.and_(done.is_(None), today > due), done > due),
                )

            where.append(
                sa.or_(
                    late(t.c.decided_on, t.c.review_due_on),
                    late(t.c.feedback_given_on, t.c.feedback_due_on),
                    sa.and_(
                        late(t.c.correction_published_on, t.c.correction_due_on),
                        # Stopped while the city holds a request sent in time, or refused it.
                        sa.not_(
                            sa.and_(
                                t.c.correction_suspended.is_(True),
                                sa.or_(t.c.city_granted.is_(None), t.c.city_granted.is_(False)),
                            )
                        ),
                    ),
                )
            )
        query = _objections().where(*where).order_by(t.c.filed_at.desc(), t.c.objection_id)
        return await paginate(self.session, query, limit, offset, _objection)

    async def with_open_clocks(self) -> list[Objection]:
        """Objections with a clock still running (not reviewed, not fed back, or a confirmed
        error not yet published): the candidates for the overdue gauge."""
        t = orm.objections
        rows = await self.session.execute(
            _objections()
            .where(
                sa.or_(
                    t.c.decided_on.is_(None),
                    sa.and_(t.c.feedback_due_on.is_not(None), t.c.feedback_given_on.is_(None)),
                    sa.and_(
                        t.c.correction_due_on.is_not(None), t.c.correction_published_on.is_(None)
                    ),
                )
            )
            .order_by(t.c.review_due_on, t.c.objection_id)
        )
        return [_objection(r) for r in rows]

    async def add_scan(self, scan: Scan, content: bytes) -> None:
        await self.session.execute(
            sa.insert(orm.objection_scans).values(
                objection_id=scan.owner_id, **_scan_values(scan, content)
            )
        )

    async def scan(self, objection_id: str) -> tuple[Scan, bytes] | None:
        """A paper objection's scan and its stored content (unchecked: ``scans.verified``)."""
        s = orm.objection_scans
        row = (
            await self.session.execute(sa.select(s).where(s.c.objection_id == objection_id))
        ).first()
        return (_scan(objection_id, row), row.content) if row else None

    async def add_request(self, request: CorrectionRequest) -> None:
        await self.session.execute(
            sa.insert(orm.correction_requests).values(**_request_values(request))
        )

    async def get_request(self, request_id: str, lock: bool = False) -> CorrectionRequest | None:
        t = orm.correction_requests
        query = _requests().where(t.c.request_id == request_id)
        if lock:
            query = query.with_for_update(of=t)
        row = (await self.session.execute(query)).first()
        return _request(row) if row else None

    async def open_request_for_record(self, record_id: str) -> CorrectionRequest | None:
        t = orm.correction_requests
        query = _requests().where(
            t.c.record_id == record_id, t.c.status == RequestStatus.REQUESTED.value
        )
        row = (await self.session.execute(query)).first()
        return _request(row) if row else None

    async def update_request(self, request: CorrectionRequest) -> bool:
        """Record the reply, only if the request still waits for it (False if not)."""
        t = orm.correction_requests
        result = await self.session.execute(
            sa.update(t)
            .where(
                t.c.request_id == request.request_id,
                t.c.status == RequestStatus.REQUESTED.value,
            )
            .values(**_request_values(request))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def search_requests(
        self, status: RequestStatus | None, record_id: str | None, limit: int, offset: int
    ) -> Page[CorrectionRequest]:
        """Requests, newest first."""
        t = orm.correction_requests
        where: list[Any] = []
        if status is not None:
            where.append(t.c.status == status.value)
        if record_id:
            where.append(t.c.record_id == record_id)
        query = _requests().where(*where).order_by(t.c.requested_at.desc(), t.c.request_id)
        return await paginate(self.session, query, limit, offset, _request)

    async def add_reply_document(self, document: Scan, content: bytes) -> None:
        await self.session.execute(
            sa.insert(orm.correction_reply_documents).values(
                request_id=document.owner_id, **_scan_values(document, content)
            )
        )

    async def reply_document(self, request_id: str) -> tuple[Scan, bytes] | None:
        """A reply's scan and its stored content (unchecked: ``scans.verified``)."""
        d = orm.correction_reply_documents
        row = (await self.session.execute(sa.select(d).where(d.c.request_id == request_id))).first()
        return (_scan(request_id, row), row.content) if row else None
