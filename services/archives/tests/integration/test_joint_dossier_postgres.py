"""A joint draw in the party's archive on real PostgreSQL (ADR 0010): Huancui's archives reads
Lingang's shared topics (``neighbours=lingang``) through the kernel's consumer; the dossier of
Lingang's task is stored, listed as Lingang's, verifies, and is not folded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from sqlalchemy.exc import DBAPIError

from archives.domain.chain import main
from spotcheck_common.bus import InProcessBus
from spotcheck_common.events import Envelope, Event
from spotcheck_common.events.draws import (
    DrawCompleted,
    DrawManifestFrozen,
    DrawnTarget,
    JointShareRevealed,
    TeamMember,
)
from spotcheck_common.events.types import TeamRole
from spotcheck_common.http import build_app
from spotcheck_common.kafka_admin import DistrictCredentials
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers, envelope_of

pytestmark = pytest.mark.integration

TASK, DRAW = "7f3a2c10-lingang-task", "lg-draw-1"
READER = auth_headers("archivist-02", "general_office", district="huancui")


class Huancui:
    def __init__(self, rt: ServiceRuntime, bus: InProcessBus, client: httpx.AsyncClient) -> None:
        self.rt, self.bus, self.client = rt, bus, client

    async def publish(self, event: Event, district: str) -> Envelope[Any]:
        """As ``district``'s outbox relay does, onto that district's topic."""
        env: Envelope[Any] = envelope_of(event, district)
        await self.bus.publish(event.topic(district), env.aggregate_id, env.to_bytes(), {})
        return env

    async def sql(self, statement: str) -> Any:
        async with self.rt.db.engine.begin() as conn:
            return await conn.execute(sa.text(statement))


@pytest.fixture
async def huancui(pg_url: str) -> AsyncIterator[Huancui]:
    bus = InProcessBus()
    settings = Settings(
        database_url=pg_url, district="huancui", neighbours="lingang", auth_secret=TEST_SECRET
    )
    (rt,) = build_runtimes([load("archives")], settings, bus=bus)
    app = build_app([rt], title="archives joint test")
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Huancui(rt, bus, client)


def manifest_of(neighbour: str = "huancui") -> Event:
    """A manifest of the drawing district naming ``neighbour``'s party."""
    return DrawManifestFrozen(
        draw_id=DRAW,
        task_id=TASK,
        task_no="LG-2026-301",
        algorithm="spotcheck-draw/3",
        manifest_sha256="11" * 32,
        population_size=50,
        population_root="22" * 32,
        roster_size=4,
        roster_root="33" * 32,
        parties=["信用监管科", "办公室", f"{neighbour}:信用监管科"],
    )


def completed() -> Event:
    team = [
        TeamMember(inspector_id="L1", name="王强", department="信用监管科", role=TeamRole.LEADER),
        TeamMember(
            inspector_id="huancui:H2", name="陈静", department="信用监管科", role=TeamRole.MEMBER
        ),
    ]
    target = DrawnTarget(uscc="91371000MA3C00001Y", entity_name="某公司", risk_class="C", team=team)
    return DrawCompleted(
        draw_id=DRAW,
        task_id=TASK,
        task_no="LG-2026-301",
        algorithm="spotcheck-draw/3",
        seed_hex="ab" * 32,
        population_size=50,
        targets=[target],
        unstaffed=[],
    )


async def test_the_foreign_dossier_is_stored_listed_as_lingangs_and_verifies(
    huancui: Huancui, tmp_path: Path
) -> None:
    # Lingang's result, naming Huancui's inspector, before its manifest: it waits (nothing
    # filed, the consumer's record rolled back), and is filed once the manifest is; a
    # redelivered copy changes nothing.
    early = completed()
    early_env: Envelope[Any] = envelope_of(early, "lingang")
    await huancui.bus.publish(early.topic("lingang"), TASK, early_env.to_bytes(), {})
    waiting = (await huancui.sql("SELECT reason FROM waiting_events")).scalars().all()
    assert len(waiting) == 1 and "NotKnownYet" in waiting[0]
    assert (await huancui.sql("SELECT count(*) FROM processed_events")).scalar_one() == 0
    frozen = await huancui.publish(manifest_of(), "lingang")

    async def filed() -> bool:
        count = await huancui.sql("SELECT count(*) FROM waiting_events")
        return count.scalar_one() == 0

    await eventually(filed, "the early result to leave the waiting room")
    await huancui.bus.publish(early.topic("lingang"), TASK, early_env.to_bytes(), {})
    act = JointShareRevealed(
        draw_id=DRAW,
        drawing_district="lingang",
        party="huancui:信用监管科",
        share_hex="aa" * 32,
        key_id="k1",
        signature="bb" * 64,
    )
    revealed = await huancui.publish(act, "huancui")
    listing = (await huancui.client.get("/api/archives/dossiers", headers=READER)).json()
    assert [(d["task_id"], d["drawing_district"], d["task_no"]) for d in listing["items"]] == [
        (TASK, "lingang", "LG-2026-301")
    ]
    dossier = (await huancui.client.get(f"/api/archives/dossiers/{TASK}", headers=READER)).json()
    assert [e["event_id"] for e in dossier["entries"]] == [
        frozen.event_id,
        early_env.event_id,
        revealed.event_id,
    ]
    assert [e["kind"] for e in dossier["entries"]] == ["event", "event", "joint_act"]
    assert dossier["entries"][2]["event_type"] == "draws.joint-share-revealed"
    assert dossier["verification"]["ok"] and dossier["verification"]["checked"] == 3
    verify = await huancui.client.get(f"/api/archives/dossiers/{TASK}/verify", headers=READER)
    assert verify.json()["ok"]

    exported = await huancui.client.get(f"/api/archives/dossiers/{TASK}/export", headers=READER)
    document = json.loads(exported.content)
    assert document["manifest"]["drawing_district"] == "lingang"
    assert document["manifest"]["district"] == "huancui"
    path = tmp_path / "dossier.json"
    path.write_bytes(exported.content)
    assert main(["verify", str(path)]) == 0  # the offline verifier, standard library only

    # Stored as such: the joint draw marked (and kept: no change), nothing folded.
    rows = (await huancui.sql("SELECT drawing_district, draw_id, task_id FROM joint_draws")).all()
    assert [tuple(r) for r in rows] == [("lingang", DRAW, TASK)]
    with pytest.raises(DBAPIError, match="只能追加"):
        await huancui.sql("UPDATE joint_draws SET task_id = 'other'")
    facts = (await huancui.sql("SELECT count(*) FROM task_facts")).scalar_one()
    assert facts == 0


@asynccontextmanager
async def archive(
    creds: DistrictCredentials, neighbours: list[str], url: str, tmp: Path
) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient]]:
    """One district's archives, signed in to the broker as that district's own Kafka user."""
    kafka = {k.removeprefix("SPOTCHECK_").lower(): v for k, v in creds.env().items()}
    settings = Settings(
        **kafka,
        district=creds.district,
        neighbours=",".join(neighbours),
        database_url=url,
        relay_interval_s=0.05,
        data_dir=tmp / creds.district,
        auth_secret=TEST_SECRET,
    )
    (rt,) = build_runtimes([load("archives")], settings)
    app = build_app([rt], "archives")
    async with (
        LifespanManager(app, startup_timeout=120, shutdown_timeout=30) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url="http://t") as c,
    ):
        yield rt, c


async def test_both_dossiers_file_the_joint_draw_through_the_broker(
    add_kafka_district: Any,
    new_database: Callable[[], Awaitable[str]],
    unique_district: str,
    tmp_path: Path,
) -> None:
    """Each archive reads only what its Kafka user is granted (a neighbour subscription to a
    topic that is not shared would fail to start); Lingang's draw lands in both dossiers."""
    lg, hc = unique_district + "l", unique_district + "h"
    creds = {lg: await add_kafka_district(lg, [hc]), hc: await add_kafka_district(hc, [lg])}
    frozen = manifest_of(hc)
    act = JointShareRevealed(
        draw_id=DRAW,
        drawing_district=lg,
        party=f"{hc}:信用监管科",
        share_hex="aa" * 32,
        key_id="k1",
        signature="bb" * 64,
    )
    async with (
        archive(creds[lg], [hc], await new_database(), tmp_path) as (lg_rt, lg_client),
        archive(creds[hc], [lg], await new_database(), tmp_path) as (hc_rt, hc_client),
    ):
        sent: dict[str, Envelope[Any]] = {}
        for rt, event in ((lg_rt, frozen), (hc_rt, act)):
            env: Envelope[Any] = envelope_of(event, rt.district)
            await rt.bus.publish(event.topic(rt.district), TASK, env.to_bytes(), {})
            sent[rt.district] = env

        async def entries(client: httpx.AsyncClient, district: str, n: int) -> Any:
            headers = auth_headers("archivist", "general_office", district=district)
            r = await client.get(f"/api/archives/dossiers/{TASK}", headers=headers)
            found = r.json() if r.status_code == 200 else None
            return found if found and found["dossier"]["entry_count"] >= n else None

        at_hc = await eventually(lambda: entries(hc_client, hc, 2), "huancui's dossier")
        at_lg = await eventually(lambda: entries(lg_client, lg, 1), "lingang's dossier")
    assert [e["event_id"] for e in at_hc["entries"]] == [sent[lg].event_id, sent[hc].event_id]
    assert at_hc["dossier"]["drawing_district"] == lg and at_hc["verification"]["ok"]
    assert [e["event_id"] for e in at_lg["entries"]] == [sent[lg].event_id]
    assert at_lg["dossier"]["drawing_district"] is None and at_lg["verification"]["ok"]


async def eventually(check: Callable[[], Awaitable[Any]], what: str, seconds: float = 90) -> Any:
    try:
        async with asyncio.timeout(seconds):
            while True:
                if found := await check():
                    return found
                await asyncio.sleep(0.3)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None
