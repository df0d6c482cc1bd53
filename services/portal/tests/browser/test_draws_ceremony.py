"""The signed draw ceremony (spotcheck-draw/3) in the browser: each person in a browser of
their own (a context: their own IndexedDB) makes an Ed25519 key there, commits a share made
there, reveals it; the general office countersigns; a replacement is approved, requested and
countersigned. The draw is checked in the draws API and its bundle with the stand-alone
verifier."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import ROOT, expect_state, freeze_draw, register_key, serious_violations, sign_in
from .scenario import CREDIT, Services, approved_task

VERIFIER = ROOT / "services/draws/src/draws/verify_draw.py"
Shot = Callable[[Page, str], Path]


def published_task(server: str) -> dict[str, Any]:
    """A small task of the demo district (one area), approved and published over the API."""
    task_no = f"BR-DRAW-{uuid.uuid4().hex[:8]}"
    ratio = {"A": 60, "B": 30}
    title = f"浏览器抽取仪式测试 {task_no}"
    scope = {"areas": ["蔄山镇"]}
    return approved_task(
        Services(server), task_no, ratio, title=title, target_filter=scope, publish=True
    )


@pytest.fixture
def people(browsers: Callable[..., Page]) -> Callable[[str], Page]:
    """``people("张信用")``: that person signed in, in a browser of their own."""

    def open_as(name: str) -> Page:
        page = browsers()
        sign_in(page, name)
        return page

    return open_as


def key_of(page: Page, shot: Shot, name: str) -> str:
    key_id = register_key(page)
    shot(page, f"key-{name}")
    return key_id


def create_draw(page: Page, task: dict[str, Any], shot: Shot | None = None) -> str:
    """A refused freeze (the reason beside the field), then the draw frozen."""
    page.goto(f"/console/draws?task_id={task['task_id']}")
    page.get_by_role("link", name="为此任务创建抽取").click()
    expect(page.get_by_label("种子参与方（按此顺序组合，以顿号分隔）")).to_have_value(
        "信用监管科、办公室"
    )
    hours = page.get_by_label("揭示时限（小时，自冻结起）")
    hours.fill("0")  # refused by the API, the reason beside the field
    hours.evaluate("input => input.removeAttribute('min')")
    page.get_by_role("button", name="冻结并公示抽取清单").click()
    expect(page.locator(".field.invalid", has=hours).locator(".field-error")).to_be_visible()
    if shot is not None:
        shot(page, "create-refused")
    hours.fill("48")
    return freeze_draw(page)


def api_draw(server: str, draw_id: str) -> dict[str, Any]:
    return dict(Services(server).call("GET", f"/api/draws/draws/{draw_id}", CREDIT))


def test_the_whole_ceremony_in_several_browsers(
    server: str, people: Callable[..., Page], shot: Shot, tmp_path: Path
) -> None:
    task = published_task(server)
    credit, office, supervisor = people("张信用"), people("李办公"), people("周监督")
    keys = {n: key_of(p, shot, n) for n, p in (("credit", credit), ("office", office))}
    supervisor_key = key_of(supervisor, shot, "supervisor")

    draw_id = create_draw(credit, task, shot)
    shot(credit, "frozen")

    # A wrong act: aborting before the reveal deadline is refused, the reason beside it.
    credit.get_by_role("button", name="中止抽取").click()
    abort = credit.locator("form", has=credit.get_by_role("button", name="中止抽取"))
    expect(abort.locator(".act-refusal")).to_contain_text("尚未到")
    shot(credit, "abort-refused")

    credit.get_by_role("button", name="提交种子承诺（信用监管科）").click()
    expect(credit.get_by_role("status")).to_contain_text("种子承诺已提交")
    office.goto(f"/console/draws/{draw_id}")
    office.get_by_role("button", name="提交种子承诺（办公室）").click()
    expect(office.get_by_role("status")).to_contain_text("种子承诺已提交")
    committed = api_draw(server, draw_id)
    assert committed["status"] == "committed"
    assert {c["key_id"] for c in committed["commitments"]} == set(keys.values())
    assert committed["reveals"] == []  # no share has left its browser yet

    # The share is in the committing browser only: the same person elsewhere cannot reveal.
    elsewhere = people("李办公")
    # Signed in, the office's 待办 lists the draw awaiting its reveal (it was a 500 page).
    expect(elsewhere.get_by_role("heading", name="待办事项")).to_be_visible()
    link = elsewhere.get_by_role("link", name=f"{task['task_no']} {task['title']}")
    expect(link).to_have_attribute("href", f"/console/draws/{draw_id}")
    elsewhere.goto(f"/console/draws/{draw_id}")
    elsewhere.get_by_role("button", name="揭示种子（办公室）").click()
    reveal_form = elsewhere.locator("form[data-sign=reveal]")
    expect(reveal_form.locator("[data-js-error]")).to_contain_text("本浏览器没有本方的种子份额")
    shot(elsewhere, "reveal-elsewhere-refused")

    # The credit department's page follows the office's commitment by itself.
    expect(credit.get_by_role("button", name="揭示种子（信用监管科）")).to_be_visible(
        timeout=15_000
    )
    credit.get_by_role("button", name="揭示种子（信用监管科）").click()
    expect(credit.get_by_role("status")).to_contain_text("种子份额已揭示")
    # The office's page follows that reveal by itself. (Navigating it here raced its own
    # reload: the test's navigation was aborted, or its load never came.)
    shown = office.locator("tr[data-party='信用监管科'] td").nth(1).locator("code")
    expect(shown).to_be_visible(timeout=15_000)
    office.get_by_role("button", name="揭示种子（办公室）").click()
    expect(office.get_by_role("status")).to_contain_text("种子份额已揭示")
    expect(office.get_by_text("不能监督会签")).to_be_visible()  # a share holder does not

    drawn = api_draw(server, draw_id)
    assert drawn["status"] == "drawn" and drawn["targets"]
    supervisor.goto(f"/console/draws/{draw_id}")
    shot(supervisor, "drawn")
    if drawn["unstaffed"]:
        supervisor.get_by_label(f"已知悉 {len(drawn['unstaffed'])} 户未能配齐检查人员").check()
    supervisor.get_by_role("button", name="监督会签").click()
    expect(supervisor.get_by_role("status")).to_contain_text("抽取完成")
    completed = api_draw(server, draw_id)
    assert completed["status"] == "completed"
    assert completed["countersign"]["key_id"] == supervisor_key
    expect(supervisor.locator("caption", has_text="检查对象与检查组")).to_be_visible()
    shot(supervisor, "completed")
    assert serious_violations(supervisor) == []

    with supervisor.expect_download() as download:
        supervisor.get_by_role("link", name="下载可验证数据包").click()
    bundle = tmp_path / "bundle.json"
    download.value.save_as(bundle)
    log = tmp_path / "log.json"
    log.write_bytes(httpx.get(f"{server}/public/draws/log", timeout=60).content)
    verified = subprocess.run(
        [sys.executable, "-I", "-S", str(VERIFIER), str(bundle), "--log", str(log)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr

    replace_one(server, draw_id, completed, people, credit, supervisor, shot)


def replace_one(
    server: str,
    draw_id: str,
    draw: dict[str, Any],
    people: Callable[..., Page],
    credit: Page,
    supervisor: Page,
    shot: Shot,
) -> None:
    """第十一条: the deputy director approves, the credit department asks, the office (not
    the asker) countersigns in its browser; the replacement is then in effect."""
    target = next(t for t in draw["targets"] if t["team"])
    member = target["team"][-1]
    deputy = people("王分管")
    deputy.goto(f"/console/draws/{draw_id}")
    deputy.get_by_label("检查对象与被调换人员").select_option(
        f"{target['uscc']}/{member['inspector_id']}"
    )
    deputy.get_by_label("批准理由").fill("与检查对象存在利害关系，申请回避")
    deputy.get_by_role("button", name="批准调换").click()
    expect(deputy.get_by_role("status")).to_contain_text("已批准调换")

    credit.goto(f"/console/draws/{draw_id}")
    credit.get_by_role("button", name="按抽取确定的备选人员调换").click()
    expect(credit.get_by_role("status")).to_contain_text("待办公室会签")

    supervisor.goto(f"/console/draws/{draw_id}")
    supervisor.get_by_role("button", name="签名会签调换").click()
    expect(supervisor.get_by_role("status")).to_contain_text("调换生效")
    expect(supervisor.locator("table.replacements")).to_contain_text(member["inspector_id"])
    shot(supervisor, "replaced")
    replaced = api_draw(server, draw_id)
    assert [r["replaced"] for r in replaced["replacements"]] == [member["inspector_id"]]
    assert replaced["replacements"][0]["countersign"]["by"]


def test_a_draw_is_cancelled_with_a_signed_reason_on_a_phone(
    server: str, people: Callable[..., Page], shot: Shot
) -> None:
    task = published_task(server)
    credit = people("张信用")
    key_id = key_of(credit, shot, "credit")
    draw_id = create_draw(credit, task)
    credit.set_viewport_size({"width": 390, "height": 844})
    credit.get_by_label("作废理由").fill("主体名录尚未同步完成，作废重抽")
    credit.get_by_role("button", name="签名作废本次抽取").click()
    expect(credit.get_by_role("status")).to_contain_text("抽取已作废")
    expect_state(credit, "已作废")
    width = credit.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a phone"
    shot(credit, "cancelled-phone")
    cancelled = api_draw(server, draw_id)
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "主体名录尚未同步完成，作废重抽"
    log = httpx.get(f"{server}/public/draws/log", timeout=60).json()["records"]
    record = next(
        r["record"]
        for r in log
        if r["record"]["kind"] == "cancelled" and r["record"]["draw_id"] == draw_id
    )
    assert len(record["signature"]) == 128  # signed in the browser, checked by the service

    # The key is revoked by its holder: from then on it signs nothing.
    credit.goto("/console/draws/keys")
    credit.get_by_label("吊销理由").and_(credit.locator(f"#r-{key_id}")).fill("轮换密钥")
    credit.get_by_role("button", name=f"吊销 {key_id[:8]}").click()
    expect(credit.get_by_role("status")).to_contain_text(f"密钥 {key_id} 已吊销")
    keys = httpx.get(f"{server}/public/draws/keys", timeout=30).json()["items"]
    assert next(k for k in keys if k["key_id"] == key_id)["revoked_seq"]
