"""In-memory doubles of the objections service's repository and unit of work, held to the same
contract as the SQL ones (``test_repository_contract.py``) and type-checked (``make lint``)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from objections.adapters.repository import ObjectionsRepository
from objections.domain import model
from objections.domain.model import Objection, PublishedRecord, Status
from objections.domain.requests import CorrectionRequest, RequestStatus
from objections.domain.scans import Scan
from objections.service_layer.unit_of_work import ObjectionsUnitOfWork
from spotcheck_common.db import Page
from spotcheck_common.testing import FakeUnitOfWork
from spotcheck_common.workdays import WorkCalendar


class FakeObjectionsRepository:
    def __init__(self) -> None:
        self.records: dict[str, PublishedRecord] = {}
        self.objections: dict[str, Objection] = {}
        self.scans: dict[str, tuple[Scan, bytes]] = {}
        self.requests: dict[str, CorrectionRequest] = {}
        self.documents: dict[str, tuple[Scan, bytes]] = {}
        self.work_calendar = WorkCalendar()

    def _out(self, o: Objection) -> Objection:
        """A copy, with its scan's description as the SQL one reads it (by an outer join)."""
        kept = self.scans.get(o.objection_id)
        return dataclasses.replace(o, scan=kept[0] if kept else None)

    async def calendar(self) -> WorkCalendar:
        return self.work_calendar

    async def get_record(self, record_id: str) -> PublishedRecord | None:
        return self.records.get(record_id)

    async def save_record(self, record: PublishedRecord, now: datetime) -> bool:
        old = self.records.get(record.record_id)
        if old is not None and old.current_version >= record.current_version:
            return False
        self.records[record.record_id] = record
        return True

    async def get(self, objection_id: str, lock: bool = False) -> Objection | None:
        o = self.objections.get(objection_id)
        return self._out(o) if o else None

    async def pending_for_record(self, record_id: str) -> Objection | None:
        return next(
            (
                self._out(o)
                for o in self.objections.values()
                if o.record_id == record_id and o.status == Status.PENDING
            ),
            None,
        )

    async def add(self, objection: Objection) -> None:
        self.objections[objection.objection_id] = dataclasses.replace(objection, scan=None)

    async def update(self, objection: Objection, expected_status: Status | None = None) -> bool:
        stored = self.objections.get(objection.objection_id)
        if stored is None or (expected_status is not None and stored.status != expected_status):
            return False
        self.objections[objection.objection_id] = dataclasses.replace(objection, scan=None)
        return True

    async def started_since(self, day: date) -> list[Objection]:
        return sorted(
            (
                self._out(o)
                for o in self.objections.values()
                if o.received_on >= day or (o.decided_on is not None and o.decided_on >= day)
            ),
            key=lambda o: (o.received_on, o.objection_id),
        )

    async def search(
        self,
        status: Status | None,
        uscc: str | None,
        record_id: str | None,
        overdue_on: date | None,
        limit: int,
        offset: int,
    ) -> Page[Objection]:
        found = [
            o
            for o in self.objections.values()
            if (status is None or o.status == status)
            and (not uscc or o.uscc == uscc.upper())
            and (not record_id or o.record_id == record_id)
            and (overdue_on is None or model.overdue(o, overdue_on)["any"])
        ]
        found.sort(key=lambda o: o.objection_id)
        found.sort(key=lambda o: o.filed_at, reverse=True)
        return Page(len(found), [self._out(o) for o in found[offset : offset + limit]])

    async def with_open_clocks(self) -> list[Objection]:
        return [
            self._out(o)
            for o in self.objections.values()
            if o.decided_on is None
            or (o.feedback_due_on is not None and o.feedback_given_on is None)
            or (o.correction_due_on is not None and o.correction_published_on is None)
        ]

    async def pending_calendar(self) -> list[Objection]:
        return [self._out(o) for o in self.objections.values() if model.pending_clocks(o)]

    async def add_scan(self, scan: Scan, content: bytes) -> None:
        if scan.owner_id in self.scans:  # the primary key
            raise ValueError(f"objection {scan.owner_id} already has a scan")
        self.scans[scan.owner_id] = (scan, bytes(content))

    async def scan(self, objection_id: str) -> tuple[Scan, bytes] | None:
        return self.scans.get(objection_id)

    def _request(self, r: CorrectionRequest) -> CorrectionRequest:
        kept = self.documents.get(r.request_id)
        return dataclasses.replace(r, document=kept[0] if kept else None)

    async def add_request(self, request: CorrectionRequest) -> None:
        if request.objection_id and any(
            r.objection_id == request.objection_id for r in self.requests.values()
        ):
            raise ValueError(f"objection {request.objection_id} already requested")  # unique
        if await self.open_request_for_record(request.record_id) is not None:
            raise ValueError(f"record {request.record_id} has an open request")  # unique index
        self.requests[request.request_id] = dataclasses.replace(request, document=None)

    async def get_request(self, request_id: str, lock: bool = False) -> CorrectionRequest | None:
        r = self.requests.get(request_id)
        return self._request(r) if r else None

    async def open_request_for_record(self, record_id: str) -> CorrectionRequest | None:
        return next(
            (
                self._request(r)
                for r in self.requests.values()
                if r.record_id == record_id and r.status == RequestStatus.REQUESTED
            ),
            None,
        )

    async def update_request(self, request: CorrectionRequest) -> bool:
        stored = self.requests.get(request.request_id)
        if stored is None or stored.status != RequestStatus.REQUESTED:
            return False
        self.requests[request.request_id] = dataclasses.replace(request, document=None)
        return True

    async def search_requests(
        self, status: RequestStatus | None, record_id: str | None, limit: int, offset: int
    ) -> Page[CorrectionRequest]:
        found = [
            r
            for r in self.requests.values()
            if (status is None or r.status == status)
            and (not record_id or r.record_id == record_id)
        ]
        found.sort(key=lambda r: r.request_id)
        found.sort(key=lambda r: r.requested_at, reverse=True)
        return Page(len(found), [self._request(r) for r in found[offset : offset + limit]])

    async def add_reply_document(self, document: Scan, content: bytes) -> None:
        if document.owner_id in self.documents:  # the primary key
            raise ValueError(f"request {document.owner_id} already has a document")
        self.documents[document.owner_id] = (document, bytes(content))

    async def reply_document(self, request_id: str) -> tuple[Scan, bytes] | None:
        return self.documents.get(request_id)


class FakeObjectionsUnitOfWork(FakeUnitOfWork):
    """The kernel's fake unit of work, carrying the fake repository."""

    def __init__(
        self, objections: FakeObjectionsRepository | None = None, actor: str = "tester"
    ) -> None:
        super().__init__(actor=actor)
        self.objections = objections or FakeObjectionsRepository()


def _conforms() -> None:
    """Never called: mypy (``make lint``) checks the fakes against the protocols they stand in
    for, so a method added to one and not the other fails the lint."""
    repo: ObjectionsRepository = FakeObjectionsRepository()
    uow: ObjectionsUnitOfWork = FakeObjectionsUnitOfWork()
    del repo, uow
