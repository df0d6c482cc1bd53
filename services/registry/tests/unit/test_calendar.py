"""The general office records a year's holiday schedule (embedded SQLite, the real routes):
checks that name the field, versions with reasons, what staff and the public read, the event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from spotcheck_common.clock import FixedClock
from spotcheck_common.settings import Settings
from spotcheck_common.testing import (
    TEST_SECRET,
    ServiceHarness,
    auth_headers,
    calendar_body,
    running,
)

OFFICE = auth_headers("li.office", "general_office")
CREDIT = auth_headers("zhang.credit", "credit_dept")
URL = "/api/registry/calendar/2027"
TODAY = "2026-11-20T09:00:00+08:00"


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[ServiceHarness]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/registry.db", auth_secret=TEST_SECRET
    )
    # The autumn the 2027 notice is published: the office records it that day.
    async with running("registry", settings, clock=FixedClock(TODAY)) as harness:
        yield harness


async def test_recording_a_year_keeps_it_and_sends_it(registry: ServiceHarness) -> None:
    before = (await registry.client.get("/public/calendar/2027")).json()
    assert before["covered"] is False and before["source"] == "none" and before["versions"] == []

    response = await registry.client.post(URL, json=calendar_body(), headers=OFFICE)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["source"] == "recorded" and body["calendar_version"] == "2027/v1"
    assert body["current"]["recorded_by"] == "li.office"
    # The notice's blocks, day by day (weekend days inside a block included).
    days_off = {d["date"]: d["name"] for d in body["days_off"]}
    assert days_off["2027-02-05"] == "春节" and days_off["2027-02-13"] == "春节"
    assert len(days_off) == 3 + 9 + 3 + 5 + 1 + 1 + 7
    assert {d["date"] for d in body["make_up_workdays"]} >= {"2027-01-31", "2027-02-20"}

    (event,) = await registry.outbox("registry.calendar-year-recorded")
    payload = event["payload"]
    assert event["actor"] == "li.office" and event["aggregate_id"] == "calendar:2027"
    assert payload["year"] == 2027 and payload["schedule_version"] == 1
    assert payload["recorded_at"].startswith("2026-11-20T01:00")  # the injected clock

    public = (await registry.client.get("/public/calendar/2027")).json()
    assert public["covered"] is True and "recorded_by" not in public["current"]
    overview = (await registry.client.get("/public/calendar")).json()
    assert overview["today"] == "2026-11-20" and overview["covered_through"] == "2027-12-31"
    year_2027 = next(y for y in overview["years"] if y["year"] == 2027)
    assert year_2027 == {
        "year": 2027,
        "covered": True,
        "source": "recorded",
        "calendar_version": "2027/v1",
    }


async def test_a_correction_is_a_new_version_with_a_reason(registry: ServiceHarness) -> None:
    assert (
        await registry.client.post(URL, json=calendar_body(), headers=OFFICE)
    ).status_code == 201
    corrected = calendar_body(days_off=[("元旦", "2027-01-01", "2027-01-04")])
    without_reason = await registry.client.post(URL, json=corrected, headers=OFFICE)
    assert without_reason.status_code == 422
    assert without_reason.json()["detail"] == "2027 年节假日安排未录入"
    assert without_reason.json()["errors"][0]["field"] == "reason"
    corrected["reason"] = "元旦放假天数录错"
    second = await registry.client.post(URL, json=corrected, headers=OFFICE)
    assert second.status_code == 201, second.text
    body = second.json()
    assert body["calendar_version"] == "2027/v2" and body["current"]["reason"] == "元旦放假天数录错"
    assert [(v["version"], v["superseded"]) for v in body["versions"]] == [(1, True), (2, False)]
    assert [d["date"] for d in body["days_off"]] == [f"2027-01-0{d}" for d in range(1, 5)]
    events = await registry.outbox("registry.calendar-year-recorded")
    assert [e["payload"]["schedule_version"] for e in events] == [1, 2]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"make_up": [("春节", "2027-02-10")]}, "make_up_workdays[0]", "周六或周日"),
        ({"make_up": [("春节", "2027-02-06")]}, "make_up_workdays[0]", "同时是放假日"),
        ({"make_up": [("春节", "2028-01-08")]}, "make_up_workdays[0]", "2027 年内"),
        ({"days_off": [("国庆节", "2027-10-07", "2027-10-01")]}, "days_off[0]", "早于"),
        ({"days_off": [("国庆节", "2026-12-31", "2027-01-02")]}, "days_off[0]", "2027 年内"),
        ({"days_off": [("国庆节", "2027-10-01", "2027-10-30")]}, "days_off[0]", "超过 15 天"),
        (
            {"days_off": [("元旦", "2027-01-01", "2027-01-03"), ("x", "2027-01-03", "2027-01-04")]},
            "days_off[1]",
            "已在 days_off[0]",
        ),
        ({"published_on": "2026-11-21"}, "published_on", "不能晚于今天"),
        ({"published_on": "2024-11-01"}, "published_on", "2026 或 2027 年发布"),
    ],
)
async def test_a_schedule_that_cannot_be_right_is_refused_naming_the_field(
    registry: ServiceHarness, change: dict[str, Any], field: str, reason: str
) -> None:
    response = await registry.client.post(URL, json=calendar_body(**change), headers=OFFICE)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["field"] == field and reason in e["reason"] for e in errors), errors
    assert await registry.outbox("registry.calendar-year-recorded") == []
    assert (await registry.client.get("/public/calendar/2027")).json()["versions"] == []


async def test_only_the_general_office_records_and_staff_read(registry: ServiceHarness) -> None:
    assert (await registry.client.post(URL, json=calendar_body())).status_code == 401
    refused = await registry.client.post(URL, json=calendar_body(), headers=CREDIT)
    assert refused.status_code == 403 and "general_office" in refused.text
    station = auth_headers("suo", "station")
    assert (await registry.client.get(URL, headers=station)).status_code == 200
    entity = auth_headers("qiye", "entity", uscc="91371000MA3C000011")
    assert (await registry.client.get(URL, headers=entity)).status_code == 403
    assert (await registry.client.get("/public/calendar/2000")).json()["source"] == "none"
    assert (await registry.client.get("/public/calendar/1800")).status_code == 422


async def test_a_year_the_package_knows_is_overridden_and_the_differences_reported(
    registry: ServiceHarness,
) -> None:
    package = (await registry.client.get("/public/calendar/2026")).json()
    assert package["source"] == "holidays" and package["calendar_version"] == "2026/holidays-0.109"
    # Re-entered from the 2026 notice, but with National Day ending on 10-06 by mistake.
    body = calendar_body(
        days_off=[("国庆节", "2026-10-01", "2026-10-06")],
        make_up=[("国庆节", "2026-09-20"), ("国庆节", "2026-10-10")],
        published_on="2025-11-04",
    )
    response = await registry.client.post("/api/registry/calendar/2026", json=body, headers=OFFICE)
    assert response.status_code == 201, response.text
    recorded = response.json()
    assert recorded["source"] == "recorded" and recorded["calendar_version"] == "2026/v1"
    differing = {d["date"] for d in recorded["differences_from_library"]}
    assert "2026-10-07" in differing  # the package: a day off; as entered: a working day
    assert "2026-02-17" in differing  # the Spring Festival was left out of this entry
    assert "2026-10-01" not in differing


async def test_two_offices_recording_the_same_version_at_once_one_is_refused() -> None:
    """The store says the version is taken (another request committed it in between): the
    service refuses with 409 and emits nothing."""
    from registry.service_layer import calendar as services
    from spotcheck_common.errors import Conflict
    from spotcheck_common.events.calendar import HolidayPeriod

    from .fakes import FakeRegistryUnitOfWork

    class RacedStore:
        async def latest_version(self, year: int) -> int:
            return 0

        async def add(self, event: Any) -> bool:
            return False  # v1 appeared between the two reads

        async def versions(self, year: int | None = None) -> list[Any]:
            return []

    uow = FakeRegistryUnitOfWork(calendar=RacedStore(), actor="li.office", clock=FixedClock(TODAY))
    with pytest.raises(Conflict, match="刚由他人录入"):
        await services.record_year(
            uow,
            2027,
            "doc",
            "",
            FixedClock(TODAY).today(),
            [HolidayPeriod(name="元旦", start="2027-01-01", end="2027-01-03")],  # type: ignore[arg-type]
            [],
            "",
        )
    assert uow.events == [] and uow.uncommitted == [] and not uow.committed
