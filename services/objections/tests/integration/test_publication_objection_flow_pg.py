"""Publication and objections in one process on real PostgreSQL, events through both outboxes:
inspection submitted -> published -> objection -> corrected decision -> the credit department
submits the correction (第九条) -> new public version -> the objection's correction clock closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from spotcheck_common.bus import InProcessBus
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.envelope import Envelope, new_id
from spotcheck_common.events.inspections import InspectionSubmitted, ItemResult
from spotcheck_common.events.types import ResultCategory, TeamRole
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers

pytestmark = pytest.mark.integration

DISTRICT = "lingang"
USCC = "91371000MA3C000011"
NAMES = {"A01": "营业执照公示情况", "A02": "年度报告公示情况"}
ENTITY = auth_headers("entity", "entity", district=DISTRICT, uscc=USCC)
REVIEWER = auth_headers("reviewer", "supervising_dept", district=DISTRICT, department="食品科")
CREDIT = auth_headers("xinyong-1", "credit_dept", district=DISTRICT, department="信用监管科")


def item(code: str, category: ResultCategory = ResultCategory.NO_PROBLEM) -> ItemResult:
    return ItemResult(check_item_code=code, check_item_name=NAMES[code], category=category)


async def until(check: Callable[[], Awaitable[Any]], seconds: float = 15.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def system(
    pg_url: str,
) -> AsyncIterator[tuple[list[ServiceRuntime], InProcessBus, httpx.AsyncClient]]:
    bus = InProcessBus()
    settings = Settings(
        database_url=pg_url, district=DISTRICT, relay_interval_s=0.05, auth_secret=TEST_SECRET
    )
    runtimes = build_runtimes([load("publication"), load("objections")], settings, bus=bus)
    app = build_app(runtimes, title="publication + objections")
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield runtimes, bus, client


async def count(rt: ServiceRuntime, sql: str) -> Any:
    async with rt.db.engine.connect() as conn:
        return (await conn.execute(sa.text(sql))).scalar()


async def test_objection_leads_to_a_published_correction(
    system: tuple[list[ServiceRuntime], InProcessBus, httpx.AsyncClient],
) -> None:
    (publication, objections), bus, client = system
    event = InspectionSubmitted(
        inspection_id="insp-1",
        task_id="task-1",
        task_no="LG-2025-007",
        task_title="2025年食品经营者双随机抽查",
        draw_id="draw-1",
        uscc=USCC,
        entity_name="威海临港某某食品有限公司",
        inspecting_authority="威海临港经济技术开发区市场监督管理局",
        team=[
            TeamMember(inspector_id="i1", name="张三", department="食品科", role=TeamRole.LEADER),
            TeamMember(inspector_id="i2", name="李四", department="食品科", role=TeamRole.MEMBER),
        ],
        results=[item("A01"), item("A02", ResultCategory.PROBLEM_PENDING)],
        completed_on=date(2025, 9, 25),
        submitted_by="i1",
    )
    envelope: Envelope[Any] = Envelope[Any](
        event_type=event.event_type(),
        schema_version=event.version,
        district=DISTRICT,
        actor="i1",
        aggregate_id=event.aggregate_id(),
        correlation_id=new_id(),
        payload=event.model_dump(mode="json"),
    )
    await bus.publish(event.topic(DISTRICT), "task-1", envelope.to_bytes(), {})

    async def listed() -> Any:
        return (await client.get("/public/results", params={"uscc": USCC})).json()["items"]

    (summary,) = await until(listed)
    record_id = summary["record_id"]

    async def filed() -> Any:
        response = await client.post(
            "/api/objections/objections",
            json={"record_id": record_id, "uscc": USCC, "reason": "已整改，非待处理"},
            headers=ENTITY,
        )
        return response.json() if response.status_code == 201 else None

    objection = await until(filed)  # once objections has seen ResultPublished
    oid = objection["objection_id"]
    decided = await client.post(
        f"/api/objections/objections/{oid}/decision",
        json={
            "decision": "corrected",
            "reason": "经复查，问题已当场责令改正",
            "corrected_results": [
                item("A02", ResultCategory.PROBLEM_CORRECTED).model_dump(mode="json")
            ],
        },
        headers=REVIEWER,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["awaiting_credit_department"] is True
    # The review alone publishes nothing: the correction goes through the credit department.
    await asyncio.sleep(0.5)
    assert await count(publication, "SELECT count(*) FROM result_versions") == 1
    refused = await client.post(
        f"/api/objections/objections/{oid}/correction", json={}, headers=REVIEWER
    )
    assert refused.status_code == 403 and "信用监管科" in refused.json()["detail"]
    submitted = await client.post(
        f"/api/objections/objections/{oid}/correction",
        json={"note": "临市监信〔2025〕12号报请更正"},
        headers=CREDIT,
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["correction_submitted_by"] == "xinyong-1"

    async def corrected() -> Any:
        # The entity follows its own objection.
        body = (await client.get(f"/api/objections/objections/{oid}", headers=ENTITY)).json()
        return body if body["correction_version"] else None

    closed = await until(corrected)
    assert closed["correction_version"] == 2 and closed["overdue"]["correction"] is False

    detail = (await client.get(f"/public/results/{record_id}")).json()
    assert [(v["version"], v["status"]) for v in detail["versions"]] == [
        (1, "superseded"),
        (2, "current"),
    ]
    assert detail["versions"][0]["results"][1]["category"] == "发现问题待后续处理"
    assert detail["versions"][1]["results"][1]["category"] == "发现问题经责令已改正"
    assert detail["versions"][1]["objection_id"] == oid
    assert detail["versions"][1]["submitted_by"] == "xinyong-1"

    # Every event once: one record, two versions; the read model at version 2.
    assert await count(publication, "SELECT count(*) FROM result_versions") == 2
    assert await count(publication, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert await count(objections, "SELECT current_version FROM published_records") == 2
    # One trace of work: the correction was caused by the credit department's submission.
    async with publication.db.engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text(
                    "SELECT envelope::json->>'correlation_id' AS c FROM outbox "
                    "WHERE event_type = 'publication.result-corrected'"
                )
            )
        ).one()
    async with objections.db.engine.connect() as conn:
        submitted_correlation = (
            await conn.execute(
                sa.text(
                    "SELECT envelope::json->>'correlation_id' FROM outbox "
                    "WHERE event_type = 'objections.objection-correction-submitted'"
                )
            )
        ).scalar()
    assert row.c == submitted_correlation
