"""Exemptions from accountability (第十三条) on real PostgreSQL, through the API: evidence with
its SHA-256, a proposal by the department concerned, the director's meeting's decision (one,
even when two arrive at once), 问责 and 免责 apart in the report, the statistics and the gauge,
both acts in the dossier with the chain verifying, and the tables append-only."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from sqlalchemy.exc import IntegrityError

from archives.domain.chain import verify_export
from archives.entrypoints.periodic import refresh_gauges
from spotcheck_common.bus import InProcessBus
from spotcheck_common.clock import FixedClock
from spotcheck_common.events import Envelope, Event
from spotcheck_common.http import build_app
from spotcheck_common.metrics import OVERDUE_ITEMS
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers

pytestmark = pytest.mark.integration

DISTRICT = "lingang"
FOOD = auth_headers("shipin-01", "supervising_dept", district=DISTRICT, department="食品科")
CREDIT_SUPERVISING = auth_headers(
    "keshi-02", "supervising_dept", district=DISTRICT, department="信用监管科"
)
MEETING = auth_headers("juzhang-01", "director_meeting", district=DISTRICT)
READER = auth_headers("archivist-01", "general_office", district=DISTRICT)
FU_C1 = "case_not_transferred:T-C:fu-C1"  # due 10-19, never transferred
REPORT = "移送情况说明：线索已于2026年10月15日函告公安机关。".encode()


class Api:
    def __init__(self, rt: ServiceRuntime, client: httpx.AsyncClient, clock: FixedClock) -> None:
        self.rt, self.client, self.clock = rt, client, clock

    async def sql(self, statement: str) -> Any:
        async with self.rt.db.engine.begin() as conn:
            return await conn.execute(sa.text(statement))

    async def call(
        self, method: str, url: str, headers: dict[str, str], expect: int = 200, **kw: Any
    ) -> Any:
        response = await self.client.request(method, url, headers=headers, **kw)
        assert response.status_code == expect, (url, response.text)
        return response.json() if "json" in response.headers.get("content-type", "") else response

    async def propose(self, headers: dict[str, str], expect: int = 201, **body: Any) -> Any:
        payload = {
            "item_id": FU_C1,
            "circumstances": ["duties_done_under_plan", "no_causal_link"],
            "statement": "已按年度计划履职，线索已函告公安机关",
            **body,
        }
        return await self.call("POST", "/api/archives/exemptions", headers, expect, json=payload)


@pytest.fixture
async def api(
    pg_url: str,
    year_events: Callable[[], list[tuple[Event, datetime]]],
    envelope: Callable[..., Envelope[Any]],
) -> AsyncIterator[Api]:
    bus = InProcessBus()
    clock = FixedClock("2026-10-29T02:00:00+00:00")  # 10:00 in Beijing
    (rt,) = build_runtimes(
        [load("archives")],
        Settings(database_url=pg_url, district=DISTRICT, auth_secret=TEST_SECRET),
        bus=bus,
        clock=clock,
    )
    app = build_app([rt], title="archives test")
    async with LifespanManager(app):
        for event, when in year_events():
            env = envelope(event, occurred_at=when)
            await bus.publish(event.topic(DISTRICT), env.aggregate_id, env.to_bytes(), {})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(rt, client, clock)


def gauge(kind: str, department: str) -> float:
    return float(
        OVERDUE_ITEMS.labels(source="archives", kind=kind, department=department)._value.get()
    )


async def test_propose_decide_report_and_file_through_the_api(api: Api) -> None:
    uploaded = await api.call(
        "POST",
        "/api/archives/exemptions/evidence",
        FOOD,
        201,
        params={"task_id": "T-C", "filename": "移送情况说明.txt"},
        content=REPORT,
    )
    assert uploaded["sha256"] == hashlib.sha256(REPORT).hexdigest()
    download = await api.client.get(
        f"/api/archives/exemptions/evidence/{uploaded['evidence_id']}", headers=READER
    )
    assert download.content == REPORT
    assert download.headers["x-content-sha256"] == uploaded["sha256"]

    evidence = {"evidence_ids": [uploaded["evidence_id"]]}
    await api.propose(CREDIT_SUPERVISING, 403, **evidence)  # not the department answering
    await api.propose(FOOD, 422, circumstances=[], **evidence)
    await api.propose(FOOD, 422)  # no evidence
    await api.propose(MEETING, 403, **evidence)  # the meeting decides, it does not propose
    proposed = await api.propose(FOOD, **evidence)
    assert proposed["status"] == "proposed" and proposed["department"] == "食品科"
    assert proposed["evidence"][0]["sha256"] == uploaded["sha256"]
    await api.propose(FOOD, 409, **evidence)  # one waiting proposal per failure

    report = await api.call(
        "GET", "/api/archives/accountability", READER, params={"as_of": "2026-10-29"}
    )
    (item,) = [i for i in report["items"] if i["item_id"] == FU_C1]
    assert item["accountability"] == "accountable" and item["exemption"]["status"] == "proposed"
    await refresh_gauges(api.rt)
    assert gauge("case_not_transferred", "食品科") == 1

    api.clock.set("2026-10-30T02:00:00+00:00")
    url = f"/api/archives/exemptions/{proposed['exemption_id']}/decision"
    decision = {
        "granted": True,
        "reasons": "证据充分，符合第十三条免责情形",
        "meeting_date": "2026-10-30",
        "minute_no": "〔2026〕12号",
    }
    await api.call("POST", url, FOOD, 403, json=decision)
    await api.call("POST", url, MEETING, 422, json={**decision, "meeting_date": "2026-10-31"})
    # Two submissions at once: the dossier lock lets one decide, the other is refused.
    answers = await asyncio.gather(
        api.client.post(url, headers=MEETING, json=decision),
        api.client.post(url, headers=MEETING, json={**decision, "granted": False}),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    decided = next(a.json() for a in answers if a.status_code == 200)
    granted = decided["decision"]["granted"]

    report = await api.call(
        "GET", "/api/archives/accountability", READER, params={"as_of": "2026-10-30"}
    )
    (item,) = [i for i in report["items"] if i["item_id"] == FU_C1]
    assert item["status"] == "overdue"  # still listed
    assert item["accountability"] == ("exempt" if granted else "accountable")
    assert report["summary"]["exempt"] == int(granted)
    food = next(d for d in report["by_department"] if d["department"] == "食品科")
    assert food["exempt_total"] == int(granted)
    stats = await api.call(
        "GET", "/api/archives/statistics", READER, params={"as_of": "2026-10-30", "year": 2026}
    )
    task_c = next(t for t in stats["tasks"] if t["task_id"] == "T-C")
    assert ("case_not_transferred" in task_c["exempt"]) is granted
    await refresh_gauges(api.rt)
    assert gauge("case_not_transferred", "食品科") == (0 if granted else 1)

    listed = await api.call("GET", "/api/archives/exemptions", FOOD, params={"task_id": "T-C"})
    assert [e["exemption_id"] for e in listed["items"]] == [proposed["exemption_id"]]
    await api.call(
        "GET", "/api/archives/exemptions", FOOD, 403, params={"department": "信用监管科"}
    )
    await api.call(
        "GET", f"/api/archives/exemptions/{proposed['exemption_id']}", CREDIT_SUPERVISING, 403
    )

    dossier = await api.call("GET", "/api/archives/dossiers/T-C", READER)
    assert dossier["verification"]["ok"] is True
    filed = [e for e in dossier["entries"] if e["kind"] == "exemption"]
    assert [e["document"]["act"] for e in filed] == ["proposed", "decided"]
    assert [e["actor"] for e in filed] == ["shipin-01", "juzhang-01"]
    assert filed[1]["document"]["proposal_entry_hash"] == filed[0]["entry_hash"]
    assert filed[1]["seq"] == decided["decision"]["seq"]
    export = await api.client.get("/api/archives/dossiers/T-C/export", headers=READER)
    assert verify_export(export.json()).ok


async def test_exemption_records_are_append_only(api: Api) -> None:
    uploaded = await api.call(
        "POST",
        "/api/archives/exemptions/evidence",
        FOOD,
        201,
        params={"task_id": "T-C", "filename": "说明.txt"},
        content=REPORT,
    )
    proposed = await api.propose(FOOD, evidence_ids=[uploaded["evidence_id"]])
    api.clock.set("2026-10-30T02:00:00+00:00")
    await api.call(
        "POST",
        f"/api/archives/exemptions/{proposed['exemption_id']}/decision",
        MEETING,
        json={
            "granted": False,
            "reasons": "材料不足",
            "meeting_date": "2026-10-30",
            "minute_no": "13",
        },
    )
    for statement in (
        "UPDATE exemption_evidence SET content = 'x'",
        "DELETE FROM exemption_evidence",
        "UPDATE exemption_proposals SET document = '{}'",
        "DELETE FROM exemption_decisions",
        "UPDATE exemption_decisions SET document = '{}'",
        "TRUNCATE exemption_decisions",
    ):
        with pytest.raises(IntegrityError, match="档案"):
            await api.sql(statement)
    refused = await api.call("GET", f"/api/archives/exemptions/{proposed['exemption_id']}", READER)
    assert refused["status"] == "refused" and refused["decision"]["minute_no"] == "13"
