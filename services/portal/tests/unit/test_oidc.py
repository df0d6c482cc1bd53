"""Staff sign-in through the bureau's single sign-on (OIDC code flow with PKCE), against a
provider faked at the HTTP level; the services verify the token it issues themselves."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager

from spotcheck_common import runner
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers

ISSUER = "https://sso.test/realms/scjg"
SITE = "https://spotcheck.test"


class FakeProvider:
    """Discovery, and a token endpoint that checks the code, the client and the PKCE proof."""

    def __init__(self) -> None:
        self.challenges: dict[str, str] = {}  # code → the challenge sent with its request

    def authorize(self, url: str) -> tuple[str, str]:
        """What the provider does when the person signs in: a code for the request."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert query["redirect_uri"] == SITE + "/console/login/callback"
        assert query["client_id"] == "spotcheck-portal"
        assert query["code_challenge_method"] == "S256"
        code = f"code-{len(self.challenges)}"
        self.challenges[code] = query["code_challenge"]
        return code, query["state"]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(
                200,
                json={
                    "authorization_endpoint": ISSUER + "/auth",
                    "token_endpoint": ISSUER + "/token",
                },
            )
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        proof = hashlib.sha256(form["code_verifier"].encode()).digest()
        expected = base64.urlsafe_b64encode(proof).rstrip(b"=").decode()
        if form["client_secret"] != "s3cret" or self.challenges.get(form["code"]) != expected:
            return httpx.Response(400, json={"error": "invalid_grant"})
        token = auth_headers("zhang.credit", "credit_dept", department="信用监管科")
        return httpx.Response(200, json={"access_token": token["Authorization"][7:]})


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, FakeProvider]]:
    settings = Settings(
        data_dir=tmp_path,
        auth_secret=TEST_SECRET,
        portal_oidc_issuer=ISSUER,
        portal_oidc_client_id="spotcheck-portal",
        portal_oidc_client_secret="s3cret",
        portal_public_url=SITE,
    )
    app = runner.create_app("all", settings)
    provider = FakeProvider()
    app.state.portal_oidc.http = httpx.AsyncClient(transport=httpx.MockTransport(provider))
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=SITE) as client:
            yield client, provider


async def test_a_person_signs_in_through_the_provider_and_reaches_the_console(
    site: tuple[httpx.AsyncClient, FakeProvider],
) -> None:
    client, provider = site
    page = await client.get("/console/login", params={"next": "/console"})
    assert "通过统一身份认证登录" in page.text and "演示" not in page.text
    away = await client.get("/console/login/sso", params={"next": "/console"})
    assert away.status_code == 303 and away.headers["location"].startswith(ISSUER + "/auth?")
    code, state = provider.authorize(away.headers["location"])
    back = await client.get("/console/login/callback", params={"code": code, "state": state})
    assert back.status_code == 200
    assert 'http-equiv="refresh" content="0; url=/console"' in back.text
    session = next(c for c in client.cookies.jar if c.name == "spotcheck_session")
    assert session.secure  # outside demo mode, always
    home = await client.get("/console")
    assert home.status_code == 200 and "年度计划待汇总" in home.text


async def test_an_answer_for_another_request_is_refused(
    site: tuple[httpx.AsyncClient, FakeProvider],
) -> None:
    client, provider = site
    away = await client.get("/console/login/sso")
    code, _ = provider.authorize(away.headers["location"])
    back = await client.get("/console/login/callback", params={"code": code, "state": "forged"})
    assert back.status_code == 303
    assert back.headers["location"] == "/console/login?" + urlencode(
        {"error": "登录请求与应答不符，请重新登录"}
    )
    assert "spotcheck_session" not in client.cookies


async def test_a_code_without_its_pkce_proof_is_refused_by_the_provider(
    site: tuple[httpx.AsyncClient, FakeProvider],
) -> None:
    client, provider = site
    first = await client.get("/console/login/sso")
    stolen, _ = provider.authorize(first.headers["location"])
    second = await client.get("/console/login/sso")  # a new attempt: a new verifier
    _, state = provider.authorize(second.headers["location"])
    back = await client.get("/console/login/callback", params={"code": stolen, "state": state})
    assert back.status_code == 303 and "error=" in back.headers["location"]
    assert "spotcheck_session" not in client.cookies
    shown = await client.get(back.headers["location"])
    assert "统一身份认证拒绝了本次登录（400）" in shown.text
