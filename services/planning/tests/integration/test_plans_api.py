"""Annual plans, tasks under plans, tasks sent down, publication and the yearly cap, over HTTP
on real PostgreSQL. Registry runs beside planning so the item list reaches planning through
the outbox and the bus, as in production. Every refusal writes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from planning.adapters import orm
from planning.bootstrap import Planning
from spotcheck_common.bus import InProcessBus
from spotcheck_common.clock import FixedClock
from spotcheck_common.events.planning import AnnualPlanPublished, TaskApproved, TaskPublished
from spotcheck_common.events.types import RiskClass
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_NOW, TEST_SECRET, auth_headers, eventually
from spotcheck_common.uow import OUTBOX

pytestmark = pytest.mark.integration

CLOCK = FixedClock(TEST_NOW)

YEAR = CLOCK.today().year
LIST_CSV = (
    "事项编号,抽查类别,抽查事项,检查对象,事项类别(一般/重点),检查方式,检查主体,检查依据\n"
    "GS-01,企业公示信息,企业公示信息抽查,企业,一般,书面检查,临港区局,《企业信息公示暂行条例》\n"
    "DJ-01,登记事项,登记事项检查,各类市场主体,一般,实地核查,临港区局,《市场主体登记管理条例》\n"
    "SP-01,食品经营,食品经营者检查,食品经营者,重点,现场检查,临港区局,《食品安全法》\n"
).encode()
GUIFAN = "市场规范管理科"
SHIPIN = "食品经营监管科"


class Harness:
    def __init__(self, client: httpx.AsyncClient, rt: ServiceRuntime, deps: Planning) -> None:
        self.client = client
        self.rt = rt
        self.deps = deps  # what planning's bootstrap built for this app

    def as_(self, user: str, *roles: str, **claims: str) -> dict[str, str]:
        return auth_headers(user, *roles, district=self.rt.district, **claims)

    def dept(self, department: str) -> dict[str, str]:
        return self.as_(f"keyuan-{department}", "supervising_dept", department=department)

    @property
    def fuju(self) -> dict[str, str]:
        return self.as_("fuju-wang", "deputy_director")

    @property
    def credit(self) -> dict[str, str]:
        return self.as_("xinyong-li", "credit_dept", department="信用监管科")

    @property
    def meeting(self) -> dict[str, str]:
        return self.as_("juzhang", "director_meeting")

    @property
    def office(self) -> dict[str, str]:
        return self.as_("bangong", "general_office")

    async def rows(self, table: sa.Table) -> list[Any]:
        async with self.rt.db.sessions() as session:
            return list(
                (await session.execute(sa.select(table).order_by(*table.primary_key))).all()
            )

    async def writes(self) -> list[Any]:
        """Everything planning writes, leaving out what the relay changes (published_at)."""
        outbox = [(r.id, r.event_id, r.event_type) for r in await self.rows(OUTBOX)]
        return [
            await self.rows(orm.annual_plans),
            await self.rows(orm.plan_transitions),
            await self.rows(orm.tasks),
            outbox,
        ]

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        return [
            json.loads(r.envelope) for r in await self.rows(OUTBOX) if r.event_type == event_type
        ]

    async def ok(self, method: str, url: str, who: dict[str, str], **kw: Any) -> dict[str, Any]:
        answer = await self.client.request(method, url, headers=who, **kw)
        assert answer.status_code in (200, 201), (url, answer.text)
        result: dict[str, Any] = answer.json()
        return result

    async def refused(
        self, status: int, method: str, url: str, who: dict[str, str], **kw: Any
    ) -> dict[str, Any]:
        """The request is refused with ``status`` and nothing at all is written."""
        before = await self.writes()
        answer = await self.client.request(method, url, headers=who, **kw)
        assert answer.status_code == status, (url, answer.text)
        assert await self.writes() == before, url
        result: dict[str, Any] = answer.json()
        return result


@pytest.fixture
async def planning(pg_url: str, unique_district: str) -> AsyncIterator[Harness]:
    settings = Settings(
        database_url=pg_url,
        district=unique_district,
        relay_interval_s=0.05,
        auth_secret=TEST_SECRET,
    )
    runtimes = build_runtimes(
        [load("registry"), load("planning")], settings, bus=InProcessBus(), clock=CLOCK
    )
    app = build_app(runtimes, title="planning-test")
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client,
    ):
        harness = Harness(client, runtimes[1], app.state.services["planning"])
        imported = await client.post(
            "/api/registry/check-items/import",
            content=LIST_CSV,
            params={"reason": "年度清单", "effective_from": f"{YEAR}-01-01"},
            headers={"Content-Type": "text/csv", **harness.credit},
        )
        assert imported.status_code == 200, imported.text

        async def arrived() -> bool:
            report = await harness.ok(
                "GET", "/api/planning/plans/coverage", harness.credit, params={"year": YEAR}
            )
            return report["list_version"] == 1

        await eventually(arrived, "the item list to reach planning")
        yield harness


def item(code: str, name: str) -> dict[str, Any]:
    return {
        "check_item_code": code,
        "check_item_name": name,
        "scope": "辖区内相关市场主体",
        "period_from": f"{YEAR}-01-01",
        "period_to": f"{YEAR}-12-31",
        "ratio_bp": {"A": 300, "E": 5000},
    }


def plan_body(no: str, department: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {
        "plan_no": no,
        "plan_name": f"{department}{YEAR}年度双随机抽查工作计划",
        "department": department,
        "year": YEAR,
        "items": list(items),
    }


def task_body(task_no: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task_no": task_no,
        "title": "企业公示信息双随机抽查",
        "lead_department": GUIFAN,
        "check_items": [{"code": "GS-01", "name": "企业公示信息抽查"}],
        "ratio_bp": {"A": 300, "E": 5000},
        "inspector_departments": [GUIFAN],
        "team_size": 2,
        "methods": ["书面检查"],
        "deadline": (date(YEAR, 12, 31)).isoformat(),
    }
    body.update(overrides)
    return body


async def _chain_after_sign(h: Harness, plan_ids: list[str]) -> None:
    await h.ok("POST", "/api/planning/plans/consolidate", h.credit, json={"year": YEAR})
    for plan_id in plan_ids:
        await h.ok("POST", f"/api/planning/plans/{plan_id}/approve", h.meeting)
        await h.ok(
            "POST",
            f"/api/planning/plans/{plan_id}/file",
            h.credit,
            json={"filed_on": CLOCK.today().isoformat(), "filing_ref": "威市监备〔2026〕7号"},
        )
        await h.ok("POST", f"/api/planning/plans/{plan_id}/publish", h.office)


async def test_two_departments_plans_go_through_the_chain(planning: Harness) -> None:
    h = planning
    guifan = await h.ok(
        "POST",
        "/api/planning/plans",
        h.dept(GUIFAN),
        json=plan_body("JH-01", GUIFAN, item("GS-01", "企业公示信息抽查"), item("DJ-01", "登记")),
    )
    a = guifan["plan_id"]
    assert guifan["status"] == "draft" and guifan["created_by"] == f"keyuan-{GUIFAN}"

    # Each step refuses the wrong role (403) and writes nothing.
    await h.refused(
        403,
        "POST",
        "/api/planning/plans",
        h.dept(SHIPIN),
        json=plan_body("JH-X", GUIFAN, item("GS-01", "x")),
    )
    await h.refused(403, "POST", f"/api/planning/plans/{a}/submit", h.dept(SHIPIN))
    await h.refused(403, "POST", f"/api/planning/plans/{a}/submit", h.fuju)
    await h.refused(409, "POST", f"/api/planning/plans/{a}/sign", h.fuju)  # not submitted yet
    await h.ok("POST", f"/api/planning/plans/{a}/submit", h.dept(GUIFAN))
    for who in (h.dept(GUIFAN), h.credit, h.meeting):
        await h.refused(403, "POST", f"/api/planning/plans/{a}/sign", who)
    await h.ok("POST", f"/api/planning/plans/{a}/sign", h.fuju)

    # Consolidation: SP-01 is in no plan yet.
    refusal = await h.refused(
        422, "POST", "/api/planning/plans/consolidate", h.credit, json={"year": YEAR}
    )
    assert "SP-01 食品经营者检查" in refusal["detail"]
    assert refusal["uncovered"] == [{"code": "SP-01", "name": "食品经营者检查"}]
    await h.refused(403, "POST", "/api/planning/plans/consolidate", h.fuju, json={"year": YEAR})

    # The food department's plan is rejected once by the deputy director, then resubmitted.
    shipin = await h.ok(
        "POST",
        "/api/planning/plans",
        h.dept(SHIPIN),
        json=plan_body("JH-02", SHIPIN, item("SP-01", "食品经营者检查")),
    )
    b = shipin["plan_id"]
    await h.ok("POST", f"/api/planning/plans/{b}/submit", h.dept(SHIPIN))
    await h.refused(403, "POST", f"/api/planning/plans/{b}/reject", h.credit, json={"reason": "x"})
    rejected = await h.ok(
        "POST", f"/api/planning/plans/{b}/reject", h.fuju, json={"reason": "抽查比例偏低"}
    )
    assert rejected["status"] == "draft" and rejected["rejection_reason"] == "抽查比例偏低"
    raised = item("SP-01", "食品经营者检查") | {"ratio_bp": {"A": 500, "E": 8000}}
    await h.ok("PUT", f"/api/planning/plans/{b}", h.dept(SHIPIN), json={"items": [raised]})
    await h.ok("POST", f"/api/planning/plans/{b}/submit", h.dept(SHIPIN))
    await h.ok("POST", f"/api/planning/plans/{b}/sign", h.fuju)

    report = await h.ok(
        "GET", "/api/planning/plans/coverage", h.as_("suo", "station"), params={"year": YEAR}
    )
    assert report["complete"] and report["uncovered"] == []

    # Wrong roles further down the chain.
    await h.ok("POST", "/api/planning/plans/consolidate", h.credit, json={"year": YEAR})
    await h.refused(403, "POST", f"/api/planning/plans/{a}/approve", h.fuju)
    await h.ok("POST", f"/api/planning/plans/{a}/approve", h.meeting)
    filing = {"filed_on": CLOCK.today().isoformat(), "filing_ref": "威市监备〔2026〕7号"}
    await h.refused(403, "POST", f"/api/planning/plans/{a}/file", h.meeting, json=filing)
    await h.refused(409, "POST", f"/api/planning/plans/{a}/publish", h.office)  # not filed
    await h.ok("POST", f"/api/planning/plans/{a}/file", h.credit, json=filing)
    await h.refused(403, "POST", f"/api/planning/plans/{a}/publish", h.dept(GUIFAN))
    published = await h.ok("POST", f"/api/planning/plans/{a}/publish", h.office)
    assert published["status"] == "published" and published["filing_ref"] == "威市监备〔2026〕7号"
    actions = [(t["action"], t["actor"]) for t in published["history"]]
    assert actions == [
        ("draft", f"keyuan-{GUIFAN}"),
        ("submit", f"keyuan-{GUIFAN}"),
        ("sign", "fuju-wang"),
        ("consolidate", "xinyong-li"),
        ("approve", "juzhang"),
        ("file", "xinyong-li"),
        ("publish", "bangong"),
    ]
    (event,) = await h.events("planning.annual-plan-published")
    payload = AnnualPlanPublished.model_validate(event["payload"])
    assert (payload.plan_no, payload.plan_version, payload.department) == ("JH-01", 1, GUIFAN)
    assert (payload.signed_by, payload.consolidated_by, payload.approved_by) == (
        "fuju-wang",
        "xinyong-li",
        "juzhang",
    )
    assert event["actor"] == "bangong"

    history = (await h.ok("GET", f"/api/planning/plans/{b}", h.office))["history"]
    rejection = next(t for t in history if t["action"] == "reject")
    assert (rejection["actor"], rejection["reason"], rejection["from_status"]) == (
        "fuju-wang",
        "抽查比例偏低",
        "submitted",
    )

    # An adjustment: a new version, the chain again, the old version kept and superseded.
    await h.refused(
        422, "POST", f"/api/planning/plans/{a}/adjust", h.dept(GUIFAN), json={"reason": ""}
    )
    adjusted = await h.ok(
        "POST",
        f"/api/planning/plans/{a}/adjust",
        h.dept(GUIFAN),
        json={"reason": "市局部署增加登记事项抽查比例"},
    )
    assert adjusted["plan_version"] == 2 and adjusted["status"] == "draft"
    await h.ok("POST", f"/api/planning/plans/{a}/submit", h.dept(GUIFAN))
    await h.ok("POST", f"/api/planning/plans/{a}/sign", h.fuju)
    await _chain_after_sign(h, [a])
    versions = (await h.ok("GET", f"/api/planning/plans/{a}", h.office))["versions"]
    assert [(v["plan_version"], v["status"]) for v in versions] == [
        (1, "superseded"),
        (2, "published"),
    ]
    v1 = await h.ok("GET", f"/api/planning/plans/{a}/versions/1", h.office)
    assert v1["status"] == "superseded" and v1["filing_ref"] == "威市监备〔2026〕7号"
    second = (await h.events("planning.annual-plan-published"))[-1]["payload"]
    assert (second["plan_version"], second["supersedes_version"]) == (2, 1)
    assert second["adjustment_reason"] == "市局部署增加登记事项抽查比例"

    listed = await h.ok("GET", "/api/planning/plans", h.office, params={"year": YEAR})
    assert sorted((p["plan_no"], p["plan_version"]) for p in listed["items"]) == [
        ("JH-01", 2),
        ("JH-02", 1),
    ]

    # A task under the published plan carries its number and name; then it is published.
    task = await h.ok(
        "POST", "/api/planning/tasks", h.dept(GUIFAN), json=task_body("RW-01", plan_id=a)
    )
    approved = await h.ok("POST", f"/api/planning/tasks/{task['task_id']}/approve", h.fuju)
    assert approved["plan_no"] == "JH-01"
    (event,) = await h.events("planning.task-approved")
    payload_t = TaskApproved.model_validate(event["payload"])
    assert (payload_t.plan_id, payload_t.plan_no, payload_t.plan_name) == (
        a,
        "JH-01",
        f"{GUIFAN}{YEAR}年度双随机抽查工作计划",
    )
    url = f"/api/planning/tasks/{task['task_id']}/publish"
    await h.refused(403, "POST", url, h.dept(SHIPIN))  # not the lead department
    await h.refused(403, "POST", url, h.fuju)
    done = await h.ok("POST", url, h.dept(GUIFAN))
    assert done["status"] == "published" and done["published_by"] == f"keyuan-{GUIFAN}"
    (event,) = await h.events("planning.task-published")
    published_task = TaskPublished.model_validate(event["payload"])
    assert published_task.plan_no == "JH-01" and published_task.task_no == "RW-01"
    await h.refused(409, "POST", url, h.dept(GUIFAN))


async def test_a_task_sent_down_by_the_city_is_received_by_the_credit_department(
    planning: Harness,
) -> None:
    h = planning
    body = task_body(
        "SJ-2026-01",
        source="city",
        issuing_authority="威海市市场监督管理局",
        document_no="威市监函〔2026〕15号",
    )
    url = "/api/planning/tasks/receive"
    await h.refused(403, "POST", url, h.dept(GUIFAN), json=body)
    await h.refused(403, "POST", url, h.fuju, json=body)
    missing = await h.refused(422, "POST", url, h.credit, json={**body, "document_no": ""})
    assert "document_no" in [e["field"] for e in missing["errors"]]
    await h.refused(422, "POST", url, h.credit, json={**body, "source": "local"})
    received = await h.ok("POST", url, h.credit, json=body)
    assert received["received_by"] == "xinyong-li" and received["lead_department"] == GUIFAN
    assert (received["source"], received["issuing_authority"], received["document_no"]) == (
        "city",
        "威海市市场监督管理局",
        "威市监函〔2026〕15号",
    )
    approved = await h.ok("POST", f"/api/planning/tasks/{received['task_id']}/approve", h.fuju)
    assert approved["status"] == "approved"
    (event,) = await h.events("planning.task-approved")
    assert event["payload"]["document_no"] == "威市监函〔2026〕15号"
    assert event["payload"]["plan_no"] == ""  # no plan: allowed


async def test_the_yearly_cap_refuses_approval_naming_class_tasks_and_totals(
    planning: Harness,
) -> None:
    h = planning
    h.deps.yearly_caps = {**dict.fromkeys(RiskClass, 2), RiskClass.E: 1}
    everyone = await h.ok(
        "POST", "/api/planning/tasks", h.dept(GUIFAN), json=task_body("RW-A", ratio_bp={"E": 6000})
    )
    await h.ok("POST", f"/api/planning/tasks/{everyone['task_id']}/approve", h.fuju)
    other_area = await h.ok(
        "POST",
        "/api/planning/tasks",
        h.dept(GUIFAN),
        json=task_body("RW-B", ratio_bp={"E": 6000}, target_filter={"areas": ["汪疃镇"]}),
    )
    over = await h.refused(
        422, "POST", f"/api/planning/tasks/{other_area['task_id']}/approve", h.fuju
    )
    assert "风险等级 E" in over["detail"] and "RW-A（6000）" in over["detail"]
    assert "共 12000" in over["detail"] and "上限 1 次（10000）" in over["detail"]
    (exceeded,) = over["exceeded"]
    assert (exceeded["risk_class"], exceeded["total_bp"], exceeded["limit_bp"]) == (
        "E",
        12000,
        10000,
    )
    assert exceeded["tasks"] == [{"task_no": "RW-A", "ratio_bp": 6000}]
    # Within the cap (another class), the same scope is approved.
    fine = await h.ok(
        "POST",
        "/api/planning/tasks",
        h.dept(GUIFAN),
        json=task_body("RW-C", ratio_bp={"A": 6000}),
    )
    await h.ok("POST", f"/api/planning/tasks/{fine['task_id']}/approve", h.fuju)


async def test_a_task_under_a_plan_waits_for_its_publication(planning: Harness) -> None:
    h = planning
    plan = await h.ok(
        "POST",
        "/api/planning/plans",
        h.dept(GUIFAN),
        json=plan_body("JH-09", GUIFAN, item("GS-01", "企业公示信息抽查")),
    )
    task = await h.ok(
        "POST",
        "/api/planning/tasks",
        h.dept(GUIFAN),
        json=task_body("RW-09", plan_id=plan["plan_id"]),
    )
    refusal = await h.refused(422, "POST", f"/api/planning/tasks/{task['task_id']}/approve", h.fuju)
    assert "尚未公示" in refusal["detail"]
    unknown = await h.refused(
        422, "POST", "/api/planning/tasks", h.dept(GUIFAN), json=task_body("RW-10", plan_id="nope")
    )
    assert "plan_id" in [e["field"] for e in unknown["errors"]]
    entity = h.as_("qiye", "entity", uscc="91371000MA3C000017")
    for url in ("/api/planning/plans", f"/api/planning/plans/{plan['plan_id']}"):
        await h.refused(403, "GET", url, entity)
    await h.refused(403, "GET", "/api/planning/plans/coverage", entity, params={"year": YEAR})
