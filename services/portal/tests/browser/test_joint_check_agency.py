"""Joint checks with another agency (联合检查单位, 第三条; draw spec §16) in the browser: the
supervising department drafts a task with the demo district's tax office as co-organiser in the
console form (a refusal of the agency's item shown beside it first), the deputy director
approves it, the credit department freezes its draw; the bureau's staff are not offered the tax
office's party, whose liaison, signed in in a browser of its own, registers its key, commits
and reveals its share there; the office countersigns and every team holds its quota of the tax
office's inspectors, from its active roster."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import (
    TODAY,
    expect_state,
    freeze_draw,
    register_key,
    serious_violations,
    sign_in,
)
from .test_draws_ceremony import api_draw

Shot = Callable[[Page, str], Path]
TAX = "国家税务总局威海市临港区税务局"
PARTY = "tax:联合检查单位"
LIAISON = "韩联络（税务局）"
ACTIVE_TAX = {f"tax:SW000{k}" for k in range(1, 6)}  # the demo roster: SW0006 is off duty


def draft_task(page: Page, task_no: str, shot: Shot) -> str:
    """赵规范 drafts the joint task; the tax office's first item is refused (the bureau's own
    item's code), then corrected. The task's id."""
    page.goto("/console/tasks/new")
    page.get_by_label("任务编号（本区唯一）").fill(task_no)
    page.get_by_label("任务名称").fill(f"企业公示信息与涉税事项联合检查（{task_no}）")
    page.get_by_label("检查截止日期").fill((TODAY + timedelta(days=30)).isoformat())
    page.get_by_label("企业公示信息抽查").check()
    page.get_by_label("区域（多个用逗号分隔，空为不限）").fill("蔄山镇")
    page.get_by_label("A 级（%）").fill("0.6")
    page.get_by_label("B 级（%）").fill("0.3")
    agency = page.get_by_role("group", name="联合检查单位 2")  # any slot: sent in order
    agency.get_by_label("单位代码（小写字母，如 tax）").fill("tax")
    agency.get_by_label("单位名称").fill(TAX)
    agency.get_by_label("每组该单位人数").fill("2")
    items = agency.get_by_label("该单位的检查事项（每行一项：编号 名称）")
    items.fill("LG-GS-01 企业公示信息核对\nSW-02 税务登记信息核查")
    page.get_by_role("button", name="保存草稿").click()

    first = page.get_by_role("group", name="联合检查单位 1")
    expect(first.get_by_label("单位代码（小写字母，如 tax）")).to_have_value("tax")
    expect(first.locator(".field-error")).to_contain_text("LG-GS-01")
    shot(page, "agency-item-refused")
    assert serious_violations(page) == []
    first.get_by_label("该单位的检查事项（每行一项：编号 名称）").fill(
        "SW-01 发票管理检查\nSW-02 税务登记信息核查"
    )
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status")).to_contain_text("已保存实施方案草稿")
    listed = page.locator('li[data-agency="tax"]')
    expect(listed).to_contain_text(f"{TAX}（tax）：每组 2 人")
    expect(listed).to_contain_text("SW-01 发票管理检查")
    return page.url.split("?")[0].rsplit("/", 1)[1]


def create_draw(credit: Page, task_id: str) -> str:
    """Again while the draws service has not yet heard of the approval (events travel apart)."""
    deadline = time.monotonic() + 60
    while True:
        credit.goto(f"/console/draws?task_id={task_id}")
        link = credit.get_by_role("link", name="为此任务创建抽取")
        if link.count() or time.monotonic() > deadline:
            break
        time.sleep(1)
    link.click()
    return freeze_draw(credit)


def act(page: Page, button: str, done: str) -> None:
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text(done)


def test_the_tax_office_checks_with_the_bureau_and_draws_its_own_share(
    server: str, browsers: Callable[..., Page], shot: Shot
) -> None:
    pages = {}
    for name in ("赵规范", "王分管", "张信用", "李办公", "周监督", LIAISON):
        pages[name] = browsers()
        sign_in(pages[name], name)
    supervisor, deputy, credit = pages["赵规范"], pages["王分管"], pages["张信用"]
    office, countersigner, liaison = pages["李办公"], pages["周监督"], pages[LIAISON]

    task_id = draft_task(supervisor, f"BR-JOINT-{uuid.uuid4().hex[:8]}", shot)
    deputy.goto(f"/console/tasks/{task_id}")
    act(deputy, "分管局长审批（批准实施方案）", "已批准")
    expect_state(deputy, "已批准")

    for page in (credit, office, countersigner):
        register_key(page)
    # the liaison's key page offers its agency's party only
    liaison.goto("/console/draws/keys")
    expect(liaison.get_by_label("代表的参与方").locator("option")).to_have_text([PARTY])
    liaison_key = register_key(liaison)
    shot(liaison, "liaison-key")

    draw_id = create_draw(credit, task_id)
    frozen = api_draw(server, draw_id)
    assert frozen["parties"] == ["信用监管科", "办公室", PARTY]
    # the bureau's staff hold their own parties only
    expect(credit.get_by_role("button", name=f"提交种子承诺（{PARTY}）")).to_have_count(0)
    act(credit, "提交种子承诺（信用监管科）", "种子承诺已提交")
    office.goto(f"/console/draws/{draw_id}")
    expect(office.get_by_role("button", name=f"提交种子承诺（{PARTY}）")).to_have_count(0)
    act(office, "提交种子承诺（办公室）", "种子承诺已提交")

    # the liaison's home lists the draw awaiting its agency's share
    liaison.goto("/console")
    waiting = liaison.locator("li", has=liaison.locator(f'a[href="/console/draws/{draw_id}"]'))
    expect(waiting).to_contain_text("待提交种子承诺")
    waiting.get_by_role("link").click()
    # what the liaison commits to: its agency's share of every team, in the frozen manifest
    expect(liaison.locator("[data-co-organisers]")).to_contain_text(
        f"{TAX}（tax）每组另配 2 人，检查事项 SW-01、SW-02"
    )
    expect(liaison.get_by_role("button", name="提交种子承诺（办公室）")).to_have_count(0)
    act(liaison, f"提交种子承诺（{PARTY}）", "种子承诺已提交")
    shot(liaison, "liaison-committed")
    assert serious_violations(liaison) == []
    committed = api_draw(server, draw_id)
    assert committed["status"] == "committed"
    assert {c["party"]: c["key_id"] for c in committed["commitments"]}[PARTY] == liaison_key

    for page, party in ((liaison, PARTY), (credit, "信用监管科"), (office, "办公室")):
        page.goto(f"/console/draws/{draw_id}")
        act(page, f"揭示种子（{party}）", "种子份额已揭示")

    drawn = api_draw(server, draw_id)
    assert drawn["status"] == "drawn" and drawn["targets"]
    countersigner.goto(f"/console/draws/{draw_id}")
    if drawn["unstaffed"]:
        countersigner.get_by_label(f"已知悉 {len(drawn['unstaffed'])} 户未能配齐检查人员").check()
    act(countersigner, "监督会签", "抽取完成")
    shot(countersigner, "completed")

    completed = api_draw(server, draw_id)
    assert completed["status"] == "completed"
    staffed = [t for t in completed["targets"] if t["team"]]
    assert staffed and not completed["unstaffed"]
    for target in staffed:
        tax = [m["inspector_id"] for m in target["team"] if m["inspector_id"].startswith("tax:")]
        assert len(tax) == len(set(tax)) == 2, target
        assert set(tax) <= ACTIVE_TAX, target
        assert not target["team"][0]["inspector_id"].startswith("tax:")  # the bureau leads
    member = staffed[0]["team"][-1]  # the page names the agency's members on the team
    expect(countersigner.locator("main")).to_contain_text(f"{member['name']}（组员）")
