"""Joint checks with co-organising agencies (第三条, draw-spec §16) through the draws service's
HTTP API on real PostgreSQL (and the embedded SQLite): the external roster read from the
registry's event, the refusal of a promised agency without inspectors, the manifest naming each
agency's pool and party, the agency's liaison (``agency_liaison``, claim ``agency``) reading the
draw its agency is a party of and committing and revealing with its own key while the bureau's
staff and the other agency's liaison are refused (403), every team with each agency's
inspectors, DrawCompleted carrying them, and the bundle verifying."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from draws import ceremony, verify_draw
from spotcheck_common.bus import InProcessBus
from spotcheck_common.events.draws import DrawCompleted
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.events.registry import ExternalInspectorsImported, ExternalInspectorSnapshot
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers

from ..unit import factories
from .signing import CLOCK, Signers, digest
from .test_draws_flow import CREDIT, DISTRICT, OFFICE, SUPERVISOR, feed, wait_for

TAX_NAME = "国家税务总局威海市临港区税务局"
TAX_LIAISON = auth_headers("tax-liu", "agency_liaison", name="刘税务", agency="tax")
ECO_LIAISON = auth_headers("eco-chen", "agency_liaison", name="陈环保", agency="eco")
TAX = {
    "agency": "tax",
    "name": TAX_NAME,
    "check_items": [{"code": "SW-01", "name": "发票使用情况", "agency": "tax"}],
    "inspectors_per_team": 1,
}


def tax_roster(count: int) -> ExternalInspectorsImported:
    return ExternalInspectorsImported(
        batch_id=f"tax-{count}",
        inspectors=[
            ExternalInspectorSnapshot(
                inspector_id=f"tax:SW{k + 1:03d}",
                name=f"税务检查员{k + 1}",
                department=TAX_NAME,
                qualifications=["SW-01"],
                leader_qualified=False,
                certificate_expires_on=date(2030, 12, 31),
                agency="tax",
                agency_inspector_id=f"SW{k + 1:03d}",
            )
            for k in range(count)
        ],
    )


@pytest.mark.integration
async def test_co_organisers_on_postgres(pg_url: str, tmp_path: Path) -> None:
    await flow(pg_url, tmp_path)


async def test_co_organisers_embedded_sqlite(tmp_path: Path) -> None:
    """The same flow on the embedded default (SQLite file, in-process delivery)."""
    await flow("", tmp_path)


async def flow(database_url: str, tmp_path: Path) -> None:
    bus = InProcessBus()
    completed: list[Envelope[Any]] = []

    async def collect(env: Envelope[Any], headers: dict[str, str]) -> None:
        completed.append(env)

    bus.subscribe(DrawCompleted.topic(DISTRICT), "probe", DrawCompleted, collect)
    settings = Settings(
        database_url=database_url,
        district=DISTRICT,
        relay_interval_s=0.05,
        data_dir=tmp_path,
        auth_secret=TEST_SECRET,
        clock=CLOCK,
    )
    app = build_app(build_runtimes([load("draws")], settings, bus=bus), "draws")
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url="http://t") as c,
    ):
        ents, insp, conflict, task = factories.events(200, 24)
        for e in (ents, insp, conflict):
            await feed(bus, e)
        await feed(bus, TaskApproved.model_validate(task.model_dump() | {"co_organisers": [TAX]}))
        # the agency promised, its roster not imported yet: refused, never silently dropped
        r = await c.post("/api/draws/draws", json={"task_id": "T-1"}, headers=CREDIT)
        assert r.status_code == 409 and "（tax）可参加匹配的执法人员只有 0 名" in r.text, r.text
        await feed(bus, tax_roster(4))
        r = await c.post("/api/draws/draws", json={"task_id": "T-1"}, headers=CREDIT)
        assert r.status_code == 201, r.text
        draw = r.json()
        manifest = draw["manifest"]
        assert [co["agency"] for co in manifest["co_organisers"]] == ["tax"]
        assert draw["parties"][-1] == "tax:联合检查单位"
        # the liaison reads the draw its agency is a party of (it commits from it) and the
        # keys; another agency's liaison does not read it
        path = f"/api/draws/draws/{draw['draw_id']}"
        seen = await c.get(path, headers=TAX_LIAISON)
        assert seen.status_code == 200 and seen.json()["parties"] == draw["parties"], seen.text
        r = await c.get(path, headers=ECO_LIAISON)
        assert r.status_code == 403 and "eco 不是本次抽取的参与方" in r.text, r.text
        assert (await c.get("/api/draws/keys", headers=TAX_LIAISON)).status_code == 200
        public = (await c.get(f"/public/draws/{draw['draw_id']}/manifest")).json()
        assert {x["inspector_id"] for x in public["roster"] if x["district"] == "tax"} == {
            f"tax:SW00{k}" for k in range(1, 5)
        }

        signers = Signers(c, DISTRICT)
        who = {
            "办公室": (OFFICE, "office-li"),
            "信用监管科": (CREDIT, "credit-zhang"),
            "tax:联合检查单位": (TAX_LIAISON, "tax-liu"),
        }
        shares = {q: hashlib.sha256(q.encode()).digest() for q in draw["parties"]}
        keys = {q: await signers.key(*who[q], q) for q in shares}
        party = "tax:联合检查单位"
        # the bureau's staff cannot register a key for the agency's party, nor act for it;
        # another agency's liaison neither
        stolen = ceremony.Key.new(
            b"\x07" * 32, DISTRICT, party, "credit-zhang", "2026-01-01", "2027-12-31"
        )
        r = await c.post("/api/draws/keys", json=ceremony.registration_body(stolen), headers=CREDIT)
        assert r.status_code == 403, r.text
        body = ceremony.commit_body(keys[party], digest(draw), draw["draw_id"], shares[party])
        for headers in (CREDIT, OFFICE, ECO_LIAISON):
            r = await signers.post(draw, "commitments", body, headers)
            assert r.status_code == 403, r.text
        own = ceremony.commit_body(keys["办公室"], digest(draw), draw["draw_id"], shares["办公室"])
        assert (await signers.post(draw, "commitments", own, TAX_LIAISON)).status_code == 403

        for q, share in shares.items():
            body = ceremony.commit_body(keys[q], digest(draw), draw["draw_id"], share)
            r = await signers.post(draw, "commitments", body, who[q][0])
            assert r.status_code == 200, r.text
        for q, share in shares.items():
            r = await signers.post(
                draw, "reveals", ceremony.reveal_body(keys[q], digest(draw), share), who[q][0]
            )
            assert r.status_code == 200, r.text
        drawn = r.json()
        assert drawn["status"] == "drawn"

        supervisor = await signers.key(SUPERVISOR, "office-zhao", "办公室")
        result = bytes.fromhex(drawn["result_sha256"])
        body = ceremony.countersign_body(supervisor, digest(draw), result, "联合检查合规", True)
        r = await signers.post(draw, "countersign", body, SUPERVISOR)
        assert r.status_code == 200, r.text

        await wait_for(completed, 1)
        event = DrawCompleted.model_validate(completed[0].payload)
        assert event.targets
        for target in event.targets:
            agency = [m for m in target.team if m.inspector_id.startswith("tax:")]
            assert [(m.role, m.department) for m in agency] == [("member", TAX_NAME)]
            assert target.team[0].role == "leader" and target.team[0].department != TAX_NAME

        raw = (await c.get(f"/public/draws/{draw['draw_id']}/bundle")).content
        report = verify_draw.verify_bytes(raw, workers=1)
        assert report.ok, report.difference
        assert any(line.startswith("agencies   tax: 1 per team, pool 4") for line in report.lines)
