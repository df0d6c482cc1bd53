"""A co-organising agency's liaison (联合检查单位联络人, 第三条; draw spec §16) on the console: the
demo sign-in mints the ``agency`` claim, the liaison holds a key for its agency's party only and
is offered that party's commitment and reveal (the bureau's staff never are), and its home lists
the draws awaiting its agency's share."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from portal.adapters.api import ApiError
from portal.domain import draws as d
from portal.entrypoints.console import session
from portal.service_layer import awaiting

from .fakes import FakeApi

PARTY = "tax:联合检查单位"
PARTIES = ["信用监管科", "办公室", PARTY]


def draw(status: str = "frozen", **over: Any) -> dict[str, Any]:
    base = {
        "draw_id": "d1",
        "task_no": "LG-T-9",
        "status": status,
        "parties": PARTIES,
        "commitments": [],
        "reveals": [],
        "manifest": {"parties": PARTIES, "task": {"title": "联合检查"}},
    }
    return base | over


def key(key_id: str, party: str, holder: str) -> dict[str, Any]:
    return {"key_id": key_id, "party": party, "holder": holder, "revoked_seq": None}


def test_a_liaison_holds_a_key_for_its_agencys_party_only() -> None:
    assert d.key_parties({"agency_liaison"}, "tax") == [PARTY]
    assert d.key_parties({"agency_liaison"}) == []  # a token without the claim acts for none
    assert d.key_parties({"credit_dept"}, "tax") == ["信用监管科"]


@pytest.mark.parametrize(
    ("roles", "agency", "offered"),
    [
        ({"agency_liaison"}, "tax", [PARTY]),
        ({"agency_liaison"}, "eco", []),  # another agency's liaison
        ({"credit_dept"}, "", ["信用监管科"]),  # the bureau's staff never the agency's party
        ({"general_office"}, "", ["办公室"]),
    ],
)
def test_the_agencys_commitment_is_offered_to_its_liaison_alone(
    roles: set[str], agency: str, offered: list[str]
) -> None:
    assert d.acts_of(draw(), roles, "someone", [], agency).commit == offered


def test_the_liaison_reveals_with_the_key_it_committed_with() -> None:
    committed = [{"party": p, "key_id": f"k{n}", "commitment": "00"} for n, p in enumerate(PARTIES)]
    mine = [key("k2", PARTY, "han.tax")]
    acts = d.acts_of(draw("committed", commitments=committed), {"agency_liaison"}, "han.tax", mine)
    assert acts.reveal == [PARTY] and acts.holds_share and not acts.beacon
    assert not (acts.cancel or acts.abort or acts.countersign or acts.assign)


@pytest.mark.parametrize(
    ("state", "awaits"),
    [
        (draw(), "待提交种子承诺"),
        (draw(commitments=[{"party": PARTY}]), ""),
        (
            draw("committed", commitments=[{"party": p} for p in PARTIES]),
            "各方承诺已齐，待揭示种子",
        ),
        (draw("committed", reveals=[{"party": PARTY}]), ""),
        (draw(parties=PARTIES[:2]), ""),
    ],
)
def test_what_a_draw_awaits_of_the_agency(state: dict[str, Any], awaits: str) -> None:
    assert d.agency_awaits(state, PARTY) == awaits


async def test_the_liaisons_home_lists_the_open_draws_of_its_agency() -> None:
    summaries = [
        {"draw_id": "d1", "status": "frozen"},
        {"draw_id": "d2", "status": "committed"},  # without the agency: 403
        {"draw_id": "d3", "status": "completed"},  # not read at all
    ]
    api = FakeApi(
        {
            "/public/draws": {"items": summaries},
            "/api/draws/draws/d1": draw(),
            "/api/draws/draws/d2": ApiError(403, "联合检查单位 tax 不是本次抽取的参与方"),
        }
    )
    person = awaiting.Person("lingang", agency="tax")
    (found,) = await awaiting.of(api, {"agency_liaison"}, person)  # type: ignore[arg-type]
    assert found.items == [("LG-T-9 联合检查", "/console/draws/d1", "待提交种子承诺")]
    assert "/api/draws/draws/d3" not in [c[1] for c in api.calls]


class Issuer(FakeApi):
    """The demo issuer behind the sign-in page."""

    def __init__(self) -> None:
        super().__init__({"/auth/token": {"access_token": "t-liaison"}})


def site(api: FakeApi) -> httpx.AsyncClient:
    app = FastAPI()
    app.state.portal_api = api
    app.state.portal_oidc = None
    app.state.portal_secure_cookie = False
    app.include_router(session.router)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_the_demo_liaison_signs_in_with_its_agency() -> None:
    (liaison,) = [p for p in session.DEMO_PEOPLE if p[2] == "agency_liaison"]
    user, name, role, department, agency = liaison
    api = Issuer()
    form = {"user": user, "role": role, "name": name, "department": department}
    async with site(api) as client:
        answer = await client.post("/console/login", data=form | {"agency": agency})
    assert answer.status_code == 303
    ((_, path, body),) = api.calls
    assert path == "/auth/token"
    assert body == {
        "user": "han.tax",
        "roles": ["agency_liaison"],
        "name": name,
        "department": "国家税务总局威海市临港区税务局",
        "agency": "tax",
    }
