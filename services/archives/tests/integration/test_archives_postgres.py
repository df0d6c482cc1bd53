"""Archives on real PostgreSQL: events through the idempotent consumer, the API, the triggers."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from sqlalchemy.exc import IntegrityError

from archives.domain.chain import GENESIS_HASH, main, verify_export
from archives.entrypoints.consumers import subscriptions
from archives.entrypoints.routes.access import ARCHIVE_READERS
from spotcheck_common.bus import InProcessBus, KafkaBus
from spotcheck_common.consumer import deliver
from spotcheck_common.events import Envelope, Event
from spotcheck_common.events.inspections import InspectionSubmitted
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers

pytestmark = pytest.mark.integration

DISTRICT = "lingang"
READER = auth_headers("archivist-01", "general_office", district=DISTRICT)


class Harness:
    def __init__(self, rt: ServiceRuntime, bus: InProcessBus, client: httpx.AsyncClient) -> None:
        self.rt, self.bus, self.client = rt, bus, client

    async def publish(self, event: Event, envelope: Envelope[Any]) -> None:
        """As the outbox relay does: onto the bus, into the idempotent consumer."""
        await self.bus.publish(
            event.topic(DISTRICT), envelope.aggregate_id, envelope.to_bytes(), {}
        )

    async def sql(self, statement: str, **params: Any) -> Any:
        async with self.rt.db.engine.begin() as conn:
            return await conn.execute(sa.text(statement), params)


@pytest.fixture
async def harness(pg_url: str) -> AsyncIterator[Harness]:
    bus = InProcessBus()
    (rt,) = build_runtimes(
        [load("archives")],
        Settings(database_url=pg_url, district=DISTRICT, auth_secret=TEST_SECRET),
        bus=bus,
    )
    app = build_app([rt], title="archives test")
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Harness(rt, bus, client)


async def test_a_task_cycle_is_filed_once_in_order_and_verifies(
    harness: Harness,
    task_cycle: Callable[[str], list[Event]],
    envelope: Callable[..., Envelope[Any]],
    tmp_path: Any,
) -> None:
    events = task_cycle("T-2026-007")
    envelopes = [envelope(e, actor=f"user{i}") for i, e in enumerate(events)]
    for event, env in zip(events, envelopes, strict=True):
        await harness.publish(event, env)
    await harness.publish(events[2], envelopes[2])  # redelivered: must not be filed twice
    other = task_cycle("T-2026-008")[0]
    await harness.publish(other, envelope(other))

    listing = (await harness.client.get("/api/archives/dossiers", headers=READER)).json()
    assert listing["total"] == 2
    counts = {d["task_id"]: d["entry_count"] for d in listing["items"]}
    assert counts == {"T-2026-007": 7, "T-2026-008": 1}
    assert listing["items"][0]["task_id"] == "T-2026-008"  # latest activity first

    body = (await harness.client.get("/api/archives/dossiers/T-2026-007", headers=READER)).json()
    entries = body["entries"]
    assert [e["seq"] for e in entries] == list(range(1, 8))
    assert [e["event_id"] for e in entries] == [e.event_id for e in envelopes]
    assert [e["event_type"] for e in entries] == [e.event_type() for e in events]
    assert entries[0]["document"] == envelopes[0].model_dump(mode="json")
    assert entries[4]["actor"] == "user4"
    assert entries[0]["prev_hash"] == GENESIS_HASH
    assert all(b["prev_hash"] == a["entry_hash"] for a, b in itertools.pairwise(entries))
    assert body["verification"]["ok"] is True
    assert body["dossier"]["head_hash"] == entries[-1]["entry_hash"]
    assert body["dossier"]["title"] == "2026年临港区企业公示信息抽查"

    verify = (
        await harness.client.get("/api/archives/dossiers/T-2026-007/verify", headers=READER)
    ).json()
    assert verify == {**verify, "ok": True, "checked": 7, "first_bad_seq": None}

    response = await harness.client.get("/api/archives/dossiers/T-2026-007/export", headers=READER)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    exported = response.json()
    assert exported["manifest"]["entry_count"] == 7
    assert exported["manifest"]["head_hash"] == entries[-1]["entry_hash"]
    assert exported["manifest"]["exported_by"] == "archivist-01"
    assert verify_export(exported).ok
    path = tmp_path / "dossier.json"
    path.write_bytes(response.content)
    assert main(["verify", str(path)]) == 0

    missing = await harness.client.get("/api/archives/dossiers/nope", headers=READER)
    assert missing.status_code == 404


async def test_triggers_refuse_changes_and_verification_finds_a_forced_one(
    harness: Harness,
    task_cycle: Callable[[str], list[Event]],
    envelope: Callable[..., Envelope[Any]],
) -> None:
    for event in task_cycle("T1")[:4]:
        await harness.publish(event, envelope(event))

    refused = [
        "UPDATE dossier_entries SET document = replace(document, 'LG-2026-007', 'LG-2026-008')",
        "DELETE FROM dossier_entries WHERE seq = 2",
        "TRUNCATE dossier_entries CASCADE",
        "DELETE FROM dossiers",
        "UPDATE dossiers SET entry_count = 3",  # cutting the head back
        "UPDATE dossiers SET entry_count = 5, head_hash = repeat('ab', 32)",  # a head to nowhere
        "INSERT INTO dossier_entries (task_id, seq, kind, document, prev_hash, entry_hash,"
        " recorded_at) VALUES ('T1', 5, 'event', '{}', repeat('0', 64), repeat('0', 64), now())",
    ]
    for statement in refused:
        # The trigger's own refusal, not some other error of the statement.
        with pytest.raises(IntegrityError, match="档案"):
            await harness.sql(statement)
    count = (await harness.sql("SELECT count(*) FROM dossier_entries")).scalar_one()
    assert count == 4

    # Someone with the table owner's rights switches the guard off and edits one byte.
    await harness.sql("ALTER TABLE dossier_entries DISABLE TRIGGER dossier_entries_append_only;")
    await harness.sql(
        "UPDATE dossier_entries SET document = replace(document, '王强', '王刚') WHERE seq = 3"
    )
    verify = (await harness.client.get("/api/archives/dossiers/T1/verify", headers=READER)).json()
    assert verify["ok"] is False and verify["first_bad_seq"] == 3

    await harness.sql("DELETE FROM dossier_entries WHERE seq = 2")
    verify = (await harness.client.get("/api/archives/dossiers/T1/verify", headers=READER)).json()
    assert verify["ok"] is False and verify["first_bad_seq"] == 2


async def test_concurrent_appends_to_one_dossier_never_fork_the_chain(
    harness: Harness,
    task_cycle: Callable[[str], list[Event]],
    envelope: Callable[..., Envelope[Any]],
) -> None:
    inspection = task_cycle("T9")[2]
    assert isinstance(inspection, InspectionSubmitted)
    events = [inspection.model_copy(update={"inspection_id": f"insp-{i}"}) for i in range(12)]
    (sub,) = [s for s in subscriptions() if s.event is InspectionSubmitted]
    # Twelve deliveries at once, each on its own connection, like consumers of several
    # partitions; and the first one delivered twice more, concurrently.
    envelopes = [envelope(e) for e in events]
    results = await asyncio.gather(
        *(deliver("archives", sub, env, harness.rt.uow) for env in [*envelopes, envelopes[0]])
    )
    assert sum(results) == 12
    body = (await harness.client.get("/api/archives/dossiers/T9", headers=READER)).json()
    assert [e["seq"] for e in body["entries"]] == list(range(1, 13))
    assert {e["event_id"] for e in body["entries"]} == {e.event_id for e in envelopes}
    assert body["verification"]["ok"] is True
    rows = await harness.sql("SELECT seq, prev_hash, entry_hash FROM dossier_entries ORDER BY seq")
    chain = rows.all()
    assert chain[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(chain))
    assert json.loads(json.dumps(body["dossier"]))["entry_count"] == 12


async def test_events_over_kafka_are_filed_once(
    pg_url: str,
    kafka_bootstrap: str,
    unique_district: str,
    task_cycle: Callable[[str], list[Event]],
    envelope: Callable[..., Envelope[Any]],
) -> None:
    """The Kafka path: typed envelopes through FastStream, a duplicate on the topic."""
    settings = Settings(
        database_url=pg_url,
        district=unique_district,
        kafka_bootstrap=kafka_bootstrap,
        auth_secret=TEST_SECRET,
    )
    reader = auth_headers("archivist-01", "credit_dept", district=unique_district)
    bus = KafkaBus(kafka_bootstrap)
    (rt,) = build_runtimes([load("archives")], settings, bus=bus)
    app = build_app([rt], title="archives kafka test")
    events = task_cycle("TK")
    envelopes = [envelope(e, district=unique_district) for e in events]
    # Starting creates the topics and joins the consumer group: more than the default 5 s.
    async with LifespanManager(app, startup_timeout=90, shutdown_timeout=30):
        for event, env in zip([*events, events[0]], [*envelopes, envelopes[0]], strict=True):
            await bus.publish(event.topic(unique_district), "TK", env.to_bytes(), {})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body: dict[str, Any] = {}
            for _ in range(240):
                response = await client.get("/api/archives/dossiers/TK", headers=reader)
                if response.status_code == 200:
                    body = response.json()
                    if body["dossier"]["entry_count"] >= len(events):
                        break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)  # room for the duplicate to arrive (and be dropped)
            body = (await client.get("/api/archives/dossiers/TK", headers=reader)).json()
    assert {e["event_id"] for e in body["entries"]} == {e.event_id for e in envelopes}
    assert body["dossier"]["entry_count"] == len(events)
    assert body["verification"]["ok"] is True
    by_id = {e["event_id"]: e["document"] for e in body["entries"]}
    # Filed as sent: the typed (FastStream) envelope files the same document as the raw one.
    assert all(by_id[e.event_id] == e.model_dump(mode="json") for e in envelopes)


async def test_only_the_archive_readers_see_or_export_dossiers(
    harness: Harness,
    task_cycle: Callable[[str], list[Event]],
    envelope: Callable[..., Envelope[Any]],
) -> None:
    for event in task_cycle("T5")[:3]:
        await harness.publish(event, envelope(event))

    async def counts() -> list[int]:
        return [
            (await harness.sql(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("dossiers", "dossier_entries", "outbox", "processed_events")
        ]

    before = await counts()
    urls = [
        "/api/archives/dossiers",
        "/api/archives/dossiers/T5",
        "/api/archives/dossiers/T5/verify",
        "/api/archives/dossiers/T5/export",
    ]
    for url in urls:
        nobody = await harness.client.get(url)
        assert nobody.status_code == 401, (url, nobody.text)
        for who in (
            auth_headers("i1", "inspector", district=DISTRICT, inspector_id="LG-001"),
            auth_headers("suo", "station", district=DISTRICT),
            auth_headers("qiye", "entity", district=DISTRICT, uscc="91371000MA3C00001Y"),
        ):
            refused = await harness.client.get(url, headers=who)
            assert refused.status_code == 403, (url, refused.text)
            detail = refused.json()["detail"]
            for role in ARCHIVE_READERS:
                assert f"({role})" in detail, detail
    assert await counts() == before

    for role in ARCHIVE_READERS:
        who = auth_headers(f"user-{role}", role, district=DISTRICT, department="食品科")
        for url in urls:
            answer = await harness.client.get(url, headers=who)
            assert answer.status_code == 200, (role, url, answer.text)
        exported = (await harness.client.get(urls[-1], headers=who)).json()
        assert exported["manifest"]["exported_by"] == f"user-{role}"
    assert await counts() == before
