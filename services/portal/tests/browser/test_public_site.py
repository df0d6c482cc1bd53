"""The public site (公示) on real data: a task is approved and published, drawn in a signed
ceremony (the parties run ``spotcheck-ceremony`` as on their own computers), inspected, its
results published and one corrected after an objection — all over the services' HTTP APIs, as
the bureau's people would — then each public page is checked in the browser."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import CLOCK, serious_violations

TODAY = date.fromisoformat(CLOCK[:10])
Who = dict[str, Any]
CREDIT: Who = {"user": "zhang.credit", "roles": ["credit_dept"], "department": "信用监管科"}
OFFICE: Who = {"user": "li.office", "roles": ["general_office"], "department": "办公室"}
COUNTERSIGNER: Who = {"user": "zhou.office", "roles": ["general_office"], "department": "办公室"}
DEPUTY: Who = {"user": "wang.deputy", "roles": ["deputy_director"]}
SUPERVISOR: Who = {
    "user": "zhao.reg",
    "roles": ["supervising_dept"],
    "department": "市场规范管理科",
}
ITEMS = [
    {"code": "LG-GS-01", "name": "企业公示信息抽查"},
    {"code": "LG-DJ-01", "name": "登记事项检查"},
]
PROBLEM = "发现问题待后续处理"


def inspector(inspector_id: str) -> Who:
    return {"user": inspector_id, "roles": ["inspector"], "inspector_id": inspector_id}


@dataclass
class Api:
    """The services over HTTP, each call with the demo token of the person making it."""

    base: str
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60))
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, who: Who) -> str:
        if who["user"] not in self.tokens:
            answer = self.client.post(self.base + "/auth/token", json=who)
            answer.raise_for_status()
            self.tokens[who["user"]] = answer.json()["access_token"]
        return self.tokens[who["user"]]

    def call(self, method: str, path: str, who: Who | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(who)}"} if who else {}
        answer = self.client.request(method, self.base + path, headers=headers, **kw)
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None


def eventually(check: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


class Ceremony:
    """Each party runs the downloaded ``spotcheck-ceremony`` with their own key, in a
    directory of their own."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.home = Path(tempfile.mkdtemp(prefix="ceremony-"))
        self.tool = self.home / "spotcheck-ceremony.pyz"
        self.tool.write_bytes(
            api.client.get(api.base + "/public/draws/ceremony/spotcheck-ceremony.pyz").content
        )

    def run(self, who: Who, *args: str) -> str:
        env = {**os.environ, "SPOTCHECK_TOKEN": self.api.token(who), "SPOTCHECK_CLOCK": CLOCK}
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(self.tool), *args, "--api", self.api.base],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
            cwd=self.home,
        )
        assert done.returncode == 0, f"{who['user']} {args[0]}: {done.stdout}{done.stderr}"
        return done.stdout

    def act(self, who: Who, party: str, action: str, draw_id: str, *args: str) -> str:
        key = self.home / f"{who['user']}.{party}.key"
        if not key.exists():
            start, end = TODAY - timedelta(days=30), TODAY + timedelta(days=365)
            self.run(
                who,
                "keygen",
                *("--district", "lingang", "--party", party, "--holder", who["user"]),
                *("--valid-from", start.isoformat(), "--valid-until", end.isoformat()),
                *("--key", str(key)),
            )
        return self.run(who, action, "--key", str(key), "--draw", draw_id, *args)


@dataclass
class Published:
    task_id: str
    task_no: str
    title: str
    draw_id: str
    records: list[dict[str, Any]]
    corrected: dict[str, Any]
    bundle: bytes


def publish_cycle(base: str) -> Published:
    """A task of its own (a unique number and a small population), drawn, inspected, published,
    and its first result corrected after the entity's objection."""
    api = Api(base)
    tag = uuid.uuid4().hex[:6].upper()
    task_no = f"LG-PUB-{tag}"
    title = f"公示测试抽查{tag}"
    task = api.call(
        "POST",
        "/api/planning/tasks",
        SUPERVISOR,
        json={
            "task_no": task_no,
            "title": title,
            "lead_department": "市场规范管理科",
            "check_items": ITEMS,
            "target_filter": {"areas": ["汪疃镇"], "entity_types": ["农民专业合作社"]},
            "ratio_bp": {"A": 300, "B": 300, "C": 500, "D": 1000, "E": 2000},
            "inspector_departments": ["市场规范管理科", "信用监管科"],
            "team_size": 2,
            "methods": ["现场检查"],
            "deadline": (TODAY + timedelta(days=60)).isoformat(),
        },
    )
    task_id = task["task_id"]
    api.call("POST", f"/api/planning/tasks/{task_id}/approve", DEPUTY)
    api.call("POST", f"/api/planning/tasks/{task_id}/publish", SUPERVISOR)

    ceremony = Ceremony(api)
    sizes: list[int] = []

    def created() -> Any:
        """Frozen once the demo district's registry has fully reached the draws service: the
        roster staffed and the population the same size twice running (else cancelled)."""
        answer = api.client.post(
            base + "/api/draws/draws",
            json={"task_id": task_id},
            headers={"Authorization": f"Bearer {api.token(CREDIT)}"},
        )
        if answer.status_code != 201:
            return None
        body = answer.json()
        manifest = body["manifest"]
        sizes.append(manifest["population"]["size"])
        if manifest["roster"]["size"] >= 20 and sizes[-2:] == [sizes[-1]] * 2:
            return body
        reason = ("--reason", "主体名录尚未同步完成，作废重抽")
        ceremony.act(CREDIT, "信用监管科", "cancel", body["draw_id"], *reason)
        time.sleep(2)
        return None

    draw = eventually(created, "the draws service to know the task and the district", 300)
    draw_id = draw["draw_id"]
    state = ("--state", str(ceremony.home))
    holder = {"办公室": OFFICE, "信用监管科": CREDIT}
    for party in draw["parties"]:
        ceremony.act(holder[party], party, "commit", draw_id, *state)
    for party in draw["parties"]:
        ceremony.act(holder[party], party, "reveal", draw_id, *state)
    opinion = ("--opinion", "抽取过程符合规定", "--acknowledge-unstaffed")
    ceremony.act(COUNTERSIGNER, "办公室", "countersign", draw_id, *opinion)
    done = api.call("GET", f"/api/draws/draws/{draw_id}", CREDIT)
    assert done["status"] == "completed" and done["targets"]
    staffed = [t for t in done["targets"] if t.get("team")]
    assert staffed, "no target was staffed"

    def opened() -> Any:
        found = api.call(
            "GET",
            "/api/inspections/inspections",
            SUPERVISOR,
            params={"task_id": task_id, "limit": 500},
        )
        return found["items"] if found["total"] == len(staffed) else None

    for n, inspection in enumerate(eventually(opened, "an inspection per staffed target")):
        team = inspection["team"]
        leader = next(m for m in team if m["role"] == "leader")
        results = [
            {
                "check_item_code": item["code"],
                "category": PROBLEM if n == 0 and i == 0 else "未发现问题",
                **({"pending_reason": "未按规定公示应当公示的信息"} if n == 0 and i == 0 else {}),
            }
            for i, item in enumerate(ITEMS)
        ]
        path = f"/api/inspections/inspections/{inspection['inspection_id']}"
        api.call(
            "PUT", f"{path}/results", inspector(leader["inspector_id"]), json={"results": results}
        )
        for member in team:
            if member["role"] in ("leader", "member"):
                api.call("POST", f"{path}/sign", inspector(member["inspector_id"]))
        api.call("POST", f"{path}/submit", inspector(leader["inspector_id"]), json={})

    def published() -> Any:
        found = api.call("GET", "/public/results", params={"task_no": task_no, "limit": 200})
        return found["items"] if found["total"] == len(staffed) else None

    records = eventually(published, "every result to be published")
    first = next(r for r in records if any(i["category"] == PROBLEM for i in r["results"]))
    entity: Who = {"user": f"qiye-{tag}", "roles": ["entity"], "uscc": first["uscc"]}

    def objected() -> Any:
        answer = api.client.post(
            base + "/api/objections/objections",
            json={
                "record_id": first["record_id"],
                "uscc": first["uscc"],
                "reason": "已按时公示年报",
            },
            headers={"Authorization": f"Bearer {api.token(entity)}"},
        )
        return answer.json() if answer.status_code == 201 else None

    objection = eventually(objected, "objections to know the published result")
    oid = objection["objection_id"]
    api.call(
        "POST",
        f"/api/objections/objections/{oid}/decision",
        SUPERVISOR,
        json={
            "decision": "corrected",
            "reason": "复查确认企业已按时公示",
            "corrected_results": [
                {
                    "check_item_code": ITEMS[0]["code"],
                    "check_item_name": ITEMS[0]["name"],
                    "category": "未发现问题",
                }
            ],
        },
    )
    api.call("POST", f"/api/objections/objections/{oid}/correction", CREDIT, json={"note": "更正"})
    eventually(
        lambda: len(api.call("GET", f"/public/results/{first['record_id']}")["versions"]) == 2,
        "the correction to be published",
    )
    bundle = api.client.get(f"{base}/public/draws/{draw_id}/bundle").content
    return Published(task_id, task_no, title, draw_id, records, first, bundle)


@pytest.fixture(scope="module")
def cycle(server: str) -> Iterator[Published]:
    yield publish_cycle(server)


def test_home_links_to_the_latest_task_and_stays_small(
    page: Page, cycle: Published, shot: Callable[[Page, str], Path]
) -> None:
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(len(r.body())) if r.ok else None)
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert sum(sizes) < 200_000, f"the first page transferred {sum(sizes)} bytes"
    expect(page.get_by_role("heading", name="“双随机、一公开”监管公示")).to_be_visible()
    expect(page.get_by_role("link", name=cycle.title)).to_be_visible()
    expect(page.get_by_text("依法不予公示的检查结果")).to_be_visible()
    shot(page, "home")
    assert serious_violations(page) == []
    page.get_by_role("link", name=cycle.title).click()
    expect(page.get_by_role("heading", name=cycle.title, level=1)).to_be_visible()
    draw = page.locator(f"article[aria-label='抽取 {cycle.draw_id}']")
    expect(draw).to_contain_text("已完成")
    expect(draw).to_contain_text("在抽取日志中")
    expect(draw.get_by_role("link", name="下载可验证数据包")).to_have_attribute(
        "href", f"/public/draws/{cycle.draw_id}/bundle"
    )
    shot(page, "task")
    assert serious_violations(page) == []


def test_items_and_plans_pages(page: Page, shot: Callable[[Page, str], Path]) -> None:
    page.goto("/items")
    expect(page.get_by_role("cell", name="企业公示信息抽查")).to_be_visible()
    shot(page, "items")
    assert serious_violations(page) == []
    page.goto("/plans")
    expect(page.get_by_role("heading", name="年度抽查工作计划")).to_be_visible()
    assert serious_violations(page) == []


def test_results_search_filter_paging_and_csv(
    page: Page, cycle: Published, shot: Callable[[Page, str], Path]
) -> None:
    page.goto("/results")
    page.get_by_label("任务编号").fill(cycle.task_no)
    page.get_by_label("检查结果", exact=True).select_option("未发现问题")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"task_no=LG-PUB-"))
    # every result of the task has 未发现问题 on its current version (the corrected one too)
    expect(page.locator(".result-meta")).to_contain_text(f"共找到 {len(cycle.records)} 条")
    shot(page, "results")
    assert serious_violations(page) == []
    page.get_by_label("检查结果", exact=True).select_option(PROBLEM)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("cell", name="没有符合条件的检查结果")).to_be_visible()

    with page.expect_download() as download:
        page.goto(f"/results?task_no={cycle.task_no}")
        page.get_by_role("link", name=re.compile("导出 CSV")).click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert {r[1] for r in rows[1:]} == {r["uscc"] for r in cycle.records}
    assert len(rows) == 1 + len(cycle.records) * len(ITEMS)

    # paging: the whole district's results, 20 a page
    page.goto("/results")
    total = int(page.locator(".result-meta strong").inner_text())
    if total > 20:
        page.get_by_role("link", name="下一页").click()
        expect(page.locator(".pager")).to_contain_text("第 2 /")


def test_a_correction_is_shown_beside_the_version_it_replaced(
    phone: Page, cycle: Published, shot: Callable[[Page, str], Path]
) -> None:
    phone.goto(f"/results/{cycle.corrected['record_id']}")
    current = phone.locator("section.version.current")
    old = phone.locator("section.version.old-version")
    expect(current).to_contain_text("现行版本（第 2 版）")
    expect(old).to_contain_text("已被更正")
    expect(old).to_contain_text(PROBLEM)
    expect(current).to_contain_text("复查确认企业已按时公示")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "result-phone")
    assert serious_violations(phone) == []


def test_the_draw_is_verified_honest_in_the_browser(
    page: Page, cycle: Published, shot: Callable[[Page, str], Path]
) -> None:
    page.goto(f"/draws/{cycle.draw_id}")
    expect(page.get_by_role("heading", name="抽取清单（随机数产生前冻结）")).to_be_visible()
    expect(page.get_by_text("python3 verify_draw.py bundle.json --log log.json")).to_be_visible()
    expect(page.locator("#log-h + p + .table-scroll")).to_contain_text("清单冻结")
    assert serious_violations(page) == []
    page.get_by_role("button", name="在浏览器中验证本次抽取").click()
    verdict = page.locator("#verify-verdict")
    expect(verdict).to_contain_text("验证通过", timeout=120_000)
    expect(page.locator("#verify-checks li.pass").first).to_be_visible()
    assert page.locator("#verify-checks li.fail").count() == 0
    shot(page, "draw-verified")


def test_a_tampered_bundle_picked_on_verify_is_refused(
    page: Page, cycle: Published, shot: Callable[[Page, str], Path], tmp_path: Path
) -> None:
    target = json.loads(cycle.bundle)["body"]["result"]["targets"][0]["uscc"]
    tampered = bytearray(cycle.bundle)
    at = tampered.index(target.encode())
    tampered[at + 17] = ord("0") if tampered[at + 17] != ord("0") else ord("1")
    path = tmp_path / "bundle.json"
    path.write_bytes(bytes(tampered))
    page.goto("/verify")
    expect(page.get_by_role("heading", name="方法二：用 Python 验证")).to_be_visible()
    page.get_by_label("可验证数据包文件（bundle.json）").set_input_files(str(path))
    page.get_by_role("button", name="验证所选文件").click()
    expect(page.locator("#verify-verdict")).to_contain_text("验证未通过", timeout=120_000)
    expect(page.locator("#verify-checks li.fail")).to_have_count(1)
    shot(page, "verify-refused")
    assert serious_violations(page) == []


def test_an_entitys_page_checks_its_proof_and_links_to_an_objection(
    phone: Page, cycle: Published, shot: Callable[[Page, str], Path]
) -> None:
    uscc = cycle.corrected["uscc"]
    phone.goto("/")
    phone.get_by_label("查询检查结果").fill(uscc)
    phone.get_by_role("button", name="查询").click()
    expect(phone).to_have_url(f"/entities/{uscc}")
    row = phone.locator(f"tr[data-draw='{cycle.draw_id}']")
    expect(row).to_contain_text("在总体中")
    expect(row.locator(".proof-check")).to_contain_text("已核对：在总体中", timeout=60_000)
    link = phone.get_by_role("link", name="提出异议").first
    expect(link).to_have_attribute(
        "href", re.compile(r"^/console/login\?next=%2Fconsole%2Fobjections%2Fnew")
    )
    shot(phone, "entity")
    assert serious_violations(phone) == []
