"""Direct assignment (第六条, draw-spec §15) through the draws service's HTTP API on real
PostgreSQL: the deputy director's approval, the manifest saying so, the targets drawn, the
credit department's signed assignment (refused when it breaks a hard rule), the office's
countersignature, the event, the verifiable bundle, the statistic and its gauge, and the
database guard that keeps the signed assignment as it was."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import create_async_engine

from draws import ceremony, verify_draw
from draws.domain import protocol as p
from spotcheck_common.bus import InProcessBus
from spotcheck_common.events.draws import DrawCompleted
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET

from ..unit import factories
from .signing import CLOCK, Signers, digest
from .test_draws_flow import CREDIT, DEPUTY, DISTRICT, OFFICE, SUPERVISOR, feed, wait_for

REASON = "本区执法检查人员有限，不能满足随机匹配条件"


@pytest.mark.integration
async def test_direct_assignment_on_postgres(pg_url: str, tmp_path: Path) -> None:
    await flow(pg_url, tmp_path)
    engine = create_async_engine(pg_url)
    try:  # the signed assignment is final in the database itself, whoever tries
        async with engine.begin() as conn:
            with pytest.raises(sa.exc.DBAPIError, match="直接委派一经签署不得修改"):
                await conn.execute(sa.text("UPDATE draws.draws SET assigned_by = 'someone'"))
    finally:
        await engine.dispose()


async def test_direct_assignment_embedded_sqlite(tmp_path: Path) -> None:
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
        periodic_interval_s=0.05,
        data_dir=tmp_path,
        auth_secret=TEST_SECRET,
        clock=CLOCK,
    )
    app = build_app(build_runtimes([load("draws")], settings, bus=bus), "draws")
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url="http://t") as c,
    ):
        evs = factories.events(400, 24)
        for e in evs:
            await feed(bus, e)
        approval = await approve(c)
        r = await c.post(
            "/api/draws/draws",
            json={"task_id": "T-1", "direct_approval": approval["approval_id"]},
            headers=CREDIT,
        )
        assert r.status_code == 201, r.text
        draw = r.json()
        assert draw["manifest"]["matching"]["reason"] == REASON
        public = (await c.get(f"/public/draws/{draw['draw_id']}/manifest")).json()
        assert public["matching"] | {"approved_at": None} == {
            "assigned": True,
            "reason": REASON,
            "approval_id": approval["approval_id"],
            "approved_by": "王副局长",
            "approved_at": None,
            "assigned_by": None,
            "assigned_at": None,
        }
        signers = Signers(c, DISTRICT)
        drawn = await reveal_all(signers, draw)
        assert drawn["status"] == "assigning" and drawn["result_sha256"] is None
        assert drawn["targets"] and all(t["team"] == [] for t in drawn["targets"])
        bundle_url = f"/public/draws/{draw['draw_id']}/bundle"
        assert (await c.get(bundle_url)).status_code == 409

        teams = assignment_for(public, evs, [t["uscc"] for t in drawn["targets"]])
        key = await signers.key(CREDIT, "credit-zhang", "信用监管科")
        wrong = json.loads(json.dumps(teams))
        wrong[0]["team"] = wrong[0]["team"][::-1]  # a member as the leader
        body = ceremony.assign_body(key, digest(draw), wrong)
        r = await signers.post(draw, "assignment", body, CREDIT)
        assert r.status_code == 422 and "组长" in r.json()["detail"], r.text
        body = ceremony.assign_body(key, digest(draw), teams)
        assert (await signers.post(draw, "assignment", body, OFFICE)).status_code == 403
        r = await signers.post(draw, "assignment", body, CREDIT)
        assert r.status_code == 200, r.text
        assigned = r.json()
        assert assigned["status"] == "drawn"
        assert assigned["matching"]["assigned_by"] == "张三"
        assert [[m["inspector_id"] for m in t["team"]] for t in assigned["targets"]] == [
            [m[0] for m in t["team"]] for t in teams
        ]

        supervisor = await signers.key(SUPERVISOR, "office-zhao", "办公室")
        result = bytes.fromhex(assigned["result_sha256"])
        body = ceremony.countersign_body(supervisor, digest(draw), result, "委派合规", True)
        r = await signers.post(draw, "countersign", body, SUPERVISOR)
        assert r.status_code == 200, r.text

        await wait_for(completed, 1)
        event = DrawCompleted.model_validate(completed[0].payload)
        assert event.assignment_reason == REASON
        assert event.targets and all(t.assigned for t in event.targets)

        raw = (await c.get(bundle_url)).content
        report = verify_draw.verify_bytes(raw, workers=1)
        assert report.ok, report.difference
        assert any("ASSIGNED DIRECTLY" in line for line in report.lines)

        stats = (await c.get("/api/draws/statistics/direct-assignment", headers=OFFICE)).json()
        n = len(teams)
        assert stats == {
            "items": [{"department": "信用监管科", "teams": n, "assigned": n, "share_bp": 10000}]
        }
        assert await gauge(c, 'spotcheck_direct_assignment_ratio{department="信用监管科"}') == 1.0


async def approve(c: httpx.AsyncClient) -> dict[str, Any]:
    url = "/api/draws/tasks/T-1/direct-assignment-approvals"
    r = await c.post(url, json={"reason": REASON}, headers=CREDIT)
    assert r.status_code == 403  # only the deputy director approves
    r = await c.post(url, json={"reason": REASON}, headers=DEPUTY)
    assert r.status_code == 201, r.text
    approval: dict[str, Any] = r.json()
    assert (approval["by"], approval["by_name"]) == ("deputy-wang", "王副局长")
    listed = (await c.get(url, headers=OFFICE)).json()
    assert listed["items"] == [approval]
    return approval


async def reveal_all(signers: Signers, draw: dict[str, Any]) -> dict[str, Any]:
    who = {"办公室": (OFFICE, "office-li"), "信用监管科": (CREDIT, "credit-zhang")}
    shares = {q: hashlib.sha256(q.encode()).digest() for q in draw["parties"]}
    keys = {q: await signers.key(*who[q], q) for q in shares}
    for q, share in shares.items():
        body = ceremony.commit_body(keys[q], digest(draw), draw["draw_id"], share)
        assert (await signers.post(draw, "commitments", body, who[q][0])).status_code == 200
    for q, share in shares.items():
        body = ceremony.reveal_body(keys[q], digest(draw), share)
        r = await signers.post(draw, "reveals", body, who[q][0])
        assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def assignment_for(
    public: dict[str, Any], evs: list[Any], targets: list[str]
) -> list[dict[str, Any]]:
    """Teams from the frozen roster, avoiding the one declared conflict (LG0001, entity 0)."""
    conflict = evs[2]
    salts = [(conflict.inspector_id, conflict.uscc, "")]
    roster = [p.RosterEntry.from_json(r) for r in public["roster"]]
    return factories.assigned_teams(public["manifest"], roster, [], salts, targets)


async def gauge(c: httpx.AsyncClient, series: str) -> float:
    """The series' value on /metrics once the periodic hook has set it."""
    for _ in range(100):
        text = (await c.get("/metrics")).text
        for line in text.splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
        await asyncio.sleep(0.05)
    raise AssertionError(f"{series} not on /metrics")
