"""The draws service on real PostgreSQL: read model from events, the whole draw, the bundle."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from draws import ceremony
from draws.domain import protocol as p
from spotcheck_common.bus import InProcessBus
from spotcheck_common.events.draws import (
    DrawCompleted,
    DrawInspectorReplaced,
    DrawManifestFrozen,
    DrawSeedRevealed,
)
from spotcheck_common.events.envelope import Envelope, Event
from spotcheck_common.events.registry import EntityUpdated
from spotcheck_common.events.types import EntityStatus
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers, envelope_of

from ..unit import factories
from .signing import CLOCK, Signers, digest

CREDIT = auth_headers("credit-zhang", "credit_dept", name="张三")
OFFICE = auth_headers("office-li", "general_office", name="李四")
SUPERVISOR = auth_headers("office-zhao", "general_office", name="赵六")
DEPUTY = auth_headers("deputy-wang", "deputy_director", name="王副局长")
INSPECTOR = auth_headers("lg0001", "inspector", inspector_id="LG0001")

DISTRICT = "lingang"


def envelope(event: Event) -> Envelope[Any]:
    wrapped: Envelope[Any] = envelope_of(event, DISTRICT, "test")
    return wrapped


async def feed(bus: InProcessBus, event: Event, env: Envelope[Any] | None = None) -> Envelope[Any]:
    env = env or envelope(event)
    await bus.publish(event.topic(DISTRICT), env.aggregate_id, env.to_bytes(), {})
    return env


async def wait_for(got: list[Any], n: int) -> None:
    for _ in range(100):
        if len(got) >= n:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {n} events, got {len(got)}")


@pytest.mark.integration
async def test_draw_end_to_end_on_postgres(pg_url: str, tmp_path: Path) -> None:
    await flow(pg_url, tmp_path)


async def test_draw_end_to_end_embedded_sqlite(tmp_path: Path) -> None:
    """The same flow on the embedded default (SQLite file, in-process delivery)."""
    await flow("", tmp_path)


async def flow(database_url: str, tmp_path: Path) -> None:
    bus = InProcessBus()
    seen: dict[str, list[Envelope[Any]]] = {}

    def sink(cls: type[Event]) -> None:
        async def collect(env: Envelope[Any], headers: dict[str, str]) -> None:
            seen.setdefault(cls.name, []).append(env)

        bus.subscribe(cls.topic(DISTRICT), "probe", cls, collect)

    for cls in (DrawManifestFrozen, DrawSeedRevealed, DrawCompleted, DrawInspectorReplaced):
        sink(cls)
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
        evs = factories.events(400, 24)
        envs = [await feed(bus, e) for e in evs]
        await feed(bus, evs[0], envs[0])  # redelivered: changes nothing twice
        ents = evs[0].entities
        moved = ents[5].model_copy(update={"status": EntityStatus.MOVED_OUT})
        await feed(bus, EntityUpdated(entity=moved))

        assert (await c.post("/api/draws/draws", json={"task_id": "T-1"})).status_code == 401
        r = await c.post("/api/draws/draws", json={"task_id": "T-1"}, headers=INSPECTOR)
        assert r.status_code == 403
        c.headers.update(CREDIT)
        r = await c.post("/api/draws/draws", json={"task_id": "nope"})
        assert r.status_code == 404
        r = await c.post("/api/draws/draws", json={"task_id": "T-1"})
        assert r.status_code == 201, r.text
        draw = r.json()
        draw_id = draw["draw_id"]
        assert draw["status"] == "frozen"
        assert draw["manifest"]["population"]["size"] == 400
        assert draw["manifest_sha256"] == p.json_sha256(draw["manifest"])
        # The declarant's receipt: its conflict's salt and the commitment sealed in the roster.
        r = await c.get(f"/api/draws/draws/{draw_id}/recusal-receipts", headers=INSPECTOR)
        assert r.status_code == 200, r.text
        (receipt,) = r.json()["items"]
        roster = (await c.get(f"/public/draws/{draw_id}/manifest")).json()["roster"]
        sealed = next(e for e in roster if e["inspector_id"] == "LG0001")
        assert receipt["commitment"] in sealed["recusals"]
        assert (await c.get(f"/api/draws/draws/{draw_id}/recusal-receipts")).status_code == 403
        # A second draw of the same task is refused (no redrawing until one likes the result).
        assert (await c.post("/api/draws/draws", json={"task_id": "T-1"})).status_code == 409

        shares = {party: hashlib.sha256(party.encode()).digest() for party in draw["parties"]}
        signers = Signers(c, DISTRICT)
        who = {"办公室": (OFFICE, "office-li"), "信用监管科": (CREDIT, "credit-zhang")}
        keys = {q: await signers.key(*who[q], q) for q in shares}
        # Reveal before every party has committed is refused.
        body = ceremony.reveal_body(keys["办公室"], digest(draw), shares["办公室"])
        assert (await signers.post(draw, "reveals", body, OFFICE)).status_code == 409
        for party, share in shares.items():
            body = ceremony.commit_body(keys[party], digest(draw), draw_id, share)
            # unsigned, then signed by another's key: refused; then as the tool does
            unsigned = {"party": party, "commitment": body["commitment"]}
            assert (
                await signers.post(draw, "commitments", unsigned, who[party][0])
            ).status_code == 422
            r = await signers.post(draw, "commitments", body, who[party][0])
            assert r.status_code == 200, r.text
        assert r.json()["status"] == "committed"
        # A share that does not match its commitment is refused.
        body = ceremony.reveal_body(keys["办公室"], digest(draw), b"\0" * 32)
        assert (await signers.post(draw, "reveals", body, OFFICE)).status_code == 422
        # The credit department cannot reveal the general office's share.
        body = ceremony.reveal_body(keys["办公室"], digest(draw), shares["办公室"])
        assert (await signers.post(draw, "reveals", body, CREDIT)).status_code == 403
        for party, share in shares.items():
            body = ceremony.reveal_body(keys[party], digest(draw), share)
            r = await signers.post(draw, "reveals", body, who[party][0])
            assert r.status_code == 200, r.text
        drawn = r.json()
        assert drawn["status"] == "drawn"
        assert drawn["targets"], "some targets are drawn"
        body = ceremony.cancel_body(keys["信用监管科"], digest(draw), "x")
        assert (await signers.post(draw, "cancel", body, CREDIT)).status_code == 409
        result = bytes.fromhex(drawn["result_sha256"])
        r = await c.post(f"/api/draws/draws/{draw_id}/countersign", json={"opinion": "x"})
        assert r.status_code == 403  # only the general office countersigns
        body = ceremony.countersign_body(keys["办公室"], digest(draw), result, "过程合规", True)
        r = await signers.post(draw, "countersign", body, OFFICE)
        assert r.status_code == 403 and "持有" in r.json()["detail"]  # a holder supervises not
        supervisor = await signers.key(SUPERVISOR, "office-zhao", "办公室")
        body = ceremony.countersign_body(supervisor, digest(draw), result, "过程合规", True)
        r = await signers.post(draw, "countersign", body, SUPERVISOR)
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["status"] == "completed" and done["countersign"]["by"] == "赵六"

        await wait_for(seen.setdefault("draw-completed", []), 1)
        completed = DrawCompleted.model_validate(seen["draw-completed"][0].payload)
        assert completed.task_id == "T-1" and completed.draw_id == draw_id
        assert completed.population_size == 400
        for t in completed.targets:
            assert len(t.team) >= 2
            assert [m.role for m in t.team].count("leader") == 1
        assert moved.uscc not in {t.uscc for t in completed.targets}
        assert len(seen["draw-manifest-frozen"]) == 1 and len(seen["draw-seed-revealed"]) == 1

        r = await c.get(f"/public/draws/{draw_id}/bundle")
        assert r.status_code == 200
        bundle = json.loads(r.content)
        assert bundle["body_sha256"] == p.json_sha256(bundle["body"])
        assert bundle["body"]["seed"] == completed.seed_hex

        listing = (await c.get("/api/draws/draws", params={"task_id": "T-1"})).json()
        assert [d["draw_id"] for d in listing["items"]] == [draw_id]

        target = completed.targets[0]
        out = target.team[1].inspector_id
        asked = {"uscc": target.uscc, "inspector_id": out, "reason": "病假"}
        url = f"/api/draws/draws/{draw_id}/replacement-approvals"
        r = await c.post(url, json=asked, headers=CREDIT)
        assert r.status_code == 403  # only the deputy director approves
        r = await c.post(url, json=asked, headers=DEPUTY)
        assert r.status_code == 201, r.text
        approval = r.json()
        assert (approval["by"], approval["by_name"]) == ("deputy-wang", "王副局长")
        forged = {**asked, "approved_by": "王副局长(伪造)", "approval_ref": "x"}
        r = await c.post(f"/api/draws/draws/{draw_id}/replacements", json=forged, headers=CREDIT)
        assert r.status_code == 422  # an approval is an act, not a text field
        r = await c.post(
            f"/api/draws/draws/{draw_id}/replacements",
            json={**asked, "approval_id": approval["approval_id"]},
            headers=CREDIT,
        )
        assert r.status_code == 201, r.text
        assert r.json()["approved_by"] == "王副局长"
        new_id = r.json()["replacement"]
        assert new_id != out and new_id not in {m.inspector_id for m in target.team}
        # /3: it takes effect when the general office countersigns it (§14.11)
        held = (await c.get(f"/api/draws/draws/{draw_id}")).json()
        pending = ceremony.pending_of(held, approval["approval_id"])
        path = f"replacements/{approval['approval_id']}/countersign"
        body = ceremony.replacement_body(keys["信用监管科"], digest(draw), pending)
        assert (await signers.post(draw, path, body, CREDIT)).status_code == 403
        body = ceremony.replacement_body(supervisor, digest(draw), pending)
        r = await signers.post(draw, path, body, SUPERVISOR)
        assert r.status_code == 200, r.text
        assert r.json()["countersign"]["by"] == "赵六"
        await wait_for(seen.setdefault("draw-inspector-replaced", []), 1)
        after = (await c.get(f"/api/draws/draws/{draw_id}", headers=INSPECTOR)).json()
        team = next(t["team"] for t in after["targets"] if t["uscc"] == target.uscc)
        assert new_id in {m["inspector_id"] for m in team} and out not in {
            m["inspector_id"] for m in team
        }

        verifier = os.environ.get("DRAWS_SKIP_VERIFY")
        if not verifier:
            from draws import verify_draw

            raw = (await c.get(f"/public/draws/{draw_id}/bundle")).content
            report = verify_draw.verify_bytes(raw)
            assert report.ok, report.difference
            # One target swapped for an entity the draw did not select (ents[1] may be one).
            drawn_codes = {t.uscc for t in completed.targets}
            other = next(e.uscc for e in ents if e.uscc not in drawn_codes)
            tampered = raw.replace(target.uscc.encode(), other.encode(), 1)
            assert tampered != raw and not verify_draw.verify_bytes(tampered).ok
            proof = (await c.get(f"/public/draws/{draw_id}/proof/{moved.uscc}")).json()
            assert proof["included"] is True and verify_draw.verify_proof(proof).ok
            # An absent code gets a non-inclusion proof (spec §4.4), checked against the root.
            r = await c.get(f"/public/draws/{draw_id}/proof/91000000000000000X")
            assert r.status_code == 200, r.text
            absent = r.json()
            assert absent["format"] == "spotcheck-draw-nonproof/1" and absent["included"] is False
            assert absent["population_root"] == draw["manifest"]["population"]["merkle_root"]
            report = verify_draw.verify_proof(absent)
            assert report.ok, report.difference
            assert "91000000000000000X is NOT in the population" in report.lines[0]
            absent["uscc"] = moved.uscc  # a present code: the same chunks prove nothing
            assert not verify_draw.verify_proof(absent).ok
            assert (
                await c.get(f"/public/draws/{draw_id}/proof/91000000000000000I")
            ).status_code == 422
            assert (
                await c.get(f"/public/draws/no-such-draw/proof/{moved.uscc}")
            ).status_code == 404
            script = await c.get("/public/draws/verifier/verify_draw.py")
            assert script.status_code == 200 and b"def verify_bytes" in script.content
