"""A neighbour's joint inspection at this bureau, in the browser (issue 10, ADR 0010): Lingang's
draw made Huancui's inspector the leader of one of its teams. Lingang keeps the record form
(its inspections service, in this process); Huancui's inspector, signed in at Huancui (the
all-in-one server), finds it in the to-do list, records the form as leader, sees Lingang's
state come back, signs and submits; Lingang's record shows each act under the inspector's
namespaced id. Two districts on the real broker with authentication and ACLs on.

Needs the integration stage's broker (``region.py``)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from inspections.service_layer.services import inspection_id_for
from spotcheck_common.events.types import TeamRole

from .conftest import ROOT, _Browsers, serious_violations, sign_in, sign_in_inspector
from .region import Lingang, two_districts
from .scenario import eventually

Shot = Callable[[Page, str], Path]
OURS, THEIRS = "HC0001", "LG-001"  # Huancui's leader, Lingang's member


def _inspections_factories() -> ModuleType:
    """The inspections tests' task and draw (a file of another service's tests)."""
    path = ROOT / "services/inspections/tests/unit/factories.py"
    spec = importlib.util.spec_from_file_location("inspections_test_factories", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lingang, str]]:
    """Lingang's inspections service (in this process) and Huancui (this bureau)."""
    with two_districts(tmp_path_factory, "inspections") as found:
        yield found


class Record:
    """Lingang's record form of the joint inspection, read and signed over its API."""

    def __init__(self, lingang: Lingang, inspection_id: str) -> None:
        self.lingang = lingang
        self.path = f"/api/inspections/inspections/{inspection_id}"

    def get(self) -> dict[str, Any]:
        r = self.lingang.call("GET", self.path, ("lg-credit", "credit_dept"))
        assert r.status_code == 200, r.text
        return dict(r.json())

    def once(self, status: str) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            found = self.get()
            return found if found["status"] == status else None

        return dict(eventually(reached, f"Lingang's record {status}", timeout=90))

    def sign_as_member(self) -> None:
        who = (THEIRS, "inspector")
        r = self.lingang.call("POST", f"{self.path}/sign", who, inspector_id=THEIRS)
        assert r.status_code == 200, r.text


def _shows(page: Page, url: str, label: str) -> None:
    """Huancui's page, reloaded until it shows Lingang's state ``label``."""

    def shown() -> bool:
        page.goto(url)
        return page.locator("[data-status]").inner_text() == label

    eventually(shown, f"「{label}」 from Lingang at Huancui", timeout=90)


def test_huancuis_inspector_leads_lingangs_inspection_at_huancui(
    region: tuple[Lingang, str], browser: Browser, shot: Shot
) -> None:
    lingang, huancui = region
    hc = lingang.settings.neighbour_districts[0]
    f = _inspections_factories()
    team = [
        f.member(f"{hc}:{OURS}", TeamRole.LEADER, "环翠执法"),
        f.member(THEIRS, TeamRole.MEMBER, "王组员"),
    ]
    lingang.feed(f.task_approved())
    lingang.feed(f.draw_completed("task-1", f.target(f.USCC_1, team)))
    inspection_id = inspection_id_for("draw-1", f.USCC_1)
    record = Record(lingang, inspection_id)
    url = f"/console/joint-inspections/{inspection_id}"

    browsers = _Browsers(browser, huancui)
    try:
        phone = browsers.open(phone=True)
        sign_in_inspector(phone, OURS)

        def to_do() -> bool:
            phone.goto("/console")
            return phone.locator(f'a[href="{url}"]').count() == 1

        eventually(to_do, "the joint inspection in the inspector's to-do list", timeout=90)
        card = phone.locator("section.card", has_text="联合检查（相邻区抽取）")
        expect(card).to_contain_text("待录入检查结果（组长）")
        card.locator(f'a[href="{url}"]').click()
        expect(phone.locator("[data-kept-by]")).to_contain_text(
            f"检查记录由 {lingang.district} 保存"
        )
        team_table = phone.locator("[data-team]")
        expect(team_table.locator("tr", has_text="环翠执法")).to_contain_text(OURS)
        expect(team_table.locator("tr", has_text="环翠执法")).not_to_contain_text(f"{hc}:")
        expect(team_table.locator("tr", has_text="王组员")).to_contain_text(THEIRS)
        assert serious_violations(phone) == []
        shot(phone, "record-form")

        # The leader records with the own record form (the sub-reason shows with its category).
        pending = phone.get_by_label("具体情形").first
        expect(pending).to_be_hidden()
        phone.locator("#f-category-0").select_option("发现问题待后续处理")
        pending.select_option("未按规定公示应当公示的信息")
        phone.locator("#f-category-1").select_option("未发现问题")
        phone.get_by_role("button", name="保存检查结果").click()
        expect(phone.get_by_role("status")).to_contain_text(f"待 {lingang.district} 记录后生效")

        # Lingang records it under the namespaced id; its state comes back to Huancui (the act
        # shown on its way meanwhile: a race with the broker here, the unit tests check it).
        at_lingang = record.once("recorded")
        assert at_lingang["recorded_by"] == f"{hc}:{OURS}"
        assert [r["pending_reason"] for r in at_lingang["results"]] == [
            "未按规定公示应当公示的信息",
            None,
        ]
        _shows(phone, url, "已录入，待签名")
        expect(phone.locator("[data-acts-here]")).to_have_count(0)
        expect(phone.locator("#h-results")).to_contain_text(f"录入人：{OURS}")
        shot(phone, "recorded")

        # Both sign: Lingang's member there, Huancui's leader here.
        record.sign_as_member()
        phone.get_by_role("button", name="我已核对，签名确认").click()
        expect(phone.get_by_role("status")).to_contain_text("您已在本局签名确认")
        assert f"{hc}:{OURS}" in record.once("signed")["signatures"]
        _shows(phone, url, "全员已签名，待提交")

        # The leader submits here; Lingang's record is submitted by Huancui's inspector.
        phone.get_by_label("检查完成日期").fill("2026-11-16")
        phone.get_by_role("button", name="提交检查记录").click()
        expect(phone.get_by_role("status")).to_contain_text("检查记录已在本局提交")
        submitted = record.once("submitted")
        assert submitted["submitted_by"] == f"{hc}:{OURS}"
        assert submitted["completed_on"] == "2026-11-16"
        _shows(phone, url, "已提交")
        expect(phone.get_by_role("button", name="提交检查记录")).to_have_count(0)
        shot(phone, "submitted")

        # Management sees the load: one of Lingang's joint inspections, submitted.
        desk = browsers.open()
        sign_in(desk, "张信用")
        desk.goto("/console/statistics")
        desk.get_by_role("link", name="执法人员检查任务量（含相邻区联合抽取）").click()
        desk.get_by_label("年度（按检查期限）").fill("2026")
        desk.get_by_role("button", name="查看").click()
        row = desk.locator(f'[data-inspector="{OURS}"]')
        expect(row.locator("th")).to_contain_text("环翠执法")
        # own open, own submitted, Lingang's open, Lingang's submitted, total
        expect(row.locator("td")).to_have_text(["0", "0", "0", "1", "1"])
        assert serious_violations(desk) == []
    finally:
        browsers.close()
