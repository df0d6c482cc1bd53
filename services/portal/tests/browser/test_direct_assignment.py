"""Direct assignment (第六条, draw spec §15) in the browser: the deputy director approves it
for a task on the task's draw page, the credit department's draw names the approval, the
targets are drawn by the signed ceremony, the credit department picks each drawn target's team
from the frozen roster in its browser (the page refuses one person twice, before signing) and
signs it with its key; another person of the office countersigns; the public page says the
teams were assigned, why and by whose approval; the bundle verifies."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from .conftest import ROOT, freeze_draw, register_key, sign_in
from .test_draws_ceremony import api_draw, published_task

VERIFIER = ROOT / "services/draws/src/draws/verify_draw.py"
REASON = "本区具备资格的在岗执法检查人员不足，不能满足随机匹配条件"
Shot = Callable[[Page, str], Path]


def approve(deputy: Page, task_id: str) -> None:
    """Again while the draws service has not yet heard of the task (events travel apart)."""
    deadline = time.monotonic() + 60
    while True:
        deputy.goto(f"/console/draws?task_id={task_id}")
        deputy.get_by_label("批准直接委派的理由").fill(REASON)
        deputy.get_by_role("button", name="批准本任务直接委派检查组").click()
        deputy.wait_for_load_state()
        if "notice=" in deputy.url or time.monotonic() > deadline:
            break
        time.sleep(1)
    expect(deputy.get_by_role("status")).to_contain_text("已批准直接委派")


def values(page: Page, selector: str) -> list[str]:
    found: list[str] = (
        page.locator(selector)
        .first.locator("option")
        .evaluate_all("os => os.map(o => o.value).filter(Boolean)")
    )
    return found


def pick_teams(page: Page, draw: dict[str, Any], twice: bool = False) -> None:
    """Each drawn target's leader and members: a lawful team (avoiding the declared pairs),
    or (``twice``) the leader again as a member."""
    pairs = {frozenset(p) for p in draw["manifest"]["pair_conflicts"]}
    leaders = values(page, "select[data-slot=leader]")
    members = values(page, "select[data-slot=member]")
    for n, row in enumerate(page.locator("tr[data-target]").all()):
        leader = leaders[n % len(leaders)]
        row.locator("select[data-slot=leader]").select_option(leader)
        team = [leader]
        for slot in row.locator("select[data-slot=member]").all():
            member = (
                leader
                if twice
                else next(
                    m for m in members if m not in team and all({m, t} not in pairs for t in team)
                )
            )
            slot.select_option(member)
            team.append(member)
        for i, slot in enumerate(row.locator("select[data-slot=expert]").all()):
            slot.select_option(index=i + 1)


def test_a_team_assigned_directly_in_the_browser_is_said_so_in_public(
    server: str, browsers: Callable[..., Page], shot: Shot, tmp_path: Path
) -> None:
    people = {}
    for name in ("张信用", "李办公", "周监督", "王分管"):
        people[name] = browsers()
        sign_in(people[name], name)
    credit, office, supervisor, deputy = (
        people[n] for n in ("张信用", "李办公", "周监督", "王分管")
    )
    for page in (credit, office, supervisor):
        register_key(page)
    task = published_task(server)

    approve(deputy, task["task_id"])
    expect(deputy.locator("section.direct-approvals")).to_contain_text(REASON)
    shot(deputy, "direct-approved")

    credit.goto(f"/console/draws/new?task_id={task['task_id']}")
    credit.get_by_label("检查组的产生方式（第六条）").select_option(index=1)
    draw_id = freeze_draw(credit)
    expect(credit.locator("[data-matching]")).to_contain_text("直接委派")
    expect(credit.locator(".steps")).to_contain_text("委派检查组")

    credit.get_by_role("button", name="提交种子承诺（信用监管科）").click()
    expect(credit.get_by_role("status")).to_contain_text("种子承诺已提交")
    office.goto(f"/console/draws/{draw_id}")
    office.get_by_role("button", name="提交种子承诺（办公室）").click()
    expect(office.get_by_role("status")).to_contain_text("种子承诺已提交")
    credit.goto(f"/console/draws/{draw_id}")
    credit.get_by_role("button", name="揭示种子（信用监管科）").click()
    expect(credit.get_by_role("status")).to_contain_text("种子份额已揭示")
    office.goto(f"/console/draws/{draw_id}")
    office.get_by_role("button", name="揭示种子（办公室）").click()
    expect(office.get_by_role("status")).to_contain_text("种子份额已揭示")
    drawn = api_draw(server, draw_id)
    assert drawn["status"] == "assigning" and drawn["targets"]
    assert all(t["team"] == [] for t in drawn["targets"])  # drawn, not yet staffed

    credit.goto(f"/console/draws/{draw_id}")
    form = credit.locator("form[data-sign=assign]")
    pick_teams(credit, drawn, twice=True)
    form.get_by_role("button", name="签名委派检查组").click()
    expect(form.locator("[data-js-error]")).to_contain_text("名不同的执法检查人员")
    shot(credit, "assign-refused-on-the-page")
    assert api_draw(server, draw_id)["status"] == "assigning"  # nothing was sent

    pick_teams(credit, drawn)
    shot(credit, "assign-picked")
    form.get_by_role("button", name="签名委派检查组").click()
    expect(credit.get_by_role("status")).to_contain_text("检查组已直接委派")
    assigned = api_draw(server, draw_id)
    assert assigned["status"] == "drawn"
    assert assigned["matching"]["assigned_by"] == "张信用"
    assert all(t["team"][0]["role"] == "leader" for t in assigned["targets"])

    supervisor.goto(f"/console/draws/{draw_id}")
    supervisor.get_by_role("button", name="监督会签").click()
    expect(supervisor.get_by_role("status")).to_contain_text("抽取完成")
    expect(supervisor.locator("caption", has_text="检查组为直接委派")).to_be_visible()

    public = browsers()
    public.goto(f"/draws/{draw_id}")
    notice = public.locator("[data-direct-assignment]")
    expect(notice).to_contain_text("检查组为直接委派，不是随机匹配")
    expect(notice).to_contain_text(REASON)
    expect(notice).to_contain_text("王分管")
    shot(public, "public-direct-assignment")

    bundle, log = tmp_path / "bundle.json", tmp_path / "log.json"
    bundle.write_bytes(httpx.get(f"{server}/public/draws/{draw_id}/bundle", timeout=60).content)
    log.write_bytes(httpx.get(f"{server}/public/draws/log", timeout=60).content)
    verified = subprocess.run(
        [sys.executable, "-I", "-S", str(VERIFIER), str(bundle), "--log", str(log)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "ASSIGNED DIRECTLY" in verified.stdout
