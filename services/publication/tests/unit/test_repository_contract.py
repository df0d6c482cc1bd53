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

from publication.adapters.repository import PublicationRepository, SqlPublicationRepository
from publication.domain.model import (
    PlanVersion,
    PublishedTask,
    ResultQuery,
    ResultRecord,
    ResultVersion,
    WithheldResult,
)
from publication.entrypoints.service import definition
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import ResultCategory
from spotcheck_common.testing import calendar_event, migrated_session

from .fakes import FakePublicationRepository

T0 = datetime(2026, 3, 2, 1, tzinfo=UTC)
USCC = "91371000MA3C000011"
ITEM = ItemResult(check_item_code="A01", check_item_name="x", category=ResultCategory.NO_PROBLEM)


@pytest.fixture(params=["fake", "sql"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "fake":
        yield FakePublicationRepository()
        return
    async with migrated_session(definition, tmp_path) as session:
        yield SqlPublicationRepository(session)


def record(n: int, **changes: Any) -> ResultRecord:
    base = ResultRecord(
        record_id=f"rec-{n}",
        inspection_id=f"insp-{n}",
        task_id="task-1",
        task_no="LG-1",
        task_title="食品经营抽查",
        plan_no="JH-1",
        plan_name="计划",
        check_type="",
        inspecting_authority="临港市场监管局",
        uscc=USCC,
        entity_name=f"某公司{n}",
        completed_on=date(2026, 2, n),
        publish_due_on=date(2026, 3, 30),
        published_at=T0 + timedelta(minutes=n),
        published_by="i1",
        lead_department="食品科",
    )
    return dataclasses.replace(base, **changes)


def version(n: int, v: int = 1, at: datetime = T0, **changes: Any) -> ResultVersion:
    base = ResultVersion(
        record_id=f"rec-{n}",
        version=v,
        results=[ITEM],
        remark="",
        source="inspection",
        reason=None,
        objection_id=None,
        published_at=at,
        published_by="i1",
    )
    return dataclasses.replace(base, **changes)


async def published(repo: PublicationRepository, n: int, **changes: Any) -> ResultRecord:
    r = record(n, **changes)
    await repo.add_record(r)
    await repo.add_version(version(n, at=r.published_at))
    return r


async def test_records_and_their_versions(repo: PublicationRepository) -> None:
    first = await published(repo, 1)
    await repo.add_version(version(1, 2, T0 + timedelta(days=1), objection_id="obj-1"))
    assert await repo.get_record("rec-1") == first  # instants come back aware, on SQLite too
    assert await repo.get_record("nope") is None
    assert await repo.get_record_by_inspection("insp-1") == first
    assert [v.version for v in await repo.versions("rec-1")] == [1, 2]
    found = await repo.version_for_objection("obj-1")
    assert found is not None and found.version == 2 and found.results == [ITEM]
    assert await repo.version_for_objection("obj-2") is None


async def test_search_filters_pages_and_shows_the_current_version(
    repo: PublicationRepository,
) -> None:
    for n in range(1, 5):
        await published(repo, n, **({"uscc": "91371000MA3C00002X"} if n == 4 else {}))
    await repo.add_version(version(2, 2, T0 + timedelta(days=1)))
    page = await repo.search(ResultQuery(), 2, 1)
    assert page.total == 4 and [r.record_id for r, _ in page.items] == ["rec-3", "rec-2"]
    assert [v.version for _, v in page.items] == [1, 2]  # rec-2's current version
    by_uscc = await repo.search(ResultQuery(uscc="91371000ma3c00002x"), 50, 0)
    assert [r.record_id for r, _ in by_uscc.items] == ["rec-4"]
    assert (await repo.search(ResultQuery(q="某公司3"), 50, 0)).total == 1
    assert (await repo.search(ResultQuery(q="913710"), 50, 0)).total == 4
    assert (await repo.search(ResultQuery(task_no="LG-2"), 50, 0)).total == 0


async def test_a_name_search_matches_its_text_literally_and_pages_with_a_count(
    repo: PublicationRepository,
) -> None:
    """``%``, ``_`` and the escape character are letters in a name, not patterns; the same
    search of another value, or another page, gives that value's own answer."""
    names = ["某公司_甲", "100%食品店", "某/公司", "某公司乙", "某公司丙"]
    for n, name in enumerate(names, start=1):
        await published(repo, n, entity_name=name)
    for q, found in (("_", ["rec-1"]), ("%", ["rec-2"]), ("/", ["rec-3"]), ("某公司", None)):
        page = await repo.search(ResultQuery(q=q), 50, 0)
        expected = found or ["rec-5", "rec-4", "rec-1"]
        assert [r.record_id for r, _ in page.items] == expected, q
    second = await repo.search(ResultQuery(q="某公司"), 2, 2)
    assert (second.total, [r.record_id for r, _ in second.items]) == (3, ["rec-1"])
    full = await repo.search(ResultQuery(q="某公司"), 2, 0)  # a full page: counted
    assert (full.total, [r.record_id for r, _ in full.items]) == (3, ["rec-5", "rec-4"])


async def test_search_filters_by_area_exactly_in_the_same_order(
    repo: PublicationRepository,
) -> None:
    for n in range(1, 6):
        await published(repo, n, area="汪疃镇" if n % 2 else "草庙子镇")
    await published(repo, 6)  # a record published before areas were carried: ""
    await repo.add_version(version(3, 2, T0 + timedelta(days=1)))
    kept = await repo.get_record("rec-2")
    assert kept is not None and kept.area == "草庙子镇"
    page = await repo.search(ResultQuery(area="汪疃镇"), 2, 0)
    assert page.total == 3 and [r.record_id for r, _ in page.items] == ["rec-5", "rec-3"]
    assert [v.version for _, v in page.items] == [1, 2]  # rec-3's current version
    page = await repo.search(ResultQuery(area="汪疃镇"), 2, 2)
    assert [r.record_id for r, _ in page.items] == ["rec-1"]
    found = await repo.search(ResultQuery(q="某公司", area="草庙子镇"), 50, 0)
    assert [r.record_id for r, _ in found.items] == ["rec-4", "rec-2"]
    assert (await repo.search(ResultQuery(area="草庙子"), 50, 0)).total == 0  # exact only
    assert (await repo.search(ResultQuery(area=""), 50, 0)).total == 6  # no filter
    assert (await repo.search(ResultQuery(area="汪疃镇", category="注销"), 50, 0)).total == 0


async def test_withheld_results(repo: PublicationRepository) -> None:
    for n in range(1, 4):
        await repo.add_withheld(
            WithheldResult(
                inspection_id=f"insp-{n}",
                task_id="task-1",
                task_no="LG-1" if n < 3 else "LG-2",
                task_title="t",
                plan_no="",
                plan_name="",
                check_type="",
                inspecting_authority="a",
                lead_department="食品科",
                uscc=USCC,
                entity_name="某公司",
                completed_on=date(2026, 2, 1),
                results=[ITEM],
                reason="商业秘密",
                recorded_at=T0 + timedelta(minutes=n),
                recorded_by="i1",
            )
        )
    kept = await repo.get_withheld("insp-1")
    assert kept is not None and kept.recorded_at == T0 + timedelta(minutes=1)
    page = await repo.list_withheld(None, 2, 0)
    assert page.total == 3 and [w.inspection_id for w in page.items] == ["insp-3", "insp-2"]
    assert [w.inspection_id for w in (await repo.list_withheld("LG-1", 50, 1)).items] == ["insp-1"]


def plan(plan_id: str, v: int, year: int = 2026, department: str = "食品科") -> PlanVersion:
    return PlanVersion(
        plan_id=plan_id,
        plan_version=v,
        plan_no=f"JH-{plan_id}",
        plan_name="计划",
        department=department,
        year=year,
        supersedes_version=v - 1 or None,
        adjustment_reason="",
        items=[{"check_item_code": "A01", "ratio_bp": {"A": 300}}],
        signed_by="a",
        consolidated_by="b",
        approved_by="c",
        filed_on=date(2026, 1, 5),
        published_at=T0 + timedelta(days=v),
    )


async def test_plans_current_and_every_version(repo: PublicationRepository) -> None:
    for p in (plan("p1", 1), plan("p1", 2), plan("p2", 1, 2025), plan("p3", 1, 2026, "价格科")):
        await repo.add_plan_version(p)
    assert await repo.plan_version_exists("p1", 2) and not await repo.plan_version_exists("p1", 3)
    assert [p.plan_version for p in await repo.plan_versions("p1")] == [1, 2]
    current = await repo.current_plans(None, None)
    assert [(p.plan_id, p.plan_version) for p in current] == [("p3", 1), ("p1", 2), ("p2", 1)]
    assert [p.plan_id for p in await repo.current_plans(2026, "食品科")] == ["p1"]
    assert await repo.plan_versions("nope") == []


def task(task_id: str, minutes: int, **changes: Any) -> PublishedTask:
    base = PublishedTask(
        task_id=task_id,
        task_no=f"LG-{task_id}",
        title="食品经营抽查",
        plan_no="JH-1",
        plan_name="计划",
        lead_department="食品科",
        co_lead_departments=[],
        assisting_departments=["价格科"],
        check_items=[{"code": "A01", "name": "x"}],
        target_filter={"areas": ["草庙子镇"]},
        ratio_bp={"A": 300},
        methods=["现场检查"],
        deadline=date(2026, 11, 30),
        source="local",
        published_at=T0 + timedelta(minutes=minutes),
    )
    return dataclasses.replace(base, **changes)


async def test_tasks_newest_publication_wins(repo: PublicationRepository) -> None:
    assert await repo.save_task(task("t1", 5))
    assert not await repo.save_task(task("t1", 5, title="同一次"))  # the same: ignored
    assert not await repo.save_task(task("t1", 1, title="更早"))  # older: ignored
    assert await repo.save_task(task("t1", 9, title="调整后"))
    assert await repo.save_task(task("t2", 7, plan_no="JH-2", lead_department="价格科"))
    kept = await repo.get_task("t1")
    assert (
        kept is not None
        and kept.title == "调整后"
        and kept.published_at == task("t1", 9).published_at
    )
    page = await repo.search_tasks(None, None, 50, 0)
    assert page.total == 2 and [t.task_id for t in page.items] == ["t1", "t2"]
    assert [t.task_id for t in (await repo.search_tasks("JH-2", None, 50, 0)).items] == ["t2"]
    assert [t.task_id for t in (await repo.search_tasks(None, "价格", 50, 0)).items] == ["t2"]
    assert (await repo.search_tasks(None, None, 1, 1)).items[0].task_id == "t2"


async def test_deadlines_late_and_pending(repo: PublicationRepository) -> None:
    # Due Mon 2026-03-02, published that day (Beijing) at 09:00: on time.
    await published(repo, 1, publish_due_on=date(2026, 3, 2))
    # Due Fri 2026-02-27, published after: late (rec-2 and rec-3, the latter another dept).
    await published(repo, 2, publish_due_on=date(2026, 2, 27))
    await published(repo, 3, publish_due_on=date(2026, 2, 26), lead_department="价格科")
    await published(repo, 4, publish_due_on=None, publish_due_pending=2027)
    assert [r.record_id for r in await repo.late_records()] == ["rec-3", "rec-2"]
    assert [r.record_id for r in await repo.late_records("食品科")] == ["rec-2"]
    assert await repo.pending_deadlines() == 1
    since = await repo.records_completed_since(date(2026, 2, 3))
    assert [r.record_id for r in since] == ["rec-3", "rec-4"]
    due = dataclasses.replace(since[1], publish_due_on=date(2027, 1, 8), publish_due_pending=None)
    await repo.set_deadline(due)
    assert await repo.pending_deadlines() == 0
    stored = await repo.get_record("rec-4")
    assert stored is not None and stored.publish_due_on == date(2027, 1, 8)


async def test_late_is_the_beijing_day_after_the_deadline(repo: PublicationRepository) -> None:
    # 2026-03-01 17:00 UTC is already 03-02 in Beijing: late for 03-01 (by UTC's date it would
    # not be); 15:59 UTC is still 03-01 there: on time.
    late = datetime(2026, 3, 1, 17, tzinfo=UTC)
    await published(repo, 1, publish_due_on=date(2026, 3, 1), published_at=late)
    on_time = datetime(2026, 3, 1, 15, 59, tzinfo=UTC)
    await published(repo, 2, publish_due_on=date(2026, 3, 1), published_at=on_time)
    assert [r.record_id for r in await repo.late_records()] == ["rec-1"]


async def test_current_versions_bounded_by_the_beijing_day(repo: PublicationRepository) -> None:
    await published(repo, 1)  # 2026-03-02 09:01 Beijing
    await published(repo, 2, task_no="LG-0")
    await repo.add_version(version(1, 2, datetime(2026, 3, 3, 16, 30, tzinfo=UTC)))  # 3-4 00:30
    pairs = await repo.current_versions(None, None, None)
    assert [(r.record_id, v.version) for r, v in pairs] == [("rec-2", 1), ("rec-1", 2)]
    on_day = await repo.current_versions(None, date(2026, 3, 4), date(2026, 3, 4))
    assert [r.record_id for r, _ in on_day] == ["rec-1"]
    before = await repo.current_versions("LG-1", None, date(2026, 3, 3))
    assert before == []
    assert [r.record_id for r, _ in await repo.current_versions("LG-0", None, None)] == ["rec-2"]


async def test_the_calendar_the_repository_counts_with(repo: Any) -> None:
    if isinstance(repo, FakePublicationRepository):
        repo.work_calendar = repo.work_calendar.__class__([calendar_event().schedule()])
    else:
        from spotcheck_common.calendar_store import CalendarStore

        await CalendarStore(repo.session).add(calendar_event())
    calendar = await repo.calendar()
    assert calendar.covers(2027) and calendar.schedule(2027).label == "2027/v1"
