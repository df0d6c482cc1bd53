"""Objections (第十一条) in the browser: the entity files one online against its published
result; the supervising department reviews it (更正, with the corrected item); the credit
department submits the correction and records the feedback; the three clocks show on the way.

The published result is set up over HTTP as tests/e2e/flow.py drives the cycle (a task, its draw
with each party running spotcheck-ceremony as the service hands it out, the inspection signed
and submitted); tokens come from the demo issuer (``POST /auth/token``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from .conftest import serious_violations, sign_in

Person = tuple[str, str, dict[str, str]]  # user, role, claims
CREDIT: Person = ("zhang.credit", "credit_dept", {"name": "张信用", "department": "信用监管科"})
SUPERVISOR: Person = ("zhao.reg", "supervising_dept", {"department": "市场规范管理科"})
DEPUTY: Person = ("wang.deputy", "deputy_director", {})
OFFICE: Person = ("li.office", "general_office", {"department": "办公室"})
COUNTERSIGNER: Person = ("zhou.office", "general_office", {"department": "办公室"})
TODAY = date(2026, 11, 16)  # the server's clock (conftest.CLOCK)
ITEMS = [
    {"code": "LG-GS-01", "name": "企业公示信息抽查"},
    {"code": "LG-DJ-01", "name": "登记事项检查"},
]


def inspector(inspector_id: str) -> Person:
    return (inspector_id, "inspector", {"inspector_id": inspector_id})


def entity(uscc: str) -> Person:
    return ("entity", "entity", {"uscc": uscc})


class Services:
    """The server's APIs, each person with a token from the demo issuer."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server, timeout=60)
        self.tokens: dict[Person | Any, str] = {}

    def token(self, who: Person) -> str:
        key = (who[0], who[1], tuple(sorted(who[2].items())))
        if key not in self.tokens:
            body = {"user": who[0], "roles": [who[1]], **who[2]}
            response = self.client.post("/auth/token", json=body)
            self.tokens[key] = response.raise_for_status().json()["access_token"]
        return self.tokens[key]

    def call(self, method: str, path: str, who: Person | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(who)}"} if who else {}
        response = self.client.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 400, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None


def eventually(check: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def approved_task(api: Services, task_no: str) -> str:
    task = api.call(
        "POST",
        "/api/planning/tasks",
        SUPERVISOR,
        json={
            "task_no": task_no,
            "title": f"{task_no} 企业公示信息抽查（异议测试）",
            "lead_department": "市场规范管理科",
            "check_items": ITEMS,
            "ratio_bp": {"E": 30},
            "inspector_departments": ["市场规范管理科"],
            "team_size": 2,
            "methods": ["现场检查"],
            "deadline": (TODAY + timedelta(days=30)).isoformat(),
        },
    )
    api.call("POST", f"/api/planning/tasks/{task['task_id']}/approve", DEPUTY)
    return str(task["task_id"])


class Ceremony:
    """Each party runs spotcheck-ceremony (downloaded from the server) in its own directory."""

    def __init__(self, api: Services, home: Path) -> None:
        self.api, self.home = api, home
        self.tool = home / "spotcheck-ceremony.pyz"
        tool = api.client.get("/public/draws/ceremony/spotcheck-ceremony.pyz")
        self.tool.write_bytes(tool.raise_for_status().content)

    def run(self, who: Person, *args: str) -> str:
        env = {**os.environ, "SPOTCHECK_TOKEN": self.api.token(who)}
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(self.tool), *args, "--api", self.api.server],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
            cwd=self.home,
        )
        assert done.returncode == 0, f"{who[0]} {args[0]}: {done.stdout}{done.stderr}"
        return done.stdout

    def act(self, who: Person, party: str, action: str, draw_id: str, *args: str) -> str:
        key = self.home / f"{who[0]}.{party}.key"
        if not key.exists():
            self.run(
                who,
                "keygen",
                "--district",
                "lingang",
                "--party",
                party,
                "--holder",
                who[0],
                "--valid-from",
                (TODAY - timedelta(days=1)).isoformat(),
                "--key",
                str(key),
            )
        return self.run(who, action, "--key", str(key), "--draw", draw_id, *args)


def completed_draw(api: Services, task_id: str, home: Path) -> dict[str, Any]:
    ceremony, state = Ceremony(api, home), ("--state", str(home))

    def frozen() -> Any:
        response = api.client.post(
            "/api/draws/draws",
            json={"task_id": task_id},
            headers={"Authorization": f"Bearer {api.token(CREDIT)}"},
        )
        if response.status_code in (404, 409, 422):  # the task has not reached draws yet
            return None
        assert response.status_code == 201, response.text
        body = response.json()
        manifest = body["manifest"]
        if manifest["population"]["size"] >= 100 and manifest["roster"]["size"] >= 4:
            return body
        # Frozen before the demo register's entities or inspectors all arrived: cancel (allowed
        # before any reveal) and freeze again.
        reason = ("--reason", "主体名录尚未同步完成，作废重抽")
        ceremony.act(CREDIT, "信用监管科", "cancel", body["draw_id"], *reason)
        return None

    draw = eventually(frozen, "the draws service to know the task, entities and inspectors")
    holder = {"办公室": OFFICE, "信用监管科": CREDIT}
    for step in ("commit", "reveal"):
        for party in draw["parties"]:
            ceremony.act(holder[party], party, step, draw["draw_id"], *state)
    opinion = ("--opinion", "抽取过程符合规定", "--acknowledge-unstaffed")
    ceremony.act(COUNTERSIGNER, "办公室", "countersign", draw["draw_id"], *opinion)
    done = api.call("GET", f"/api/draws/draws/{draw['draw_id']}", CREDIT)
    assert done["status"] == "completed" and done["targets"], done["status"]
    return dict(done)


def inspect_one(api: Services, inspection: dict[str, Any]) -> None:
    """The team leader enters results (the first item with a problem), all sign, submit."""
    team = [m for m in inspection["team"] if m["role"] in ("leader", "member")]
    leader = next(m for m in team if m["role"] == "leader")
    results = [
        {
            "check_item_code": ITEMS[0]["code"],
            "category": "发现问题待后续处理",
            "pending_reason": "未按规定公示应当公示的信息",
        },
        {"check_item_code": ITEMS[1]["code"], "category": "未发现问题"},
    ]
    base = f"/api/inspections/inspections/{inspection['inspection_id']}"
    api.call("PUT", f"{base}/results", inspector(leader["inspector_id"]), json={"results": results})
    for member in team:
        api.call("POST", f"{base}/sign", inspector(member["inspector_id"]))
    api.call("POST", f"{base}/submit", inspector(leader["inspector_id"]), json={})


def published_result(server: str, task_no: str, home: Path) -> dict[str, Any]:
    """One published result of a new task (its record), after the whole cycle."""
    api = Services(server)
    task_id = approved_task(api, task_no)
    completed_draw(api, task_id, home)

    def opened() -> Any:
        found = api.call(
            "GET", "/api/inspections/inspections", SUPERVISOR, params={"task_id": task_id}
        )
        staffed = [i for i in found["items"] if i["team"]]
        return staffed or None

    inspection = eventually(opened, "an inspection of a drawn target")[0]
    inspect_one(api, inspection)

    def published() -> Any:
        found = api.call("GET", "/public/results", params={"task_no": task_no})
        return found["items"][0] if found["items"] else None

    record = eventually(published, "the result to be published")
    return dict(record) | {"task_id": task_id}


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("status")).to_have_text("已退出登录")


def clock(page: Page, key: str) -> Any:
    return page.locator(f"table.clocks tr[data-clock='{key}']")


def test_entity_objects_and_the_correction_is_published(
    page: Page, server: str, tmp_path: Path, shot: Callable[[Page, str], Path]
) -> None:
    task_no = f"OBJ-{uuid.uuid4().hex[:8]}"
    record = published_result(server, task_no, tmp_path)
    api = Services(server)

    # The entity, signed in with its USCC, files its objection from the result's link.
    page.goto(f"/console/objections/new?record_id={record['record_id']}")
    page.get_by_label("统一社会信用代码").fill(record["uscc"])
    page.get_by_role("button", name="以检查对象登录").click()
    expect(page.get_by_role("heading", name="对检查结果提出异议")).to_be_visible()
    expect(page.get_by_text(record["entity_name"])).to_be_visible()
    page.get_by_label("异议理由").fill("本单位已于检查前按规定公示年度报告")
    shot(page, "entity-form")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_role("status")).to_have_text("异议已提交，等待复查")
    objection_id = page.url.split("/")[-1].split("?")[0]
    # The three clocks: review running (20 working days from today), the others not started.
    expect(clock(page, "review")).to_contain_text("2026-12-14")
    expect(clock(page, "review")).to_contain_text("剩余 20 个工作日")
    expect(clock(page, "feedback")).to_contain_text("未开始")
    expect(clock(page, "correction")).to_contain_text("未开始")
    assert serious_violations(page) == []
    shot(page, "entity-filed")
    sign_out(page)

    # The lead department reviews: without a decision the service's reason shows at the field.
    sign_in(page, "赵规范")
    page.goto(f"/console/objections/{objection_id}")
    page.get_by_label("复查意见").fill("复查确认企业已按时公示年度报告")
    page.get_by_role("button", name="登记复查结果").click()
    decision = page.locator("fieldset", has_text="复查结果")
    expect(decision.locator(".field-error")).to_be_visible()
    shot(page, "decision-refused")
    page.get_by_label("确有错误，予以更正").check()
    page.get_by_label("检查结果", exact=True).first.select_option("未发现问题")
    page.get_by_role("button", name="登记复查结果").click()
    expect(page.get_by_role("status")).to_have_text("复查结果已登记")
    expect(clock(page, "review")).to_contain_text("已完成（2026-11-16）")
    expect(clock(page, "feedback")).to_contain_text("剩余 15 个工作日")
    expect(clock(page, "correction")).to_contain_text("剩余 5 个工作日")
    assert serious_violations(page) == []
    shot(page, "decided")
    sign_out(page)

    # The credit department submits the correction, then records the feedback to the entity.
    sign_in(page, "张信用")
    page.goto(f"/console/objections/{objection_id}")
    page.get_by_label("报请说明").fill("报市局更正")
    page.get_by_role("button", name="报请更正").click()
    expect(page.get_by_role("status")).to_have_text("已报请更正，公示新版本")
    page.get_by_label("反馈方式、送达情况").fill("电话告知并送达复查结果告知书")
    page.get_by_role("button", name="登记已反馈").click()
    expect(page.get_by_role("status")).to_have_text("已登记反馈检查对象")
    expect(clock(page, "feedback")).to_contain_text("已完成（2026-11-16）")
    shot(page, "corrected")

    # In the services: the objection corrected, submitted, fed back; the result's new version.
    found = api.call("GET", f"/api/objections/objections/{objection_id}", CREDIT)
    assert found["status"] == "corrected"
    assert found["correction_submitted_by"] == "zhang.credit"
    assert found["feedback_given_on"] == TODAY.isoformat()
    assert found["feedback_note"] == "电话告知并送达复查结果告知书"

    def corrected() -> Any:
        versions = api.call("GET", f"/public/results/{record['record_id']}")["versions"]
        return versions if len(versions) == 2 else None

    versions = sorted(eventually(corrected, "the correction"), key=lambda v: v["version"])
    assert versions[0]["status"] == "superseded"
    assert versions[1]["status"] == "current" and versions[1]["objection_id"] == objection_id
    assert versions[1]["results"][0]["category"] == "未发现问题"

    # The list shows the three clocks of every objection, in colour and in words.
    page.goto("/console/objections")
    row = page.locator("tr", has=page.locator(f"a[href='/console/objections/{objection_id}']"))
    expect(row.locator("td[data-clock]")).to_have_count(3)
    expect(row.locator("td[data-clock='review']")).to_contain_text("已完成")
    expect(row.locator("td[data-clock='feedback'] .badge.ok")).to_contain_text("已完成")
    assert serious_violations(page) == []
    shot(page, "list")
