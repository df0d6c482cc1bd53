"""The fake repository the unit tests use behaves as the SQL one (on SQLite, the embedded
database; the integration suite runs the SQL one on PostgreSQL): same answers to the same
calls, so a use case tested on the fake holds on the real thing."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from objections.adapters.repository import ObjectionsRepository, SqlObjectionsRepository
from objections.domain.model import Objection, PublishedRecord, Status
from objections.domain.requests import CorrectionRequest, RequestStatus
from objections.domain.scans import Scan, sha256_hex
from objections.entrypoints.service import definition
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import ResultCategory
from spotcheck_common.testing import calendar_event, migrated_session

from . import samples
from .fakes import FakeObjectionsRepository

T0 = datetime(2026, 3, 2, 1, tzinfo=UTC)


@pytest.fixture(params=["fake", "sql"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "fake":
        yield FakeObjectionsRepository()
        return
    async with migrated_session(definition, tmp_path) as session:
        yield SqlObjectionsRepository(session)


def record(record_id: str = "rec-1", version: int = 1) -> PublishedRecord:
    return PublishedRecord(
        record_id=record_id,
        task_id="task-1",
        task_no="LG-1",
        task_title="任务",
        uscc="91371000MA3C000011",
        entity_name="某公司",
        current_version=version,
        results=[
            ItemResult(
                check_item_code="A01", check_item_name="x", category=ResultCategory.NO_PROBLEM
            )
        ],
        lead_department="食品科",
        published_on=date(2026, 3, 2),
    )


def objection(n: int, **changes: Any) -> Objection:
    base = Objection(
        objection_id=f"obj-{n}",
        record_id=f"rec-{n}",
        record_version=1,
        task_id="task-1",
        uscc="91371000MA3C000011",
        reason="r",
        received_on=date(2026, 3, 2),
        review_due_on=date(2026, 3, 30),
        filed_by="entity",
        filed_at=T0 + timedelta(minutes=n),
    )
    return dataclasses.replace(base, **changes)


async def test_a_record_keeps_its_newest_version(repo: ObjectionsRepository) -> None:
    assert await repo.save_record(record(version=2), T0) is True
    assert await repo.save_record(record(version=1), T0) is False  # older: ignored
    assert await repo.save_record(record(version=2), T0) is False  # same: ignored
    kept = await repo.get_record("rec-1")
    assert kept is not None and kept.current_version == 2 and kept.lead_department == "食品科"
    assert kept.published_on == date(2026, 3, 2)
    assert await repo.get_record("nope") is None


async def test_add_get_and_guarded_update(repo: ObjectionsRepository) -> None:
    await repo.add(objection(1))
    assert await repo.get("obj-1") == objection(1)  # instants come back aware, on SQLite too
    assert await repo.pending_for_record("rec-1") is not None
    decided = dataclasses.replace(objection(1), status=Status.UPHELD, decided_on=date(2026, 3, 3))
    assert await repo.update(decided, expected_status=Status.PENDING) is True
    assert await repo.update(decided, expected_status=Status.PENDING) is False  # raced
    assert await repo.pending_for_record("rec-1") is None
    stored = await repo.get("obj-1")
    assert stored is not None and stored.status == Status.UPHELD


async def test_search_filters_pages_and_orders_newest_first(repo: ObjectionsRepository) -> None:
    late = {"review_due_on": date(2026, 3, 10)}
    for n in range(1, 6):
        await repo.add(objection(n, **(late if n % 2 else {})))
    page = await repo.search(None, None, None, None, 2, 1)
    assert page.total == 5 and [o.objection_id for o in page.items] == ["obj-4", "obj-3"]
    overdue = await repo.search(None, None, None, date(2026, 3, 11), 50, 0)
    assert [o.objection_id for o in overdue.items] == ["obj-5", "obj-3", "obj-1"]
    assert (await repo.search(Status.UPHELD, None, None, None, 50, 0)).total == 0
    by_record = await repo.search(None, "91371000ma3c000011", "rec-2", None, 50, 0)
    assert [o.objection_id for o in by_record.items] == ["obj-2"]


async def test_clocks_open_pending_and_started(repo: ObjectionsRepository) -> None:
    await repo.add(objection(1))  # review running
    await repo.add(
        objection(
            2,
            status=Status.UPHELD,
            decided_on=date(2026, 3, 3),
            feedback_due_on=date(2026, 3, 24),
            feedback_given_on=date(2026, 3, 5),
        )
    )  # every clock closed
    await repo.add(
        objection(3, received_on=date(2026, 12, 20), review_due_on=None, review_due_pending=2027)
    )
    assert sorted(o.objection_id for o in await repo.with_open_clocks()) == ["obj-1", "obj-3"]
    assert [o.objection_id for o in await repo.pending_calendar()] == ["obj-3"]
    since = await repo.started_since(date(2026, 3, 3))
    assert [o.objection_id for o in since] == ["obj-2", "obj-3"]  # decided, received since


async def test_the_calendar_the_repository_counts_with(repo: Any) -> None:
    if isinstance(repo, FakeObjectionsRepository):
        repo.work_calendar = repo.work_calendar.__class__([calendar_event().schedule()])
    else:
        from spotcheck_common.calendar_store import CalendarStore

        await CalendarStore(repo.session).add(calendar_event())
    calendar = await repo.calendar()
    assert calendar.covers(2027) and calendar.schedule(2027).label == "2027/v1"


def scan(n: int, content: bytes = samples.PDF) -> Scan:
    return Scan(
        owner_id=f"obj-{n}",
        filename=f"申请书-{n}.pdf",
        media_type="application/pdf",
        size=len(content),
        sha256=sha256_hex(content),
        recorded_by="xinyong-1",
        recorded_at=T0 + timedelta(minutes=n),
    )


async def test_a_paper_objection_is_read_with_its_scan(repo: ObjectionsRepository) -> None:
    """Every read of an objection carries its scan's description (not the content); the
    content comes back byte for byte; an online objection has none."""
    await repo.add(objection(1))
    await repo.add(objection(2))
    await repo.add_scan(scan(1), samples.PDF)
    assert await repo.scan("obj-1") == (scan(1), samples.PDF)  # instants aware, on SQLite too
    assert await repo.scan("obj-2") is None and await repo.scan("nope") is None
    with_scan = await repo.get("obj-1", lock=True)
    assert with_scan == dataclasses.replace(objection(1), scan=scan(1))
    assert (await repo.get("obj-2")) == objection(2)
    reads = [
        (await repo.search(None, None, None, None, 50, 0)).items,
        await repo.with_open_clocks(),
        await repo.started_since(date(2026, 3, 1)),
    ]
    for found in reads:
        assert {o.objection_id: o.scan for o in found} == {"obj-1": scan(1), "obj-2": None}
    pending = await repo.pending_for_record("rec-1")
    assert pending is not None and pending.scan == scan(1)
    # Writing the objection back (a decision) leaves its scan as it was.
    decided = dataclasses.replace(with_scan, status=Status.UPHELD, decided_on=date(2026, 3, 3))
    assert await repo.update(decided, expected_status=Status.PENDING) is True
    assert await repo.scan("obj-1") == (scan(1), samples.PDF)
    stored = await repo.get("obj-1")
    assert stored is not None and stored.scan == scan(1) and stored.status == Status.UPHELD


async def test_an_objection_has_one_scan(repo: ObjectionsRepository) -> None:
    await repo.add(objection(1))
    await repo.add_scan(scan(1), samples.PDF)
    with pytest.raises((ValueError, IntegrityError)):
        await repo.add_scan(scan(1, samples.PNG), samples.PNG)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE objection_scans SET content = x'00'",
        "UPDATE objection_scans SET filename = 'forged.pdf'",
        "DELETE FROM objection_scans",
    ],
)
async def test_the_database_keeps_a_scan_as_registered(tmp_path: Path, statement: str) -> None:
    """Append-only like other evidence: SQLite refuses (the embedded mode); PostgreSQL in the
    integration suite."""
    async with migrated_session(definition, tmp_path) as session:
        repo = SqlObjectionsRepository(session)
        await repo.add(objection(1))
        await repo.add_scan(scan(1), samples.PDF)
        with pytest.raises(DBAPIError, match="扫描件只能登记一次"):
            await session.execute(sa.text(statement))
        await session.rollback()


def city_request(n: int, record_id: str = "rec-1", **changes: Any) -> CorrectionRequest:
    base = CorrectionRequest(
        request_id=f"req-{n}",
        record_id=record_id,
        task_id="task-1",
        uscc="91371000MA3C000011",
        objection_id=None,
        source="credit_department",
        corrected_results=record().results,
        reason="录入错误",
        request_no=f"临市监信〔2026〕{n}号",
        requested_on=date(2026, 3, 3),
        requested_by="xinyong-1",
        requested_at=T0 + timedelta(minutes=n),
        record_version=1,
    )
    return dataclasses.replace(base, **changes)


async def test_requests_wait_one_per_record_and_are_replied_once(
    repo: ObjectionsRepository,
) -> None:
    await repo.add_request(city_request(1))
    assert await repo.get_request("req-1") == city_request(1)
    waiting = await repo.open_request_for_record("rec-1")
    assert waiting is not None and waiting.request_id == "req-1"
    with pytest.raises((ValueError, IntegrityError)):  # a second one of the record waiting
        await repo.add_request(city_request(2))
    replied = city_request(
        1,
        status=RequestStatus.REFUSED,
        reply_no="威市监函〔2026〕1号",
        replied_on=date(2026, 3, 5),
        reply_reason="无误",
        reply_recorded_by="xinyong-2",
        reply_recorded_at=T0 + timedelta(days=3),
    )
    assert await repo.update_request(replied) is True
    assert await repo.update_request(replied) is False  # replied: final
    assert await repo.get_request("req-1") == replied
    assert await repo.open_request_for_record("rec-1") is None
    await repo.add_request(city_request(2))
    page = await repo.search_requests(None, "rec-1", 10, 0)
    assert page.total == 2 and [r.request_id for r in page.items] == ["req-2", "req-1"]
    refused = await repo.search_requests(RequestStatus.REFUSED, None, 10, 0)
    assert [r.request_id for r in refused.items] == ["req-1"]


async def test_a_reply_document_is_read_with_its_request(repo: ObjectionsRepository) -> None:
    await repo.add_request(city_request(1))
    document = dataclasses.replace(scan(1, samples.PNG), owner_id="req-1", media_type="image/png")
    await repo.add_reply_document(document, samples.PNG)
    assert await repo.reply_document("req-1") == (document, samples.PNG)
    found = await repo.get_request("req-1")
    assert found is not None and found.document == document
    assert await repo.reply_document("req-2") is None


async def test_a_stopped_correction_clock_is_not_overdue(repo: ObjectionsRepository) -> None:
    """The overdue search (SQL) agrees with the domain: while the city holds a request sent in
    time, or after it refused it, the correction is not late; a late request stays late."""
    corrected = {
        "status": Status.CORRECTED,
        "decided_on": date(2026, 3, 3),
        "feedback_due_on": date(2026, 3, 24),
        "feedback_given_on": date(2026, 3, 4),
        "correction_due_on": date(2026, 3, 10),
        "review_due_on": date(2026, 3, 30),
    }
    await repo.add(
        objection(1, **corrected, city_requested_on=date(2026, 3, 5), correction_suspended=True)
    )
    await repo.add(
        objection(
            2,
            **corrected,
            city_requested_on=date(2026, 3, 5),
            correction_suspended=True,
            city_granted=False,
            city_replied_on=date(2026, 3, 20),
        )
    )
    await repo.add(objection(3, **corrected, city_requested_on=date(2026, 3, 12)))
    await repo.add(objection(4, **corrected))
    late = await repo.search(None, None, None, date(2026, 4, 1), 10, 0)
    assert sorted(o.objection_id for o in late.items) == ["obj-3", "obj-4"]
