"""Experts and inspector pair conflicts through the draws service's consumers and API: the
registry's events reach the manifest, the draw matches experts, DrawCompleted names them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from draws import ceremony, verify_draw
from draws.domain import protocol as p
from spotcheck_common.bus import InProcessBus
from spotcheck_common.events.draws import DrawCompleted
from spotcheck_common.events.envelope import Envelope, Event
from spotcheck_common.events.registry import (
    ConflictDeclared,
    ExpertsImported,
    ExpertSnapshot,
    InspectorPairConflictDeclared,
)
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers, envelope_of

from ..unit import factories
from .signing import CLOCK, Signers, digest
from .test_draws_flow import wait_for

CREDIT = auth_headers("credit-zhang", "credit_dept", name="张三")
OFFICE = auth_headers("office-li", "general_office", name="李四")
SUPERVISOR = auth_headers("office-zhao", "general_office", name="赵六")
DISTRICT = "lingang"


async def feed(bus: InProcessBus, event: Event) -> None:
    env: Envelope[Any] = envelope_of(event, DISTRICT, "test")
    await bus.publish(event.topic(DISTRICT), env.aggregate_id, env.to_bytes(), {})


@pytest.mark.integration
async def test_experts_and_pair_conflicts_on_postgres(pg_url: str, tmp_path: Path) -> None:
    await flow(pg_url, tmp_path)


async def test_experts_and_pair_conflicts_embedded_sqlite(tmp_path: Path) -> None:
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
    runtimes = build_runtimes([load("draws")], settings, bus=bus)
    app = build_app(runtimes, "draws")
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url="http://t") as c,
    ):
        ents, insp, conflict, task = factories.events(400, 24)
        for event in (ents, insp, conflict):
            await feed(bus, event)
        experts = [
            ExpertSnapshot(
                expert_id=f"ZJ{k:03d}",
                name=f"专家{k}",
                field=["特种设备", "食品安全"][k % 2],
                organization="市特检院",
                active=k != 4,
            )
            for k in range(10)
        ]
        await feed(bus, ExpertsImported(batch_id="e1", experts=experts))
        await feed(
            bus,
            ConflictDeclared(inspector_id="ZJ000", uscc=ents.entities[3].uscc, reason="顾问"),
        )
        pair = InspectorPairConflictDeclared(inspector_ids=["LG0002", "LG0001"], reason="夫妻")
        await feed(bus, pair)
        await feed(bus, pair)  # a new event id, same pair: stored once
        await feed(
            bus, task.model_copy(update={"experts_per_target": 1, "expert_fields": ["特种设备"]})
        )

        c.headers.update(CREDIT)
        r = await c.post("/api/draws/draws", json={"task_id": "T-1"})
        assert r.status_code == 201, r.text
        draw = r.json()
        m = draw["manifest"]
        assert m["algorithm"] == p.ALGORITHM_SIGNED
        assert m["pair_conflicts"] == [["LG0001", "LG0002"]]
        assert m["experts"]["per_target"] == 1 and m["experts"]["fields"] == ["特种设备"]
        assert m["experts"]["roster"]["size"] == 10
        draw_id = draw["draw_id"]
        shares = {party: hashlib.sha256(party.encode()).digest() for party in draw["parties"]}
        signers = Signers(c, DISTRICT)
        who = {"办公室": (OFFICE, "office-li"), "信用监管科": (CREDIT, "credit-zhang")}
        keys = {q: await signers.key(*who[q], q) for q in shares}
        for party, share in shares.items():
            body = ceremony.commit_body(keys[party], digest(draw), draw_id, share)
            r = await signers.post(draw, "commitments", body, who[party][0])
            assert r.status_code == 200, r.text
        for party, share in shares.items():
            body = ceremony.reveal_body(keys[party], digest(draw), share)
            r = await signers.post(draw, "reveals", body, who[party][0])
            assert r.status_code == 200, r.text
        drawn = r.json()
        assert drawn["experts"]["per_target"] == 1
        supervisor = await signers.key(SUPERVISOR, "office-zhao", "办公室")
        result = bytes.fromhex(drawn["result_sha256"])
        body = ceremony.countersign_body(supervisor, digest(draw), result, "过程合规", True)
        r = await signers.post(draw, "countersign", body, SUPERVISOR)
        assert r.status_code == 200, r.text
        await wait_for(completed, 1)
        event = DrawCompleted.model_validate(completed[0].payload)
        assert event.algorithm == p.ALGORITHM_SIGNED and event.targets
        fields = {e.expert_id: (e.field, e.active) for e in experts}
        for t in event.targets:
            ids = {x.inspector_id for x in t.team}
            assert not {"LG0001", "LG0002"} <= ids
            (expert,) = [x for x in t.team if x.role == "expert"]
            assert fields[expert.inspector_id] == ("特种设备", True)
        raw = (await c.get(f"/public/draws/{draw_id}/bundle")).content
        report = verify_draw.verify_bytes(raw, workers=1)
        assert report.ok, report.difference
        body = json.loads(raw)["body"]
        zj0 = next(e for e in body["expert_roster"] if e["expert_id"] == "ZJ000")
        assert len(zj0["recusals"]) == 1
