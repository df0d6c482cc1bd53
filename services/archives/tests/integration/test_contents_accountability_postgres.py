"""On real PostgreSQL, through the idempotent consumer: plans linked into dossiers (before and
after the task), attachments, the dossier contents, the accountability and statistics API, the
roles, and the overdue gauge."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from sqlalchemy.exc import IntegrityError

from archives.domain.chain import verify_export
from archives.entrypoints.consumers import subscriptions
from archives.entrypoints.routes.access import ACCOUNTABILITY_READERS
from spotcheck_common.bus import InProcessBus
from spotcheck_common.clock import FixedClock
from spotcheck_common.consumer import deliver
from spotcheck_common.events import Envelope, Event
from spotcheck_common.events.inspections import AttachmentAdded, AttachmentKind
from spotcheck_common.events.planning import AnnualPlanPublished, TaskApproved
from spotcheck_common.http import build_app
from spotcheck_common.metrics import OVERDUE_ITEMS
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers

pytestmark = pytest.mark.integration

DISTRICT = "lingang"
READER = auth_headers("archivist-01", "general_office", district=DISTRICT)
PAIRS = 40
CREDIT_HEAD = auth_headers("xinyong-01", "credit_dept", district=DISTRICT)


class Harness:
    def __init__(self, rt: ServiceRuntime, bus: InProcessBus, client: httpx.AsyncClient) -> None:
        self.rt, self.bus, self.client = rt, bus, client

    async def publish(self, event: Event, envelope: Envelope[Any]) -> None:
        await self.bus.publish(
            event.topic(DISTRICT), envelope.aggregate_id, envelope.to_bytes(), {}
        )

    async def sql(self, statement: str, **params: Any) -> Any:
        async with self.rt.db.engine.begin() as conn:
            return await conn.execute(sa.text(statement), params)

    async def get(self, url: str, headers: dict[str, str] = READER, **params: Any) -> Any:
        response = await self.client.get(url, headers=headers, params=params)
        assert response.status_code == 200, (url, response.text)
        return response.json()


@pytest.fixture
async def harness(pg_url: str) -> AsyncIterator[Harness]:
    bus = InProcessBus()
    (rt,) = build_runtimes(
        [load("archives")],
        Settings(database_url=pg_url, district=DISTRICT, auth_secret=TEST_SECRET),
        bus=bus,
        clock=FixedClock("2026-11-02"),
    )
    app = build_app([rt], title="archives test")
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Harness(rt, bus, client)


async def test_plans_are_linked_before_and_after_the_task_and_kept_append_only(
    harness: Harness, scenario: Any, envelope: Callable[..., Envelope[Any]]
) -> None:
    s = scenario
    v1 = s.plan_version(1)
    await harness.publish(v1, envelope(v1))  # the plan before any task
    early = s.task("T-EARLY", "LG-1", s.CREDIT, date(2026, 9, 30), s.PLAN_ID)
    await harness.publish(early, envelope(early))
    late_plan = s.plan_version(1, "PLAN-LATE")
    late = s.task("T-LATE", "LG-2", s.CREDIT, date(2026, 9, 30), "PLAN-LATE")
    await harness.publish(late, envelope(late))  # the task before its plan
    await harness.publish(late_plan, envelope(late_plan))
    v2 = s.plan_version(2)  # an adjustment during the year
    v2_env = envelope(v2)
    await harness.publish(v2, v2_env)
    await harness.publish(v2, v2_env)  # redelivered: not filed or linked twice

    early_body = await harness.get("/api/archives/dossiers/T-EARLY")
    assert [e["kind"] for e in early_body["entries"]] == ["event", "plan", "plan"]
    assert [e["document"]["plan_version"] for e in early_body["entries"][1:]] == [1, 2]
    assert early_body["entries"][2]["document"]["plan_envelope"] == v2_env.model_dump(mode="json")
    # Listed under the plan's own event (so event ids stay unique within a dossier).
    assert early_body["entries"][2]["event_id"] == v2_env.event_id
    assert early_body["entries"][2]["event_type"] == "planning.annual-plan-published"
    assert early_body["verification"]["ok"] is True
    late_body = await harness.get("/api/archives/dossiers/T-LATE")
    assert [e["kind"] for e in late_body["entries"]] == ["event", "plan"]
    assert late_body["entries"][1]["document"]["plan_id"] == "PLAN-LATE"
    assert late_body["contents"]["categories"][0]["count"] == 1  # 抽查工作计划

    plan = await harness.get(f"/api/archives/plans/{s.PLAN_ID}")
    assert [v["plan_version"] for v in plan["versions"]] == [1, 2]
    assert plan["tasks"] == ["T-EARLY"]
    missing = await harness.client.get("/api/archives/plans/nope", headers=READER)
    assert missing.status_code == 404

    for statement in (
        "UPDATE plan_versions SET envelope = '{}'",
        "DELETE FROM plan_versions",
        "TRUNCATE plan_versions CASCADE",
        "DELETE FROM dossier_plan_links",
        "DELETE FROM plans",
    ):
        with pytest.raises(IntegrityError, match="档案"):
            await harness.sql(statement)
    count = (await harness.sql("SELECT count(*) FROM plan_versions")).scalar_one()
    assert count == 3


async def test_a_plan_and_its_task_delivered_at_once_are_always_linked(
    harness: Harness, scenario: Any, envelope: Callable[..., Envelope[Any]]
) -> None:
    """The plan lock: neither transaction may miss the other's uncommitted row."""
    s = scenario
    (file_event,) = [x for x in subscriptions() if x.event is TaskApproved]
    (file_plan,) = [x for x in subscriptions() if x.event is AnnualPlanPublished]
    for i in range(PAIRS):  # version 1 filed before: the plan's row exists, nothing to insert
        v1 = s.plan_version(1, f"P-{i}")
        await harness.publish(v1, envelope(v1))
    deliveries = []
    for i in range(PAIRS):
        plan = envelope(s.plan_version(2, f"P-{i}"))
        task = envelope(s.task(f"T-{i}", f"LG-{i}", s.CREDIT, date(2026, 9, 30), f"P-{i}"))
        deliveries += [
            deliver("archives", file_plan, plan, harness.rt.uow),
            deliver("archives", file_event, task, harness.rt.uow),
        ]
    assert all(await asyncio.gather(*deliveries))
    for i in range(PAIRS):
        body = await harness.get(f"/api/archives/dossiers/T-{i}")
        assert [e["kind"] for e in body["entries"]] == ["event", "plan", "plan"], i
        assert body["verification"]["ok"] is True


async def test_attachments_contents_export_and_file_check(
    harness: Harness,
    task_cycle: Callable[[str], list[Event]],
    envelope: Callable[..., Envelope[Any]],
    scenario: Any,
) -> None:
    s = scenario
    v1 = s.plan_version(1)
    await harness.publish(v1, envelope(v1))
    cycle = task_cycle("T-7")
    cycle[0] = cycle[0].model_copy(update={"plan_id": s.PLAN_ID})
    for event in cycle:
        await harness.publish(event, envelope(event))
    files = {"onsite_note": b"on-site note", "service_receipt": b"signed receipt"}
    for n, (kind, content) in enumerate(files.items()):
        added = AttachmentAdded(
            attachment_id=f"att-{n}",
            inspection_id="insp-T-7",
            task_id="T-7",
            uscc="91371000MA3C00001Y",
            kind=AttachmentKind(kind),
            filename=f"{kind}.pdf",
            media_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            added_by="I001",
        )
        await harness.publish(added, envelope(added))

    body = await harness.get("/api/archives/dossiers/T-7")
    kinds = [e["kind"] for e in body["entries"]]
    assert kinds == ["event", "plan", *["event"] * 6, "attachment", "attachment"]
    assert body["entries"][8]["event_type"] == "inspections.attachment-added"
    assert body["verification"]["ok"] is True
    contents = await harness.get("/api/archives/dossiers/T-7/contents")
    counts = {c["code"]: c["count"] for c in contents["categories"]}
    assert counts["plan"] == 1 and counts["onsite_note"] == 1 and counts["service_receipt"] == 1
    assert counts["objection_correction"] == 3 and contents["missing"] == []

    exported = (
        await harness.client.get("/api/archives/dossiers/T-7/export", headers=READER)
    ).json()
    assert exported["summary"]["categories"] == contents["categories"]
    assert verify_export(exported).ok

    url = "/api/archives/dossiers/T-7/attachments/att-1/check"
    same = await harness.client.post(url, content=files["service_receipt"], headers=READER)
    assert same.status_code == 200 and same.json()["matches"] is True
    changed = await harness.client.post(url, content=b"signed receipt, edited", headers=READER)
    assert changed.json()["matches"] is False
    unknown = "/api/archives/dossiers/T-7/attachments/att-9/check"
    assert (await harness.client.post(unknown, content=b"x", headers=READER)).status_code == 404
    who = auth_headers("qiye", "entity", district=DISTRICT, uscc="91371000MA3C00001Y")
    assert (await harness.client.post(url, content=b"x", headers=who)).status_code == 403


async def _file_year(harness: Harness, scenario: Any, envelope: Callable[..., Any]) -> None:
    for event, moment in scenario.year_2026():
        await harness.publish(event, envelope(event, occurred_at=moment))


async def test_accountability_and_statistics_through_the_consumer(
    harness: Harness, scenario: Any, envelope: Callable[..., Envelope[Any]]
) -> None:
    s = scenario
    await _file_year(harness, s, envelope)
    report = await harness.get(
        "/api/archives/accountability", CREDIT_HEAD, as_of="2026-10-29", year=2026
    )
    got = sorted(
        (i["kind"], i["status"], i["task_id"], i["department"], i["due_on"])
        for i in report["items"]
    )
    assert got == [
        ("case_not_transferred", "overdue", "T-C", s.FOOD, "2026-10-19"),
        ("objection_correction", "late", "T-C", s.FOOD, "2026-10-12"),
        ("objection_feedback", "late", "T-C", s.FOOD, "2026-10-20"),
        ("objection_review", "overdue", "T-C", s.FOOD, "2026-10-28"),
        ("result_publication", "late", "T-A", s.CREDIT, "2026-10-22"),
        ("task_not_run", "overdue", "T-A", s.CREDIT, "2026-09-30"),
        ("task_not_run", "overdue", "T-B", s.FOOD, "2026-09-30"),
    ]
    assert report["as_of"] == "2026-10-29" and report["summary"] == {
        "overdue": 4,
        "late": 3,
        "exempt": 0,
        "exemption_proposed": 0,
        "pending_calendar": 0,
    }
    not_run = next(
        i for i in report["items"] if i["task_id"] == "T-A" and i["kind"] == "task_not_run"
    )
    assert [m["name"] for m in not_run["inspectors"]] == ["赵敏", "孙丽"]
    inspectors = {i["inspector_id"]: i for i in report["by_inspector"]}
    assert inspectors["I003"]["overdue_total"] == 1

    earlier = await harness.get("/api/archives/accountability", CREDIT_HEAD, as_of="2026-10-19")
    assert {i["kind"] for i in earlier["items"]} == {"task_not_run", "objection_correction"}
    food = await harness.get(
        "/api/archives/accountability", CREDIT_HEAD, as_of="2026-10-29", department=s.FOOD
    )
    assert {i["department"] for i in food["items"]} == {s.FOOD} and len(food["items"]) == 5
    assert (await harness.get("/api/archives/accountability", CREDIT_HEAD, year=2025))[
        "items"
    ] == []

    stats = await harness.get("/api/archives/statistics", CREDIT_HEAD, as_of="2026-10-29")
    assert stats["year"] == 2026
    tasks = {t["task_id"]: t for t in stats["tasks"]}
    assert tasks["T-A"]["completion_rate"] == 0.5 and tasks["T-C"]["completion_rate"] == 1.0
    assert tasks["T-A"]["on_time_rate"] == 0.0 and tasks["T-C"]["publication_rate"] == 1.0
    assert stats["results_by_category"] == {"发现问题待后续处理": 1, "发现问题经责令已改正": 1}
    credit_only = await harness.get(
        "/api/archives/statistics", CREDIT_HEAD, as_of="2026-10-29", department=s.CREDIT
    )
    assert [t["task_id"] for t in credit_only["tasks"]] == ["T-A"]

    # Read without as_of: as of today. The gauge is the runtime's periodic work, not a read's.
    await harness.get("/api/archives/accountability", CREDIT_HEAD)
    await harness.rt.run_periodic()
    value = OVERDUE_ITEMS.labels(
        source="archives", kind="task_not_run", department=s.FOOD
    )._value.get()
    assert value == 1  # T-B, never drawn, deadline 2026-09-30


async def test_who_may_read_accountability(
    harness: Harness, scenario: Any, envelope: Callable[..., Envelope[Any]]
) -> None:
    s = scenario
    await _file_year(harness, s, envelope)

    async def counts() -> list[int]:
        return [
            (await harness.sql(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("dossiers", "dossier_entries", "task_facts", "processed_events")
        ]

    before = await counts()
    urls = ["/api/archives/accountability", "/api/archives/statistics"]
    for url in urls:
        assert (await harness.client.get(url)).status_code == 401
        for who in (
            auth_headers("i1", "inspector", district=DISTRICT, inspector_id="I001"),
            auth_headers("suo", "station", district=DISTRICT),
            auth_headers("qiye", "entity", district=DISTRICT, uscc=s.U1),
        ):
            refused = await harness.client.get(url, headers=who)
            assert refused.status_code == 403, (url, refused.text)
            for role in ACCOUNTABILITY_READERS:
                assert f"({role})" in refused.json()["detail"]
        for role in ACCOUNTABILITY_READERS:
            if role == "supervising_dept":
                continue
            who = auth_headers(f"u-{role}", role, district=DISTRICT)
            answer = await harness.client.get(url, headers=who, params={"as_of": "2026-10-29"})
            assert answer.status_code == 200, (role, url, answer.text)

        # A supervising department sees its own department, and only that.
        food = auth_headers("shipin", "supervising_dept", district=DISTRICT, department=s.FOOD)
        own = await harness.client.get(url, headers=food, params={"as_of": "2026-10-29"})
        assert own.status_code == 200 and own.json()["department"] == s.FOOD
        other = await harness.client.get(url, headers=food, params={"department": s.CREDIT})
        assert other.status_code == 403 and s.FOOD in other.json()["detail"]
        nameless = auth_headers("keshi", "supervising_dept", district=DISTRICT)
        assert (await harness.client.get(url, headers=nameless)).status_code == 403
    food = auth_headers("shipin", "supervising_dept", district=DISTRICT, department=s.FOOD)
    own = await harness.get("/api/archives/accountability", food, as_of="2026-10-29")
    assert {i["department"] for i in own["items"]} == {s.FOOD}
    assert await counts() == before


async def test_the_background_refresher_sets_the_gauge(
    harness: Harness, scenario: Any, envelope: Callable[..., Envelope[Any]]
) -> None:
    from archives.entrypoints import periodic
    from archives.entrypoints.service import definition

    s = scenario
    assert periodic.refresh_gauges in definition.periodic  # run by the runtime
    await _file_year(harness, s, envelope)
    OVERDUE_ITEMS.labels(source="archives", kind="case_not_transferred", department=s.FOOD).set(-1)
    await harness.rt.run_periodic()
    # As of the clock's today (2026-11-02, after 2026-10-19): fu-C1 still not transferred.
    assert (
        OVERDUE_ITEMS.labels(
            source="archives", kind="case_not_transferred", department=s.FOOD
        )._value.get()
        == 1
    )


async def test_a_failing_fold_never_keeps_an_event_out_of_the_dossier(
    harness: Harness,
    task_cycle: Callable[[str], list[Event]],
    envelope: Callable[..., Envelope[Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from archives.service_layer import accountability

    real = accountability.record

    async def broken(uow: Any, document: Any, now: Any) -> int:
        await real(uow, document, now)  # writes its facts, then fails: all rolled back
        await uow.archives.session.execute(sa.text("SELECT 1/0"))
        return 0

    monkeypatch.setattr(accountability, "record", broken)
    for event in task_cycle("T-BROKEN")[:3]:
        await harness.publish(event, envelope(event))
    body = await harness.get("/api/archives/dossiers/T-BROKEN")
    assert body["dossier"]["entry_count"] == 3 and body["verification"]["ok"] is True
    facts = await harness.sql("SELECT count(*) FROM task_facts WHERE task_id = 'T-BROKEN'")
    assert facts.scalar_one() == 0
    # Not dropped: parked, whole, with the error (and counted).
    parked = await harness.sql(
        "SELECT count(*) FROM parked_folds WHERE error LIKE '%division by zero%'"
    )
    assert parked.scalar_one() == 3
