"""The public site (公示) on real data: a task is approved and published, drawn in a signed
ceremony (the parties run ``spotcheck-ceremony`` as on their own computers), inspected, its
results published and one corrected after an objection — all over the services' HTTP APIs, as
the bureau's people would — then each public page is checked in the browser."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import serious_violations
from .scenario import (
    ITEMS,
    PROBLEM,
    SUPERVISOR_DEPT,
    Services,
    approved_task,
    corrected_after_objection,
    published_cycle,
)


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
    api = Services(base)
    tag = uuid.uuid4().hex[:6].upper()
    task = approved_task(
        api,
        f"LG-PUB-{tag}",
        {"A": 300, "B": 300, "C": 500, "D": 1000, "E": 2000},
        title=f"公示测试抽查{tag}",
        target_filter={"areas": ["汪疃镇"], "entity_types": ["农民专业合作社"]},
        inspector_departments=(SUPERVISOR_DEPT, "信用监管科"),
        publish=True,
    )
    cycle = published_cycle(api, task)
    first = next(r for r in cycle.records if any(i["category"] == PROBLEM for i in r["results"]))
    corrected_after_objection(api, first)
    bundle = api.client.get(f"/public/draws/{cycle.draw['draw_id']}/bundle").content
    return Published(
        task["task_id"],
        task["task_no"],
        task["title"],
        cycle.draw["draw_id"],
        cycle.records,
        first,
        bundle,
    )


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
