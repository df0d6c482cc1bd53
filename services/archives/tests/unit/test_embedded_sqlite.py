"""The embedded mode (SQLite, in-process delivery): same consumer, same guards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY
from sqlalchemy.exc import IntegrityError

from spotcheck_common.bus import InProcessBus
from spotcheck_common.clock import FixedClock
from spotcheck_common.events import Envelope, Event
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_NOW, TEST_SECRET, auth_headers


async def test_events_are_filed_and_entries_cannot_be_changed(
    tmp_path: Path,
    task_cycle: Callable[[str], list[Event]],
    envelope: Callable[..., Envelope[Any]],
    scenario: Any,
) -> None:
    bus = InProcessBus()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/archives.db", auth_secret=TEST_SECRET
    )
    reader = auth_headers("archivist", "credit_dept", district=settings.district)
    (rt,) = build_runtimes([load("archives")], settings, bus=bus, clock=FixedClock(TEST_NOW))
    app = build_app([rt], title="archives")
    async with LifespanManager(app):
        plan = scenario.plan_version(1)
        await bus.publish(plan.topic(settings.district), "P", envelope(plan).to_bytes(), {})
        events = task_cycle("T1")
        events[0] = events[0].model_copy(update={"plan_id": scenario.PLAN_ID})
        envelopes = [envelope(e) for e in events]
        # The first one is redelivered at the end; it must not be filed twice.
        for event, env in zip([*events, events[0]], [*envelopes, envelopes[0]], strict=True):
            await bus.publish(event.topic(settings.district), "T1", env.to_bytes(), {})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/api/archives/dossiers/T1")).status_code == 401
            body = (await client.get("/api/archives/dossiers/T1", headers=reader)).json()
            assert [e["seq"] for e in body["entries"]] == list(range(1, 9))
            assert body["entries"][1]["kind"] == "plan"
            assert body["verification"]["ok"] is True
            report = await client.get(
                "/api/archives/accountability", headers=reader, params={"as_of": "2027-01-05"}
            )
            assert report.status_code == 200
            # Deadline 2026-12-31 passed with the one target inspected, the result published
            # and corrected: only the feedback to the entity (due 15 working days after the
            # decision of 11-25) was never given.
            items = report.json()["items"]
            assert [(i["kind"], i["status"]) for i in items] == [("objection_feedback", "overdue")]
            assert items[0]["overdue_workdays"] is None  # 2027: not in the calendar, no guess

            for statement in (
                "UPDATE dossier_entries SET event_type = 'x'",
                "UPDATE dossier_entries SET document = '{}' WHERE seq = 1",
                "DELETE FROM dossier_entries WHERE seq = 7",
                "DELETE FROM dossiers",
                "UPDATE dossiers SET entry_count = 2",
                "UPDATE plan_versions SET envelope = '{}'",
                "DELETE FROM plan_versions",
                "DELETE FROM dossier_plan_links",
                "DELETE FROM plans",
            ):
                with pytest.raises(IntegrityError, match="档案"):
                    async with rt.db.engine.begin() as conn:
                        await conn.execute(sa.text(statement))
            verify = (await client.get("/api/archives/dossiers/T1/verify", headers=reader)).json()
            assert verify["ok"] is True and verify["checked"] == 8
    # The runtime ran the periodic hooks at startup: the calendar's coverage as of the clock's
    # day (Mon 2026-03-16; the package covers 2026, so 291 days to 2027-01-01).
    coverage = REGISTRY.get_sample_value("spotcheck_calendar_coverage_days", {"source": "archives"})
    assert coverage == 291
