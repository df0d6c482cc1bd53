"""Embedded mode (SQLite, in-process events): the new public and staff routes work on the
all-in-one default too — plans with versions, tasks, withheld results, the overdue list and
the export (the SQLite dialect hands back naive datetimes; the dates must still come out right)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY

from publication.domain.model import EXPORT_COLUMNS
from spotcheck_common.bus import InProcessBus
from spotcheck_common.clock import FixedClock
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.envelope import Envelope, Event, new_id
from spotcheck_common.events.inspections import InspectionSubmitted, ItemResult
from spotcheck_common.events.planning import AnnualPlanPublished, TaskPublished
from spotcheck_common.events.types import ResultCategory, TeamRole
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_NOW, TEST_SECRET, auth_headers

USCC = "91371000MA3C000011"
CREDIT = auth_headers("xinyong-1", "credit_dept")
CLOCK = FixedClock(TEST_NOW)


class Embedded:
    def __init__(self, bus: InProcessBus, client: httpx.AsyncClient) -> None:
        self.bus, self.client = bus, client

    async def deliver(self, event: Event) -> None:
        envelope: Envelope[Any] = Envelope[Any](
            event_id=new_id(),
            event_type=event.event_type(),
            schema_version=event.version,
            district="lingang",
            actor="upstream",
            aggregate_id=event.aggregate_id(),
            correlation_id=new_id(),
            payload=event.model_dump(mode="json"),
        )
        await self.bus.publish(
            event.topic("lingang"), event.aggregate_id(), envelope.to_bytes(), {}
        )


@asynccontextmanager
async def serving(tmp_path: Path, **settings: Any) -> AsyncIterator[Embedded]:
    bus = InProcessBus()
    every = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/publication.db",
        district="lingang",
        auth_secret=TEST_SECRET,
        **settings,
    )
    (rt,) = build_runtimes([load("publication")], every, bus=bus, clock=CLOCK)
    app = build_app([rt], title="embedded publication")
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Embedded(bus, client)


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[Embedded]:
    async with serving(tmp_path) as running:
        yield running


def inspection(inspection_id: str, completed_on: date, **kw: Any) -> InspectionSubmitted:
    return InspectionSubmitted(
        inspection_id=inspection_id,
        task_id="task-1",
        task_no="LG-2025-007",
        task_title="2025年食品经营者双随机抽查",
        draw_id="d",
        uscc=USCC,
        entity_name="某公司",
        inspecting_authority="临港市场监管局",
        team=[
            TeamMember(inspector_id="i1", name="张三", department="所", role=TeamRole.LEADER),
            TeamMember(inspector_id="i2", name="李四", department="所", role=TeamRole.MEMBER),
        ],
        results=[
            ItemResult(
                check_item_code="A01",
                check_item_name="营业执照公示情况",
                category=ResultCategory.NO_PROBLEM,
            )
        ],
        completed_on=completed_on,
        submitted_by="i1",
        **kw,
    )


async def test_embedded_routes(embedded: Embedded) -> None:
    plan: dict[str, Any] = {
        "plan_id": "p1",
        "plan_no": "JH-1",
        "plan_name": "计划",
        "department": "食品科",
        "year": 2025,
        "items": [],
        "signed_by": "a",
        "consolidated_by": "b",
        "approved_by": "c",
        "filed_on": "2025-02-01",
    }
    for version in (1, 2):
        await embedded.deliver(
            AnnualPlanPublished.model_validate(
                {**plan, "plan_version": version, "published_at": f"2025-0{version}-01T00:00:00Z"}
            )
        )
    await embedded.deliver(
        TaskPublished(
            task_id="task-1",
            task_no="LG-2025-007",
            title="任务",
            lead_department="食品科",
            check_items=[],
            target_filter={},  # type: ignore[arg-type]
            ratio_bp={},
            deadline=date(2025, 11, 30),
            published_at="2025-04-01T00:00:00Z",  # type: ignore[arg-type]
        )
    )
    await embedded.deliver(inspection("late", date(2025, 9, 25)))
    await embedded.deliver(inspection("fresh", CLOCK.today()))
    await embedded.deliver(inspection("secret", CLOCK.today(), withhold_reason="依法不予公开"))

    client = embedded.client
    versions = (await client.get("/public/plans/p1")).json()["versions"]
    assert [v["status"] for v in versions] == ["superseded", "current"]
    assert (await client.get("/public/tasks/task-1")).json()["lead_department"] == "食品科"
    assert (await client.get("/public/results")).json()["total"] == 2
    withheld = (await client.get("/api/publication/withheld", headers=CREDIT)).json()
    assert [w["inspection_id"] for w in withheld["items"]] == ["secret"]
    late = (await client.get("/api/publication/overdue", headers=CREDIT)).json()
    assert [(i["inspection_id"], i["publish_due_on"]) for i in late["items"]] == [
        ("late", "2025-10-29")
    ]
    export = await client.get(
        "/api/publication/export",
        params={"from": CLOCK.today().isoformat(), "to": CLOCK.today().isoformat()},
        headers=CREDIT,
    )
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_COLUMNS and len(rows) == 3


async def test_a_result_published_after_a_search_is_in_the_next_search_at_once(
    embedded: Embedded,
) -> None:
    """The public search keeps its answers (ADR 0013); this process's own commit expires them
    (the default recheck is a second: without the commit hook the second search would miss
    "fresh" and the last would keep the stale total)."""
    client = embedded.client
    await embedded.deliver(inspection("first", CLOCK.today()))
    before = (await client.get("/public/results", params={"limit": 20})).json()
    assert (await client.get("/public/results", params={"limit": 20})).json() == before
    await embedded.deliver(inspection("fresh", CLOCK.today()))
    after = (await client.get("/public/results", params={"limit": 20})).json()
    assert (before["total"], after["total"]) == (1, 2)
    assert [r["task_no"] for r in after["items"]] == ["LG-2025-007"] * 2
    refused = await client.get("/public/results", params={"from": "2025-02-01", "to": "2025-01-01"})
    assert refused.status_code == 422 and "起始日期" in refused.json()["detail"]


async def test_a_search_asked_again_is_answered_at_the_door_as_the_route_answers_it(
    tmp_path: Path,
) -> None:
    """The second asking of the same query string is sent its kept answer before routing
    (KeptAnswersFirst): the same body and headers, counted under the route like any answer;
    a refusal never opens a door, and this process's commit closes them all."""
    door = {"route": "/public/results", "result": "door"}
    searches = {"method": "GET", "route": "/public/results", "status": "200"}

    def counted() -> tuple[float, float]:
        return (
            REGISTRY.get_sample_value("spotcheck_public_answers_total", door) or 0,
            REGISTRY.get_sample_value("spotcheck_http_request_duration_seconds_count", searches)
            or 0,
        )

    async with serving(tmp_path, public_answers_recheck_s=3600) as embedded:
        client = embedded.client
        await embedded.deliver(inspection("first", CLOCK.today()))
        routed = await client.get("/public/results?limit=20&q=%E6%9F%90")
        doors, answered = counted()
        again = await client.get("/public/results?limit=20&q=%E6%9F%90")
        assert counted() == (doors + 1, answered + 1)
        assert (again.status_code, again.content) == (200, routed.content)
        assert again.json()["total"] == 1
        for header in ("content-type", "content-length", "content-security-policy"):
            assert again.headers[header] == routed.headers[header]

        for _ in range(2):  # refused by validation each time, never at the door
            assert (await client.get("/public/results?limit=0")).status_code == 422
        assert counted()[0] == doors + 1

        await embedded.deliver(inspection("second", CLOCK.today()))
        after = await client.get("/public/results?limit=20&q=%E6%9F%90")
        assert after.json()["total"] == 2 and counted()[0] == doors + 1
