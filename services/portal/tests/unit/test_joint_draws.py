"""This bureau's side of a neighbour's joint draw in the console, and the joint draws it took
part in on its public site, on a fake of the services' APIs: what each person is offered, what
awaits the credit department, what the pages show and what is forwarded to the draws API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from portal.adapters.api import ApiError
from portal.domain import draws as d
from portal.entrypoints import public
from portal.entrypoints.console import joint
from portal.entrypoints.web import csrf_of
from portal.service_layer import awaiting
from spotcheck_common.clock import FixedClock

from .fakes import FakeApi, console_site

PARTY = "huancui:信用监管科"
PARTIES = ["信用监管科", "办公室", PARTY]
TOKEN = "token-of-hc-credit"


def jd(draw_id: str = "J1", status: str = "awaiting-commit", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "draw_id": draw_id,
        "drawing_district": "lingang",
        "party": PARTY,
        "task_no": f"LG-T-{draw_id}",
        "manifest_sha256": "ab" * 32,
        "manifest": {"parties": PARTIES, "task": {"title": "联合抽查", "lead_department": "x"}},
        "parties": PARTIES,
        "committed": [],
        "status": status,
        "commitment": None,
        "key_id": None,
        "holder": None,
        "reveal_deadline": "2026-11-29T09:00:00+08:00",
        "created_at": "2026-11-26T02:00:00+00:00",
        "committed_at": None,
        "revealed_at": None,
        "result_sha256": None,
        "bundle_url": None,
    }
    return base | fields


# ------------------------------------------------------------------------------ the acts


def test_the_credit_department_commits_then_reveals_once_every_party_committed() -> None:
    credit = {"credit_dept"}
    assert d.joint_acts(jd(), credit) == d.JointActs(commit=True, waiting_for=PARTIES)
    assert not d.joint_acts(jd(), {"general_office"}).commit  # the office holds no share here
    waiting = jd(status="committed", committed=[PARTY, "办公室"])
    assert d.joint_acts(waiting, credit) == d.JointActs(waiting_for=["信用监管科"])
    ready = jd(status="committed", committed=PARTIES)
    assert d.joint_acts(ready, credit).reveal and not d.joint_acts(ready, credit).commit
    for status in ("revealed", "completed", "cancelled"):
        acts = d.joint_acts(jd(status=status, committed=PARTIES), credit)
        assert not (acts.commit or acts.reveal)


def test_the_version_moves_with_each_commitment_the_drawing_district_records() -> None:
    assert d.joint_version(jd()) != d.joint_version(jd(committed=["办公室"]))
    assert d.joint_version(jd()) != d.joint_version(jd(status="committed"))


async def test_what_awaits_the_credit_department_is_its_commit_or_its_reveal() -> None:
    items = [
        jd("J1"),
        jd("J2", "committed", committed=PARTIES),
        jd("J3", "committed", committed=[PARTY]),  # the others have not committed yet
        jd("J4", "completed", committed=PARTIES),
    ]
    api: Any = FakeApi({"/api/draws/joint-draws": {"items": items}})
    waiting = await awaiting._joint_draws(api)
    assert waiting.link == "/console/joint-draws"
    assert waiting.items == [
        ("lingang LG-T-J1", "/console/joint-draws/J1", "待提交种子承诺"),
        ("lingang LG-T-J2", "/console/joint-draws/J2", "各方承诺已齐，待揭示种子"),
    ]


# ----------------------------------------------------------------------------- the pages


class SignedInApi(FakeApi):
    """The fake as the session's calls (every call with the person's token)."""

    def signed_in(self, token: str) -> SignedInApi:
        assert token == TOKEN
        return self


def whoami(*roles: str) -> dict[str, Any]:
    return {"user": "hc.credit", "district": "huancui", "roles": list(roles)}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    fixed = FixedClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    monkeypatch.setattr(joint, "services_clock", lambda: fixed)
    yield


def site(api: FakeApi) -> httpx.AsyncClient:
    return console_site(api, TOKEN, joint.router, public.draws.router)


def answers(roles: tuple[str, ...] = ("credit_dept",), **more: Any) -> SignedInApi:
    return SignedInApi(
        {
            "/auth/whoami": whoami(*roles),
            "/api/draws/joint-draws": {"items": [jd()]},
            "/api/draws/joint-draws/J1": jd(),
            **more,
        }
    )


async def test_the_detail_page_offers_the_commit_signed_in_the_browser() -> None:
    async with site(answers()) as client:
        page = await client.get("/console/joint-draws/J1")
    assert page.status_code == 200
    html = page.text
    assert 'data-sign="joint-commit"' in html and "joint.js" in html
    assert 'data-district="huancui"' in html and 'data-holder="hc.credit"' in html
    for name in ("commitment", "public_key", "key_signature", "signature"):
        assert f'name="{name}" value=""' in html  # filled by the browser, never the server
    assert "ab" * 32 in html and "lingang" in html
    assert "尚待 信用监管科、办公室、huancui:信用监管科 提交承诺" in html
    assert "default-src 'self'" in page.headers["content-security-policy"]


async def test_the_office_sees_the_draw_but_no_act() -> None:
    async with site(answers(("general_office",))) as client:
        page = await client.get("/console/joint-draws/J1")
    assert page.status_code == 200 and "data-sign" not in page.text


async def test_what_this_bureau_did_and_when_and_the_result() -> None:
    done = jd(
        status="completed",
        committed=PARTIES,
        commitment="cd" * 32,
        key_id="k" * 32,
        holder="huancui:hc.credit",
        committed_at="2026-11-26T02:05:00+00:00",
        revealed_at="2026-11-26T03:00:00+00:00",
        result_sha256="ef" * 32,
        bundle_url="/public/draws/J1/bundle",
    )
    async with site(answers(**{"/api/draws/joint-draws/J1": done})) as client:
        html = (await client.get("/console/joint-draws/J1")).text
    assert "2026-11-26 10:05" in html and "2026-11-26 11:00" in html  # in Beijing time
    assert "huancui:hc.credit" in html and "cd" * 32 in html and "ef" * 32 in html
    assert "由 lingang 公示" in html and "data-sign" not in html


async def test_the_list_links_each_joint_draw() -> None:
    async with site(answers()) as client:
        page = await client.get("/console/joint-draws")
    assert 'href="/console/joint-draws/J1"' in page.text and "待本局提交种子承诺" in page.text


async def test_the_script_signs_from_the_joint_draw_and_the_services_today(clock: None) -> None:
    async with site(answers()) as client:
        state = (await client.get("/console/joint-draws/J1/state.json")).json()
    assert state == {"joint": jd(), "valid_from": "2026-11-26", "valid_until": "2027-11-26"}


SIGNED = {
    "commitment": "11" * 32,
    "public_key": "22" * 32,
    "valid_from": "2026-11-26",
    "valid_until": "2027-11-26",
    "key_signature": "33" * 64,
    "signature": "44" * 64,
}


async def test_the_signed_commitment_is_forwarded_as_signed() -> None:
    api = answers(**{"/api/draws/joint-draws/J1/commitment": jd(status="committed")})
    async with site(api) as client:
        sent = await client.post(
            "/console/joint-draws/J1/commitment", data={**SIGNED, "csrf": csrf_of(TOKEN)}
        )
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/console/joint-draws/J1?notice=")
    assert ("POST", "/api/draws/joint-draws/J1/commitment", SIGNED) in api.calls


async def test_nothing_unsigned_is_sent_and_a_refusal_is_shown_beside_the_act() -> None:
    refusal = ApiError(409, "「huancui:信用监管科」已提交承诺，承诺一经提交不得更改")
    api = answers(**{"/api/draws/joint-draws/J1/commitment": refusal})
    async with site(api) as client:
        unsigned = {**SIGNED, "signature": "", "csrf": csrf_of(TOKEN)}
        page = await client.post("/console/joint-draws/J1/commitment", data=unsigned)
        assert page.status_code == 422 and "未能在本浏览器签名" in page.text
        assert not [c for c in api.calls if c[0] == "POST"]
        page = await client.post(
            "/console/joint-draws/J1/commitment", data={**SIGNED, "csrf": csrf_of(TOKEN)}
        )
        assert page.status_code == 409 and "承诺一经提交不得更改" in page.text
        forged = await client.post("/console/joint-draws/J1/reveal", data={"share": "55" * 32})
    assert forged.status_code == 403  # no form token: not from our page
    assert [c[1] for c in api.calls if c[0] == "POST"] == ["/api/draws/joint-draws/J1/commitment"]


async def test_the_public_site_lists_the_joint_draws_with_the_digests_received() -> None:
    listed = {
        "draw_id": "J1",
        "drawing_district": "lingang",
        "task_no": "LG-T-J1",
        "party": PARTY,
        "status": "completed",
        "manifest_sha256": "ab" * 32,
        "result_sha256": "ef" * 32,
        "bundle_url": "/public/draws/J1/bundle",
    }
    api = SignedInApi({"/public/draws/joint": {"total": 1, "items": [listed]}})
    async with site(api) as client:
        page = await client.get("/draws/joint")
    html = page.text
    assert page.status_code == 200 and "本局参与的联合抽取" in html
    assert "ab" * 32 in html and "ef" * 32 in html
    assert "由 lingang 公示于其网站" in html and "/public/draws/J1/bundle" in html
    assert 'href="/public/draws/J1/bundle"' not in html  # not this site's to serve
