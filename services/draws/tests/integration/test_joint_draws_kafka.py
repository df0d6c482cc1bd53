"""A joint draw between two districts through the real broker, with authentication and ACLs on
(issue 10): each district's draws service signs in as its own Kafka user and has its own
database; the neighbour's roster, manifest and acts travel on the districts' own topics.

Lingang is short of inspectors; its joint draw with Huancui is refused until Huancui's roster
has arrived, then Huancui's credit department commits and reveals its share at Huancui, and
the bundle verifies. Wendeng, no neighbour of either, holds nothing of it; an envelope Huancui
writes claiming to be Lingang's is refused by Lingang's consumer."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from draws import ceremony, verify_draw
from spotcheck_common.events.draws import JointShareCommitted, PartyKeyRecord
from spotcheck_common.events.registry import InspectorsImported
from spotcheck_common.metrics import EVENTS_CONSUMED
from spotcheck_common.testing import (
    ServiceHarness,
    auth_headers,
    eventually,
    running_on_kafka,
)

from ..unit import factories
from .signing import CLOCK, VALID, Signers, digest

pytestmark = pytest.mark.integration


def refused(consumer: str, event_type: str) -> float:
    return EVENTS_CONSUMED.labels(consumer, event_type, "refused")._value.get()


async def test_a_joint_draw_between_two_districts_through_the_broker(
    add_kafka_district: Any,
    unique_district: str,
    new_database: Callable[[], Awaitable[str]],
    tmp_path: Path,
) -> None:
    lg, hc, wd = (unique_district + s for s in ("l", "h", "w"))
    # each bureau's staff, signed in at their own bureau (a token names its district)
    credit = auth_headers("credit-zhang", "credit_dept", district=lg, name="张三")
    office = auth_headers("office-li", "general_office", district=lg, name="李四")
    supervisor_headers = auth_headers("office-zhao", "general_office", district=lg, name="赵六")
    hc_credit = auth_headers("hc-credit", "credit_dept", district=hc, name="环翠信用")
    wd_credit = auth_headers("wd-credit", "credit_dept", district=wd, name="文登信用")
    creds = {
        lg: await add_kafka_district(lg, [hc]),
        hc: await add_kafka_district(hc, [lg]),
        wd: await add_kafka_district(wd, []),
    }
    async with AsyncExitStack() as stack:

        async def bureau(district: str, neighbours: list[str]) -> ServiceHarness:
            url = await new_database()
            run = running_on_kafka("draws", creds[district], url, tmp_path, neighbours, CLOCK)
            return await stack.enter_async_context(run)

        lingang = await bureau(lg, [hc])
        huancui = await bureau(hc, [lg])
        wendeng = await bureau(wd, [])

        # lingang: its registry and an approved task, one inspector per department
        for event in factories.events(200, 3):
            await lingang.deliver(event)
        create = {"task_id": "T-1", "neighbour_rule": "fill-when-short", "joint_with": [hc]}

        async def attempt() -> httpx.Response:
            return await lingang.client.post("/api/draws/draws", json=create, headers=credit)

        refusal = await eventually(
            lambda: _status(attempt(), 409), "the task at lingang, then the refusal"
        )
        assert hc in refusal.json()["detail"] and "名录" in refusal.json()["detail"]

        # huancui imports its roster: its state reaches lingang through huancui's own topic
        roster = factories.inspectors(12, seed=3, prefix="HC")
        await huancui.deliver(InspectorsImported(batch_id="h", inspectors=roster))
        draw = (await eventually(lambda: _status(attempt(), 201), "huancui's roster")).json()
        assert [(x["district"], x["tier"]) for x in draw["manifest"]["pools"]] == [
            (lg, 0),
            (hc, 1),
        ]
        party = f"{hc}:信用监管科"
        assert draw["parties"] == ["信用监管科", "办公室", party]
        draw_id, manifest_digest = draw["draw_id"], digest(draw)

        # huancui's side opens at huancui; its credit department commits there
        joint_url = f"/api/draws/joint-draws/{draw_id}"
        await eventually(
            lambda: _status(huancui.client.get(joint_url, headers=hc_credit), 200),
            "the joint draw at huancui",
        )
        shares = {q: hashlib.sha256(q.encode()).digest() for q in draw["parties"]}
        secret = hashlib.sha256(b"hc-credit").digest()
        key = ceremony.Key.new(secret, lg, party, f"{hc}:hc-credit", *VALID)
        registration = ceremony.registration_body(key)
        commit = ceremony.commit_body(key, manifest_digest, draw_id, shares[party])
        body = {
            "commitment": commit["commitment"],
            "public_key": registration["public_key"],
            "valid_from": registration["valid_from"],
            "valid_until": registration["valid_until"],
            "key_signature": registration["signature"],
            "signature": commit["signature"],
        }
        r = await lingang.client.post(
            f"/api/draws/draws/{draw_id}/commitments", json=commit, headers=credit
        )
        assert r.status_code == 403  # lingang's staff cannot act for huancui's party
        r = await huancui.client.post(f"{joint_url}/commitment", json=body, headers=hc_credit)
        assert r.status_code == 200, r.text

        # lingang's parties commit at lingang
        signers = Signers(lingang.client, lg)
        who = {"办公室": (office, "office-li"), "信用监管科": (credit, "credit-zhang")}
        keys = {q: await signers.key(*who[q], q) for q in who}
        for q in who:
            b = ceremony.commit_body(keys[q], manifest_digest, draw_id, shares[q])
            assert (await signers.post(draw, "commitments", b, who[q][0])).status_code == 200

        async def all_committed_at_huancui() -> bool:
            r = await huancui.client.get(joint_url, headers=hc_credit)
            return sorted(r.json()["committed"]) == sorted(draw["parties"])

        await eventually(all_committed_at_huancui, "every commitment, seen at huancui")
        reveal = ceremony.reveal_body(key, manifest_digest, shares[party])
        r = await huancui.client.post(
            f"{joint_url}/reveal",
            json={"share": reveal["share"], "signature": reveal["signature"]},
            headers=hc_credit,
        )
        assert r.status_code == 200, r.text
        for q in who:
            b = ceremony.reveal_body(keys[q], manifest_digest, shares[q])
            assert (await signers.post(draw, "reveals", b, who[q][0])).status_code == 200

        async def drawn() -> dict[str, Any] | None:
            r = await lingang.client.get(f"/api/draws/draws/{draw_id}", headers=credit)
            return r.json() if r.json()["status"] == "drawn" else None

        done = await eventually(drawn, "huancui's reveal at lingang, and the result")
        result = bytes.fromhex(done["result_sha256"])
        supervisor = await signers.key(supervisor_headers, "office-zhao", "办公室")
        b = ceremony.countersign_body(supervisor, manifest_digest, result, "过程合规", True)
        r = await signers.post(draw, "countersign", b, supervisor_headers)
        assert r.status_code == 200, r.text
        members = {m["inspector_id"] for t in r.json()["targets"] for m in t["team"]}
        assert any(m.startswith(f"{hc}:HC") for m in members)  # huancui filled the teams

        bundle = (await lingang.client.get(f"/public/draws/{draw_id}/bundle")).content
        report = verify_draw.verify_bytes(bundle)
        assert report.ok, report.difference

        # huancui's public site names the draw with the digests lingang sent it
        async def completed_at_huancui() -> dict[str, Any] | None:
            items = (await huancui.client.get("/public/draws/joint")).json()["items"]
            return items[0] if items and items[0]["status"] == "completed" else None

        listed = await eventually(completed_at_huancui, "lingang's result, kept at huancui")
        assert listed == {
            "draw_id": draw_id,
            "drawing_district": lg,
            "task_no": draw["task_no"],
            "party": party,
            "status": "completed",
            "manifest_sha256": draw["manifest_sha256"],
            "result_sha256": done["result_sha256"],
            "bundle_url": f"/public/draws/{draw_id}/bundle",
        }
        side = (await huancui.client.get(joint_url, headers=hc_credit)).json()
        assert side["committed_at"] and side["revealed_at"] > side["committed_at"]
        assert side["holder"] == f"{hc}:hc-credit"
        assert (await wendeng.client.get("/public/draws/joint")).json()["total"] == 0

        # wendeng is no neighbour of either: it holds nothing of the draw
        r = await wendeng.client.get("/api/draws/joint-draws", headers=wd_credit)
        assert r.status_code == 200 and r.json()["items"] == []

        # an envelope huancui writes on its own topic, claiming to be lingang's, is refused
        before = refused("draws", "draws.joint-share-committed")
        forged = JointShareCommitted(
            draw_id=draw_id,
            drawing_district=lg,
            party=party,
            commitment="00" * 32,
            key=PartyKeyRecord(
                key_id=key.key_id,
                party=party,
                holder=key.holder,
                public_key=registration["public_key"],
                valid_from=key.valid_from,
                valid_until=key.valid_until,
                signature=registration["signature"],
            ),
            signature="00" * 64,
        )
        await huancui.deliver(forged, claims=lg)
        await eventually(
            lambda: _true(refused("draws", "draws.joint-share-committed") > before),
            "the forged envelope refused by lingang's consumer",
        )

        # Lingang measures its own consumer groups' lag as its own Kafka user (its ACLs let it
        # describe its groups and topics, and its neighbour's topics it reads): all caught up.
        async def caught_up() -> bool:
            lags = await lingang.bus.measure_lag()
            return any(t.startswith(f"{hc}.") for _, t in lags) and not any(lags.values())

        await eventually(caught_up, "lingang's consumer groups to have no lag")


async def _true(value: bool) -> bool:
    return value


async def _status(response: Any, status: int) -> httpx.Response | None:
    r = await response
    return r if r.status_code == status else None
