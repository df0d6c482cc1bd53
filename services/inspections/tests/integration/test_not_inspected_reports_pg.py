"""The "counted as done" report (第八条) on real PostgreSQL through the HTTP API: targets not
inspected are submitted by their teams; each lead department (a supervising department, a
station) submits its list, the credit department consolidates them and exports the city
bureau's file, which is parsed back and compared; refusals write nothing; the database itself
refuses to change a submitted report."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from inspections.domain.report_files import HEADER
from spotcheck_common.events.draws import DrawCompleted, DrawnTarget, TeamMember
from spotcheck_common.events.planning import CheckItemRef, TargetFilter, TaskApproved
from spotcheck_common.events.types import TeamRole
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, ServiceHarness, auth_headers, running

pytestmark = pytest.mark.integration

GUIFAN, STATION = "市场规范管理科", "草庙子市场监管所"
LEADER, MEMBER = "LG-001", "LG-002"
U1, U2, U3, U4 = (
    "91371000MA3C000017",
    "91371000MA3C000025",
    "91371000MA3C000033",
    "91371000MA3C000041",
)
MARCH = {"period_start": "2026-03-01", "period_end": "2026-03-16"}  # TEST_NOW is 16 March


def task(task_id: str, task_no: str, lead: str) -> TaskApproved:
    return TaskApproved(
        task_id=task_id,
        task_no=task_no,
        title=f"{task_no} 双随机抽查",
        lead_department=lead,
        check_items=[CheckItemRef(code="SD-01", name="企业公示信息检查")],
        target_filter=TargetFilter(),
        ratio_bp={"C": 1000},
        inspector_departments=[STATION],
        team_size=2,
        deadline=date(2026, 6, 30),
        approved_by="fuju-wang",
    )


def draw(task_id: str, task_no: str, usccs: list[str]) -> DrawCompleted:
    team = [
        TeamMember(inspector_id=LEADER, name="王组长", department=STATION, role=TeamRole.LEADER),
        TeamMember(inspector_id=MEMBER, name="李四", department=STATION, role=TeamRole.MEMBER),
    ]
    return DrawCompleted(
        draw_id=f"draw-{task_id}",
        task_id=task_id,
        task_no=task_no,
        algorithm="seeded-v1",
        seed_hex="ab" * 32,
        population_size=500,
        targets=[
            DrawnTarget(
                uscc=u,
                entity_name=f"威海临港企业{u[-3:]}",
                risk_class="C",
                team=team,
                area="草庙子镇",
            )
            for u in usccs
        ],
        unstaffed=[],
    )


class Bureau:
    def __init__(self, service: ServiceHarness) -> None:
        self.service = service
        self.client = service.client

    def as_(self, user: str, *roles: str, **claims: str) -> dict[str, str]:
        return auth_headers(user, *roles, district=self.service.district, **claims)

    @property
    def guifan(self) -> dict[str, str]:
        return self.as_("zhao.reg", "supervising_dept", department=GUIFAN, name="赵规范")

    @property
    def station(self) -> dict[str, str]:
        return self.as_("station.cmz", "station", department=STATION)

    @property
    def credit(self) -> dict[str, str]:
        return self.as_("zhang.credit", "credit_dept", department="信用监管科", name="张信用")

    @property
    def deputy(self) -> dict[str, str]:
        return self.as_("wang.deputy", "deputy_director")

    def inspector(self, inspector_id: str) -> dict[str, str]:
        return self.as_(f"user-{inspector_id}", "inspector", inspector_id=inspector_id)

    async def finish(self, task_id: str, uscc: str, form: dict[str, Any]) -> None:
        """The leader records the form, the team signs, the leader submits."""
        found = await self.client.get(
            "/api/inspections/inspections",
            params={"task_id": task_id, "uscc": uscc},
            headers=self.credit,
        )
        [inspection] = found.json()["items"]
        path = f"/api/inspections/inspections/{inspection['inspection_id']}"
        recorded = await self.client.put(
            f"{path}/results", json=form, headers=self.inspector(LEADER)
        )
        assert recorded.status_code == 200, recorded.text
        for who in (LEADER, MEMBER):
            signed = await self.client.post(f"{path}/sign", headers=self.inspector(who))
            assert signed.status_code == 200, signed.text
        submitted = await self.client.post(f"{path}/submit", headers=self.inspector(LEADER))
        assert submitted.status_code == 200, submitted.text

    async def outbox(self, name: str) -> list[dict[str, Any]]:
        return [e["payload"] for e in await self.service.outbox(f"inspections.{name}")]

    async def count(self) -> int:
        return int(await self.service.scalar("SELECT count(*) FROM not_inspected_reports"))


@pytest.fixture
async def bureau(pg_url: str, unique_district: str) -> AsyncIterator[Bureau]:
    settings = Settings(database_url=pg_url, district=unique_district, auth_secret=TEST_SECRET)
    async with running("inspections", settings) as service:
        await service.deliver(task("task-a", "LG-2026-011", GUIFAN))
        await service.deliver(task("task-b", "LG-2026-012", STATION))
        await service.deliver(draw("task-a", "LG-2026-011", [U1, U2, U3]))
        await service.deliver(draw("task-b", "LG-2026-012", [U4]))
        b = Bureau(service)
        await b.finish(
            "task-a", U1, {"not_inspected": {"reason": "unreachable", "remark": "门店已关闭"}}
        )
        await b.finish(
            "task-a",
            U2,
            {"not_inspected": {"reason": "deregistered", "occurred_on": "2026-03-10"}},
        )
        await b.finish(
            "task-a", U3, {"results": [{"check_item_code": "SD-01", "category": "未发现问题"}]}
        )
        await b.finish("task-b", U4, {"not_inspected": {"reason": "serious_refusal"}})
        yield b


def expected_rows(items: list[dict[str, Any]]) -> list[list[str]]:
    """The city bureau's columns, from the report as the API shows it."""
    return [
        [
            str(n),
            i["uscc"],
            i["entity_name"],
            i["area"],
            i["task_no"],
            i["task_title"],
            i["reason_label"],
            i["occurred_on"] or "",
            i["completed_on"],
            i["leader_name"],
            i["department"],
            i["remark"],
        ]
        for n, i in enumerate(items, start=1)
    ]


async def test_departments_report_the_credit_department_consolidates_and_exports(
    bureau: Bureau,
) -> None:
    client = bureau.client
    base = "/api/inspections/not-inspected-reports"

    draft = await client.get(f"{base}/department-draft", params=MARCH, headers=bureau.guifan)
    assert draft.status_code == 200, draft.text
    assert [i["uscc"] for i in draft.json()["items"]] == [U1, U2]  # U3 was inspected
    assert draft.json()["current"] is None

    # Only a department with its name in the token submits, and only its own.
    for refused, status in ((bureau.inspector(LEADER), 403), (bureau.deputy, 403)):
        answer = await client.post(f"{base}/department", json=MARCH, headers=refused)
        assert answer.status_code == status, answer.text
    assert await bureau.count() == 0

    first = await client.post(f"{base}/department", json=MARCH, headers=bureau.guifan)
    assert first.status_code == 201, first.text
    guifan = first.json()
    assert (guifan["department"], guifan["version"], guifan["total"]) == (GUIFAN, 1, 2)
    assert guifan["submitted_by"] == "zhao.reg" and guifan["current"] is True
    again = await client.post(f"{base}/department", json=MARCH, headers=bureau.guifan)
    assert again.status_code == 409 and "更正" in again.json()["detail"]

    # The credit department cannot consolidate while the station has not reported.
    early = await client.post(f"{base}/consolidated", json=MARCH, headers=bureau.credit)
    assert early.status_code == 409 and STATION in early.json()["detail"]
    by_department = await client.post(f"{base}/consolidated", json=MARCH, headers=bureau.guifan)
    assert by_department.status_code == 403
    assert await bureau.count() == 1

    station = await client.post(f"{base}/department", json=MARCH, headers=bureau.station)
    assert station.status_code == 201 and station.json()["total"] == 1

    preview = await client.get(f"{base}/consolidation-draft", params=MARCH, headers=bureau.credit)
    assert preview.json()["unreported"] == {} and len(preview.json()["reports"]) == 2
    made = await client.post(
        f"{base}/consolidated", json={**MARCH, "note": "3月上半月"}, headers=bureau.credit
    )
    assert made.status_code == 201, made.text
    whole = made.json()
    assert [i["uscc"] for i in whole["items"]] == [
        U1,
        U2,
        U4,
    ]  # 市场规范管理科 sorts before 草庙子…
    assert {s["report_id"]: s["xlsx_sha256"] for s in whole["sources"]} == {
        guifan["report_id"]: guifan["xlsx_sha256"],
        station.json()["report_id"]: station.json()["xlsx_sha256"],
    }

    # The exported files are the report: parsed back, they hold exactly its items.
    path = f"{base}/{whole['report_id']}/file"
    xlsx = await client.get(path, params={"format": "xlsx"}, headers=bureau.credit)
    assert xlsx.status_code == 200
    assert xlsx.headers["x-content-sha256"] == whole["xlsx_sha256"]
    assert hashlib.sha256(xlsx.content).hexdigest() == whole["xlsx_sha256"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
    assert "信用监管科（汇总）" in rows[1][0] and "共 3 个检查对象" in rows[1][0]
    assert rows[2] == list(HEADER)
    assert rows[3:] == expected_rows(whole["items"])
    assert rows[3][6] == "通过登记的住所（经营场所）无法联系" and rows[3][11] == "门店已关闭"
    assert rows[4][7] == "2026-03-10" and rows[5][10] == STATION

    exported = await client.get(path, params={"format": "csv"}, headers=bureau.deputy)
    assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
    assert hashlib.sha256(exported.content).hexdigest() == whole["csv_sha256"]
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table == [list(HEADER), *expected_rows(whole["items"])]

    # Every report left as an event, with what it held.
    submitted = await bureau.outbox("not-inspected-report-submitted")
    assert [p["department"] for p in submitted] == [GUIFAN, STATION]
    [consolidated] = await bureau.outbox("not-inspected-report-consolidated")
    assert consolidated["items"] == whole["items"] and consolidated["report_version"] == 1
    assert consolidated["task_ids"] == ["task-a", "task-b"]
    assert consolidated["xlsx_sha256"] == whole["xlsx_sha256"]

    # A department reads its own lists only; the leadership reads all.
    assert (
        await client.get(f"{base}/{whole['report_id']}", headers=bureau.guifan)
    ).status_code == 403
    theirs = f"{base}/{station.json()['report_id']}/file"
    assert (await client.get(theirs, headers=bureau.guifan)).status_code == 403
    listed = await client.get(base, headers=bureau.guifan)
    assert [r["report_id"] for r in listed.json()["items"]] == [guifan["report_id"]]
    everything = await client.get(base, headers=bureau.deputy)
    assert everything.json()["total"] == 3


async def test_a_correction_is_a_new_version_and_the_database_refuses_edits(
    bureau: Bureau,
) -> None:
    client = bureau.client
    base = "/api/inspections/not-inspected-reports"
    first = (await client.post(f"{base}/department", json=MARCH, headers=bureau.guifan)).json()
    no_reason = await client.post(
        f"{base}/department", json={**MARCH, "replaces": first["report_id"]}, headers=bureau.guifan
    )
    assert no_reason.status_code == 422 and await bureau.count() == 1
    second = await client.post(
        f"{base}/department",
        json={**MARCH, "replaces": first["report_id"], "correction_reason": "补充说明"},
        headers=bureau.guifan,
    )
    assert second.status_code == 201, second.text
    assert (second.json()["version"], second.json()["replaces"]) == (2, first["report_id"])
    old = (await client.get(f"{base}/{first['report_id']}", headers=bureau.credit)).json()
    assert old["current"] is False and old["superseded_by"] == second.json()["report_id"]
    assert old["items"] == first["items"]

    for statement in (
        "UPDATE not_inspected_reports SET note = 'changed'",
        "UPDATE not_inspected_reports SET csv = 'x'::bytea",
        "DELETE FROM not_inspected_reports",
        "TRUNCATE not_inspected_reports",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="不得"):
            await bureau.service.scalar(statement)
    assert await bureau.count() == 2
