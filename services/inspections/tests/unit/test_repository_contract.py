"""The fake repository the unit tests use behaves as the SQL one (on SQLite, the embedded
database; the integration suite runs the SQL one on PostgreSQL): same answers to the same
calls, so a use case tested on the fake holds on the real thing."""

from __future__ import annotations

import copy
import inspect
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from inspections.adapters.reports import ReportRepository, SqlReportRepository
from inspections.adapters.repository import InspectionRepository, SqlInspectionRepository
from inspections.domain.attachments import new_attachment
from inspections.domain.follow_ups import FollowUp, FollowUpStatus, OutcomeIn
from inspections.domain.model import Inspection, InspectionStatus, NotInspected, NotInspectedReason
from inspections.domain.reports import Period, Report, ReportKind
from inspections.domain.visits import Visit
from inspections.entrypoints.service import definition
from spotcheck_common.clock import CHINA_TZ
from spotcheck_common.errors import StaleWrite
from spotcheck_common.events.inspections import (
    AttachmentKind,
    FollowUpKind,
    NotInspectedReportItem,
)
from spotcheck_common.testing import migrated_session
from spotcheck_common.workdays import WorkCalendar

from .factories import (
    DETAILS,
    LEADER,
    MEMBER,
    NOW,
    USCC_1,
    USCC_2,
    all_clear,
    inspection,
    product_inspection,
    sample,
    task_info,
)
from .fakes import FakeInspectionRepository, FakeReportRepository


@pytest.fixture(params=["fake", "sql"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "fake":
        yield FakeInspectionRepository()
        return
    async with migrated_session(definition, tmp_path) as session:
        yield SqlInspectionRepository(session)


def another(inspection_id: str, task_id: str, task_no: str, uscc: str = USCC_1) -> Inspection:
    other = inspection()
    other.inspection_id, other.task_id, other.task_no, other.uscc = (
        inspection_id,
        task_id,
        task_no,
        uscc,
    )
    other.created_at = NOW + timedelta(minutes=int(inspection_id[-1]))
    return other


async def test_a_products_fields_and_samples_round_trip(repo: Any) -> None:
    product = product_inspection()
    await repo.add(product)
    loaded = await repo.get(product.inspection_id)
    assert loaded is not None and loaded.details == DETAILS and loaded.samples == []
    loaded.record_samples(LEADER, [sample(), sample("YP-002", sealed=False, seal_no="")], NOW)
    await repo.save(loaded)
    again = await repo.get(product.inspection_id)
    assert again is not None and again.samples == loaded.samples
    assert again.samples[0].taken_on == sample().taken_on and not again.samples[1].sealed


async def test_tasks_and_inspections_round_trip_with_their_history(repo: Any) -> None:
    assert await repo.get_task("task-1") is None
    await repo.put_task(task_info(), NOW)
    await repo.put_task(task_info(), NOW)  # again: an update
    assert await repo.get_task("task-1") == task_info()
    await repo.add(inspection())
    assert await repo.existing("task-1", [USCC_1, USCC_2]) == {USCC_1}
    assert await repo.existing("task-2", [USCC_1]) == set()
    loaded = await repo.get("i-1")
    assert loaded is not None and loaded.created_at == NOW and loaded.version == 0
    assert loaded.area == "草庙子镇"  # the target's area, kept with the inspection
    loaded.record_results(LEADER, all_clear(), NOW)
    loaded.sign(MEMBER, NOW + timedelta(minutes=1))
    await repo.save(loaded)
    assert loaded.version == 1
    again = await repo.get("i-1")
    assert again is not None and again.status is InspectionStatus.RECORDED
    assert again.signatures == {MEMBER: NOW + timedelta(minutes=1)} and again.version == 1
    found = await repo.find("task-1", USCC_1)
    assert found is not None and found.inspection_id == "i-1"
    assert await repo.find("task-1", USCC_2) is None
    history = await repo.history("i-1")
    assert [(h["action"], h["actor"]) for h in history] == [
        ("opened", "system"),
        ("results_recorded", LEADER),
        ("signed", MEMBER),
    ]
    assert history[0]["at"] == NOW.isoformat() and history[2]["detail"] == {}
    assert await repo.history("nope") == []


async def test_a_stale_save_is_refused_and_changes_nothing(repo: Any) -> None:
    await repo.add(inspection())
    first = await repo.get("i-1")
    second = copy.deepcopy(first)
    first.record_results(LEADER, all_clear(), NOW)
    await repo.save(first)
    second.record_results(LEADER, all_clear(), NOW)
    with pytest.raises(StaleWrite, match="同时修改"):
        await repo.save(second)
    assert (await repo.get("i-1")).version == 1


async def test_search_filters_and_pages_by_task_then_target(repo: Any) -> None:
    await repo.add(another("i-3", "task-2", "LG-2026-002"))
    await repo.add(another("i-1", "task-1", "LG-2026-001", USCC_2))
    await repo.add(another("i-2", "task-1", "LG-2026-001", USCC_1))
    page = await repo.search(None, None, None, 10, 0)
    assert page.total == 3 and [i.inspection_id for i in page.items] == ["i-2", "i-1", "i-3"]
    second = await repo.search(None, None, None, 1, 1)
    assert second.total == 3 and [i.inspection_id for i in second.items] == ["i-1"]
    by_task = await repo.search("task-1", USCC_2, InspectionStatus.PENDING, 10, 0)
    assert [i.inspection_id for i in by_task.items] == ["i-1"]
    none = await repo.search(None, None, InspectionStatus.SUBMITTED, 10, 0)
    assert (none.total, none.items) == (0, [])
    not_inspected = await repo.get("i-3")
    not_inspected.record_results(
        LEADER, [], NOW, NotInspected(reason=NotInspectedReason.SERIOUS_REFUSAL)
    )
    await repo.save(not_inspected)
    only = await repo.search(None, None, None, 10, 0, not_inspected=True)
    assert [i.inspection_id for i in only.items] == ["i-3"]
    rest = await repo.search(None, None, None, 10, 0, not_inspected=False)
    assert [i.inspection_id for i in rest.items] == ["i-2", "i-1"]


async def test_visits_group_open_inspections_of_one_target(repo: Any) -> None:
    first, second = another("i-1", "task-1", "LG-2026-001"), another("i-2", "task-2", "LG-2026-002")
    await repo.add(first)
    await repo.add(second)
    await repo.lock_targets([USCC_1, USCC_2])
    open_now = await repo.open_for_usccs([USCC_1, USCC_2])
    assert {u: [i.inspection_id for i in found] for u, found in open_now.items()} == {
        USCC_1: ["i-1", "i-2"]
    }
    visit = Visit.form([first, second], NOW)
    await repo.add_visit(visit)
    await repo.save(first)
    await repo.save(second)
    loaded = await repo.get_visit(visit.visit_id)
    assert loaded is not None and loaded.inspection_ids == ["i-1", "i-2"] and loaded.version == 0
    assert [i.inspection_id for i in await repo.of_visit(visit.visit_id)] == ["i-1", "i-2"]
    found = await repo.search_visits(USCC_1, 10, 0)
    assert [v.visit_id for v in found.items] == [visit.visit_id] and found.total == 1
    beyond = await repo.search_visits(USCC_1, 10, 1)  # a later page still says how many in all
    assert (beyond.items, beyond.total) == ([], 1)
    assert (await repo.search_visits(USCC_2, 10, 0)).total == 0
    assert [h["action"] for h in await repo.visit_history(visit.visit_id)] == ["visit_formed"]
    await repo.save_visit(loaded)
    assert loaded.version == 1
    loaded.version = 0
    with pytest.raises(StaleWrite):
        await repo.save_visit(loaded)
    assert await repo.get_visit("nope") is None


async def test_follow_ups_and_attachments(repo: Any) -> None:
    done = inspection()
    done.record_results(LEADER, [], NOW, NotInspected(reason=NotInspectedReason.SERIOUS_REFUSAL))
    done.sign(LEADER, NOW)
    done.sign(MEMBER, NOW)
    done.submit(LEADER, NOW)
    await repo.add(done)
    follow_up = FollowUp.open_for(done, NOW)
    assert follow_up is not None and follow_up.kind is FollowUpKind.REFUSAL
    await repo.add_follow_up(follow_up)
    assert await repo.follow_up_of("i-1") == follow_up
    assert await repo.follow_up_of("nope") is None
    stored = await repo.get_follow_up(follow_up.follow_up_id)
    assert stored == follow_up
    listed = await repo.search_follow_ups(None, follow_up.lead_department, "task-1", USCC_1)
    assert [f.follow_up_id for f in listed] == [follow_up.follow_up_id]
    assert await repo.search_follow_ups(FollowUpStatus.CLOSED, None, None) == []
    assert await repo.pending_transfer_deadlines() == 0
    assert await repo.suspected_since(NOW.date()) == []
    stored.record(
        OutcomeIn(action="closed", outcome="已采取后续监管措施"), "k", NOW, WorkCalendar()
    )
    await repo.save_follow_up(stored)
    closed = await repo.get_follow_up(follow_up.follow_up_id)
    assert closed is not None and closed.status is FollowUpStatus.CLOSED and closed.version == 1
    closed.version = 0
    with pytest.raises(StaleWrite, match="后续处理"):
        await repo.save_follow_up(closed)

    content = b"\x00\x01binary\xff"
    attachment = new_attachment(
        done, AttachmentKind.SERVICE_RECEIPT, "送达回证.jpg", "image/jpeg", content, LEADER, NOW
    )
    await repo.add_attachment(attachment, content)
    assert await repo.attachments_of("i-1") == [attachment]
    assert await repo.attachments_of("i-2") == []
    assert await repo.get_attachment(attachment.attachment_id) == (attachment, content)
    assert await repo.get_attachment("nope") is None


def _methods(cls: type) -> set[str]:
    return {n for n, _ in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


def test_the_protocol_the_sql_repository_and_the_fake_have_the_same_methods() -> None:
    """A method added to the SQL repository is added to the protocol (so ``_conforms()`` makes
    mypy demand it of the fake) and to the fake."""
    assert (
        _methods(SqlInspectionRepository)
        == _methods(InspectionRepository)
        == _methods(FakeInspectionRepository)
    )


async def test_joint_inspections_kept_and_listed_by_member_and_year(repo: Any) -> None:
    from inspections.domain import joint
    from inspections.domain.joint import JointInspection

    mine = inspection()
    mine.team = [mine.team[0], mine.team[1].model_copy(update={"inspector_id": "huancui:HC1"})]
    state = joint.state_of(mine)
    kept = JointInspection("i-1", "lingang", state, NOW, {"sign:HC1": {"form_sha256": "x"}})
    await repo.put_joint(kept, ["HC1"])
    await repo.put_joint(kept, ["HC1"])  # again: replaced, not doubled
    assert await repo.get_joint("i-1") == kept
    assert (await repo.search_joint("HC1", 10, 0)).total == 1
    assert (await repo.search_joint("HC2", 10, 0)).total == 0
    assert (await repo.search_joint(None, 10, 0)).items == [kept]
    year = mine.deadline.year
    assert await repo.joint_due_in(year) == [kept] and await repo.joint_due_in(year + 1) == []
    await repo.add(inspection())
    [(team, status)] = await repo.teams_due_in(year)
    assert [m.inspector_id for m in team] == [LEADER, MEMBER]
    assert status is InspectionStatus.PENDING and await repo.teams_due_in(year - 1) == []


@pytest.fixture(params=["fake", "sql"])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """The inspections and the reports repositories, on one store."""
    if request.param == "fake":
        inspections = FakeInspectionRepository()
        yield inspections, FakeReportRepository(inspections)
        return
    async with migrated_session(definition, tmp_path) as session:
        yield SqlInspectionRepository(session), SqlReportRepository(session)


def _report(report_id: str, version: int = 1, replaces: str = "", **extra: Any) -> Report:
    fields: dict[str, Any] = {
        "kind": ReportKind.DEPARTMENT,
        "department": "信用监管科",
        "period": Period(date(2026, 4, 1), date(2026, 4, 30)),
        "items": (),
        "submitted_by": "zhang",
        "submitted_at": NOW + timedelta(days=version),
        "xlsx_sha256": "a" * 64,
        "csv_sha256": "b" * 64,
        **extra,
    }
    return Report(report_id=report_id, version=version, replaces=replaces, **fields)


async def test_counted_as_done_is_what_was_submitted_not_inspected_in_the_period(
    stores: Any,
) -> None:
    inspections, reports = stores
    april = Period(date(2026, 4, 1), date(2026, 4, 30))

    async def submitted(key: str, uscc: str, at: Any, department: str, inspected: bool) -> None:
        i = another(key, "task-1", "LG-2026-001", uscc)
        i.inspecting_authority = department
        outcome = None if inspected else NotInspected(reason=NotInspectedReason.UNREACHABLE)
        i.record_results(LEADER, all_clear() if inspected else [], at, outcome)
        i.sign(LEADER, at)
        i.sign(MEMBER, at)
        i.submit(LEADER, at)
        await inspections.add(i)

    last_second = datetime(2026, 4, 30, 23, 59, 59, tzinfo=CHINA_TZ)
    await submitted("i-1", USCC_2, last_second, "信用监管科", False)
    await submitted("i-2", USCC_1, NOW, "信用监管科", False)
    await submitted(
        "i-3", "91371000MA3C000033", last_second + timedelta(seconds=1), "信用监管科", False
    )
    await submitted("i-4", "91371000MA3C000041", NOW, "信用监管科", True)
    await submitted("i-5", "91371000MA3C000058", NOW, "市场规范管理科", False)
    still_open = another("i-6", "task-1", "LG-2026-001", "91371000MA3C000066")
    still_open.record_results(LEADER, [], NOW, NotInspected(reason=NotInspectedReason.UNREACHABLE))
    await inspections.add(still_open)
    mine = await reports.counted_as_done(april, "信用监管科")
    assert [i.inspection_id for i in mine] == ["i-2", "i-1"]  # by task, then target
    assert mine[1].not_inspected_reason is NotInspectedReason.UNREACHABLE
    every = await reports.counted_as_done(april, None)
    assert [i.inspection_id for i in every] == ["i-2", "i-1", "i-5"]
    may = Period(date(2026, 5, 1), date(2026, 5, 1))
    assert [i.inspection_id for i in await reports.counted_as_done(may, None)] == ["i-3"]


async def test_reports_kept_with_their_files_versions_and_corrections(stores: Any) -> None:
    _, reports = stores
    item = NotInspectedReportItem(
        inspection_id="i-1",
        task_id="task-1",
        task_no="LG-2026-001",
        task_title="抽查",
        uscc=USCC_1,
        entity_name="某公司",
        reason="unreachable",
        reason_label="通过登记的住所（经营场所）无法联系",
        completed_on=date(2026, 4, 2),
        submitted_on=date(2026, 4, 2),
        leader_id=LEADER,
        leader_name="王组长",
        department="信用监管科",
    )
    first = _report("r-1", items=(item,), note="说明")
    files = {"xlsx": b"PK\x03\x04 workbook", "csv": "\ufeff序号\r\n".encode()}
    await reports.add(first, files)
    assert await reports.get("r-1") == first
    assert await reports.file("r-1", "xlsx") == files["xlsx"]
    assert await reports.file("r-1", "csv") == files["csv"]
    assert await reports.get("nope") is None and await reports.file("nope", "csv") is None
    assert await reports.current(ReportKind.DEPARTMENT, "信用监管科", first.period) == first
    with pytest.raises(StaleWrite, match="同时报送"):
        await reports.add(_report("r-dup"), files)  # the same version of the same list


async def test_a_correction_marks_the_old_version_and_is_made_once(stores: Any) -> None:
    _, reports = stores
    files = {"xlsx": b"x", "csv": b"c"}
    await reports.add(_report("r-1"), files)
    await reports.add(_report("r-2", 2, "r-1", correction_reason="漏报"), files)
    consolidated = _report("r-9", kind=ReportKind.CONSOLIDATED, department="", sources=())
    await reports.add(consolidated, files)
    other = _report(
        "r-5", department="市场规范管理科", period=Period(date(2026, 4, 1), date(2026, 5, 31))
    )
    await reports.add(other, files)
    old = await reports.get("r-1")
    assert old is not None and old.superseded_by == "r-2"
    current = await reports.current(ReportKind.DEPARTMENT, "信用监管科", old.period)
    assert current is not None and current.report_id == "r-2" and current.superseded_by == ""
    assert await reports.current(ReportKind.CONSOLIDATED, "信用监管科", old.period) is None
    with pytest.raises(StaleWrite):
        await reports.add(_report("r-3", 3, "r-1", correction_reason="again"), files)
    everything = await reports.search(None, None, None)
    assert [r.report_id for r in everything] == ["r-2", "r-1", "r-5", "r-9"]
    april = Period(date(2026, 4, 1), date(2026, 4, 30))
    department = await reports.search(ReportKind.DEPARTMENT, None, april)
    assert [r.report_id for r in department] == ["r-2", "r-1"]
    assert [r.report_id for r in await reports.search(None, "市场规范管理科", None)] == ["r-5"]


def test_the_report_protocol_the_sql_repository_and_the_fake_have_the_same_methods() -> None:
    assert (
        _methods(SqlReportRepository)
        == _methods(ReportRepository)
        == _methods(FakeReportRepository)
    )


async def test_the_embedded_database_refuses_to_change_a_submitted_report(tmp_path: Path) -> None:
    """SQLite (make run) as PostgreSQL (the integration test): the guards of migration 0006."""
    async with migrated_session(definition, tmp_path) as session:
        await SqlReportRepository(session).add(_report("r-1"), {"xlsx": b"x", "csv": b"c"})
        for statement in (
            "UPDATE not_inspected_reports SET note = 'changed'",
            "UPDATE not_inspected_reports SET csv = x'00'",
            "DELETE FROM not_inspected_reports",
        ):
            with pytest.raises(sa.exc.DBAPIError, match="不得"):
                await session.execute(sa.text(statement))
        kept = await SqlReportRepository(session).get("r-1")
        assert kept is not None and kept.note == ""
