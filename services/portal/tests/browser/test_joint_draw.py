"""A neighbour's joint draw at this bureau, in the browser, end to end (issue 10, ADR 0010):
two districts on the real broker with authentication and ACLs on, each signed in as its own
Kafka user. Huancui is this bureau (the all-in-one server with its demo district, whose roster
reaches Lingang through Huancui's own topic); Lingang, short of inspectors, is its draws
service in this process. Huancui's credit department, signed in at Huancui, commits and
reveals its share in its own browser (key and share made there); Lingang's parties act over
its API; the bundle verifies; Huancui's public site lists the draw with Lingang's digests.

Needs the integration stage's broker: ``SPOTCHECK_TEST_KAFKA`` and
``SPOTCHECK_TEST_KAFKA_ADMIN_PASSWORD`` (fails, never skips, without them)."""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest
from playwright.sync_api import Browser, Page, expect

from draws import ceremony, verify_draw
from draws.domain import protocol as p

from .conftest import ROOT, _Browsers, serious_violations, sign_in
from .region import Lingang, two_districts
from .scenario import eventually

Shot = Callable[[Page, str], Path]
VALID = ("2026-01-01", "2027-12-31")  # Lingang's own parties' keys
SLOW = 30_000  # ms: a key made, a share kept, signed and sent, on a busy machine


def _draws_factories() -> ModuleType:
    """The draws tests' synthetic registry and task (a file of another service's tests)."""
    path = ROOT / "services/draws/tests/unit/factories.py"
    spec = importlib.util.spec_from_file_location("draws_test_factories", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LingangParties:
    """Lingang's credit department and office, each with a key made as spotcheck-ceremony
    makes it, and an office member holding no share to countersign."""

    PEOPLE: ClassVar[dict[str, tuple[str, str]]] = {
        "信用监管科": ("lg-credit", "credit_dept"),
        "办公室": ("lg-office", "general_office"),
    }

    def __init__(self, lingang: Lingang, draw: dict[str, Any]) -> None:
        self.lingang, self.draw = lingang, draw
        self.digest = bytes.fromhex(draw["manifest_sha256"])
        self.keys = {party: self._key(party, *who) for party, who in self.PEOPLE.items()}
        self.shares = {party: hashlib.sha256(party.encode()).digest() for party in self.PEOPLE}

    def _key(self, party: str, user: str, role: str) -> ceremony.Key:
        secret = hashlib.sha256(f"{user}/{party}".encode()).digest()
        key = ceremony.Key.new(secret, self.lingang.district, party, user, *VALID)
        body = ceremony.registration_body(key)
        r = self.lingang.call("POST", "/api/draws/keys", (user, role), body)
        assert r.status_code == 201, r.text
        return key

    def _post(self, act: str, party: str, body: dict[str, Any]) -> None:
        path = f"/api/draws/draws/{self.draw['draw_id']}/{act}"
        r = self.lingang.call("POST", path, self.PEOPLE[party], body)
        assert r.status_code == 200, r.text

    def commit(self) -> None:
        for party, key in self.keys.items():
            draw_id = self.draw["draw_id"]
            body = ceremony.commit_body(key, self.digest, draw_id, self.shares[party])
            self._post("commitments", party, body)

    def reveal(self) -> None:
        for party, key in self.keys.items():
            self._post("reveals", party, ceremony.reveal_body(key, self.digest, self.shares[party]))

    def countersign(self, result_sha256: str) -> dict[str, Any]:
        who = ("lg-zhou", "general_office")
        key = self._key("办公室", *who)
        body = ceremony.countersign_body(
            key, self.digest, bytes.fromhex(result_sha256), "过程合规", True
        )
        r = self.lingang.call(
            "POST", f"/api/draws/draws/{self.draw['draw_id']}/countersign", who, body
        )
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lingang, str]]:
    """Lingang's draws service (in this process) and Huancui (this bureau)."""
    with two_districts(tmp_path_factory, "draws") as found:
        yield found


def _to_do(page: Page, draw_id: str) -> None:
    """The joint draw in the credit department's to-do list, once Huancui has heard of it."""

    def listed() -> bool:
        page.goto("/console")
        return page.locator(f'a[href="/console/joint-draws/{draw_id}"]').count() == 1

    eventually(listed, "the joint draw in Huancui's to-do list", timeout=90)


def test_huancuis_credit_department_commits_and_reveals_its_share_in_its_browser(
    region: tuple[Lingang, str], browser: Browser, shot: Shot
) -> None:
    lingang, huancui = region
    hc = lingang.settings.neighbour_districts[0]
    party = f"{hc}:信用监管科"
    for event in _draws_factories().events(200, 3):  # one inspector per department: short
        lingang.feed(event)

    # Lingang freezes a joint draw once Huancui's roster (its demo district's) has arrived
    create = {"task_id": "T-1", "neighbour_rule": "fill-when-short", "joint_with": [hc]}

    def frozen() -> dict[str, Any] | None:
        r = lingang.call("POST", "/api/draws/draws", ("lg-credit", "credit_dept"), create)
        return dict(r.json()) if r.status_code == 201 else None

    draw = eventually(frozen, "Huancui's roster at Lingang, then the draw", timeout=120)
    draw_id = draw["draw_id"]
    assert draw["parties"] == ["信用监管科", "办公室", party]

    browsers = _Browsers(browser, huancui)
    try:
        page = browsers.open()
        sign_in(page, "张信用")
        _to_do(page, draw_id)
        card = page.locator("section.card", has_text="联合抽取（相邻区发起）")
        expect(card).to_contain_text("待提交种子承诺")
        shot(page, "to-do")
        card.get_by_role("link", name=f"{lingang.district} {draw['task_no']}").click()
        expect(page.locator("[data-status]")).to_have_text("待本局提交种子承诺")
        expect(page.locator("[data-manifest-sha256]")).to_have_text(draw["manifest_sha256"])
        assert serious_violations(page) == []

        # the commitment: key and share made in this browser, only the commitment sent
        page.wait_for_load_state()  # the page's script signs: it must have run
        with page.expect_request(lambda r: r.method == "POST") as sent:
            page.get_by_role("button", name=f"提交种子承诺（{party}）").click()
        expect(page.get_by_role("status")).to_contain_text("本局的种子承诺已提交", timeout=SLOW)
        committed = sent.value.post_data or ""
        shot(page, "committed")

        def at_lingang(act: str) -> dict[str, Any] | None:
            found = lingang.call("GET", f"/api/draws/draws/{draw_id}", ("lg-credit", "credit_dept"))
            entries = {e["party"]: e for e in found.json()[act]}
            return entries.get(party)

        commitment = eventually(lambda: at_lingang("commitments"), "Huancui's commitment")
        keys = lingang.public("/public/draws/keys").json()["items"]
        (hc_key,) = [k for k in keys if k["key_id"] == commitment["key_id"]]
        assert hc_key["holder"] == f"{hc}:zhang.credit" and hc_key["party"] == party

        # Lingang's parties commit; the page follows until every commitment is recorded
        parties = LingangParties(lingang, draw)
        parties.commit()
        reveal = page.get_by_role("button", name=f"揭示种子（{party}）")
        expect(reveal).to_be_visible(timeout=2 * SLOW)
        expect(page.locator("[data-all-committed]")).to_have_text("各参与方的承诺已全部记录。")
        page.wait_for_load_state()
        reveal.click()
        expect(page.get_by_role("status")).to_contain_text("本局的种子份额已揭示", timeout=SLOW)
        expect(page.locator("[data-status]")).to_have_text("本局已揭示，待抽取区完成抽取")

        revealed = eventually(lambda: at_lingang("reveals"), "Huancui's reveal at Lingang")
        share = bytes.fromhex(revealed["share"])
        assert share.hex() not in committed  # the share stayed in the browser until now
        opens = p.share_commitment_v3(bytes.fromhex(draw["manifest_sha256"]), draw_id, party, share)
        assert commitment["commitment"] == opens.hex() and opens.hex() in committed

        # Lingang completes the draw; its bundle verifies; Huancui's site names it
        parties.reveal()

        def drawn() -> dict[str, Any] | None:
            r = lingang.call("GET", f"/api/draws/draws/{draw_id}", ("lg-credit", "credit_dept"))
            return dict(r.json()) if r.json()["status"] == "drawn" else None

        result_sha256 = eventually(drawn, "the result at Lingang")["result_sha256"]
        parties.countersign(result_sha256)
        bundle = lingang.public(f"/public/draws/{draw_id}/bundle")
        report = verify_draw.verify_bytes(bundle.content)
        assert report.ok, report.difference

        public = browsers.open()

        def listed_with_result() -> bool:
            public.goto("/draws/joint")
            return result_sha256 in public.locator(f'[data-joint-draw="{draw_id}"]').inner_text()

        eventually(listed_with_result, "Lingang's result on Huancui's public site", timeout=60)
        article = public.locator(f'[data-joint-draw="{draw_id}"]')
        expect(article).to_contain_text(draw["manifest_sha256"])
        expect(article).to_contain_text(f"由 {lingang.district} 公示于其网站")
        assert serious_violations(public) == []
        shot(public, "public")
    finally:
        browsers.close()
