"""Bearer tokens: roles are checked, refusals name the missing role, districts are isolated."""

from __future__ import annotations

import time
from typing import Annotated

import httpx
import jwt
import pytest
from fastapi import FastAPI

from spotcheck_common.auth import Authenticator, Principal, require, startup_refusals
from spotcheck_common.roles import Role
from spotcheck_common.settings import Settings

from ..helpers import kernel_app

SETTINGS = Settings(district="lingang", auth_secret="s" * 32)


def app_with(settings: Settings = SETTINGS) -> FastAPI:
    app = FastAPI()
    app.state.authenticator = Authenticator(settings)

    @app.post("/approve")
    async def approve(
        who: Annotated[Principal, require(Role.DEPUTY_DIRECTOR, Role.DIRECTOR_MEETING)],
    ) -> dict[str, str]:
        return {"by": who.user}

    return app


async def call(token: str | None, app: FastAPI | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app or app_with())
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/approve", headers=headers)


def token(roles: list[Role], **kw: object) -> str:
    return Authenticator(SETTINGS).issue("u1", roles, **kw)  # type: ignore[arg-type]


async def test_a_holder_of_an_accepted_role_passes() -> None:
    response = await call(token([Role.DEPUTY_DIRECTOR]))
    assert response.status_code == 200 and response.json() == {"by": "u1"}


async def test_a_missing_role_is_named_in_the_refusal() -> None:
    response = await call(token([Role.INSPECTOR]))
    assert response.status_code == 403
    assert "分管局长(deputy_director)" in response.json()["detail"]


async def test_no_token_is_401_and_a_forged_one_too() -> None:
    assert (await call(None)).status_code == 401
    forged = jwt.encode(
        {
            "sub": "x",
            "roles": ["deputy_director"],
            "iss": "spotcheck-local",
            "aud": "spotcheck",
            "exp": 9999999999,
            "district": "lingang",
        },
        "another-secret-of-enough-length-000",
        algorithm="HS256",
    )
    response = await call(forged)
    assert response.status_code == 401 and "令牌无效" in response.json()["detail"]


async def test_an_expired_token_is_refused() -> None:
    expired = Authenticator(SETTINGS).issue("u1", [Role.DEPUTY_DIRECTOR], ttl_s=-10)
    assert (await call(expired)).status_code == 401


async def test_another_districts_token_is_refused() -> None:
    response = await call(token([Role.DEPUTY_DIRECTOR], district="huancui"))
    assert response.status_code == 403 and "huancui" in response.json()["detail"]


async def test_without_keys_nothing_is_admitted() -> None:
    app = app_with(Settings(district="lingang"))
    response = await call(token([Role.DEPUTY_DIRECTOR]), app)
    assert response.status_code == 503


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_a_chinese_label(role: Role) -> None:
    from spotcheck_common.auth import ROLE_LABELS

    assert ROLE_LABELS[role]


def signed(**claims: object) -> str:
    """A token signed with the right key whose claims the test chooses."""
    now = int(time.time())
    base: dict[str, object] = {
        "sub": "u1",
        "iss": "spotcheck-local",
        "aud": "spotcheck",
        "iat": now,
        "exp": now + 3600,
        "district": "lingang",
        "roles": ["deputy_director"],
    }
    return jwt.encode({**base, **claims}, SETTINGS.auth_secret, algorithm="HS256")


@pytest.mark.parametrize(
    ("claims", "field"),
    [
        ({"roles": "deputy_director"}, "roles"),
        ({"roles": [1, 2]}, "roles"),
        ({"roles": {"deputy_director": True}}, "roles"),
        ({"district": ["lingang"]}, "district"),
        ({"name": 42}, "name"),
        ({"sub": ""}, "sub"),
    ],
)
async def test_a_claim_of_the_wrong_type_is_a_401_naming_it(
    claims: dict[str, object], field: str
) -> None:
    response = await call(signed(**claims))
    assert response.status_code == 401
    assert "令牌声明不符合要求" in response.json()["detail"] and field in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_token_without_its_issue_time_is_refused() -> None:
    now = int(time.time())
    claims = {"sub": "u1", "iss": "spotcheck-local", "aud": "spotcheck", "exp": now + 60}
    response = await call(jwt.encode(claims, SETTINGS.auth_secret, algorithm="HS256"))
    assert response.status_code == 401 and "iat" in response.json()["detail"]


async def test_a_token_living_longer_than_allowed_is_refused() -> None:
    now = int(time.time())
    too_long = signed(iat=now, exp=now + SETTINGS.auth_max_token_lifetime_s + 1)
    response = await call(too_long)
    assert response.status_code == 401 and "有效期超过 12 小时" in response.json()["detail"]
    just_right = signed(iat=now, exp=now + SETTINGS.auth_max_token_lifetime_s)
    assert (await call(just_right)).status_code == 200


def test_the_local_issuer_never_mints_beyond_the_maximum_lifetime() -> None:
    token = Authenticator(SETTINGS).issue("u1", [Role.INSPECTOR], ttl_s=30 * 24 * 3600)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == SETTINGS.auth_max_token_lifetime_s


@pytest.mark.parametrize(
    ("settings", "refused"),
    [
        (Settings(auth_local_issuer=True), "只能在演示模式"),
        (Settings(auth_local_issuer=True, auth_secret="s" * 32), "只能在演示模式"),
        (Settings(), "未配置令牌验证密钥"),
        (Settings(demo=True), "未配置令牌验证密钥"),
    ],
)
def test_a_process_refuses_to_start_with_the_demo_issuer_or_without_a_key(
    settings: Settings, refused: str
) -> None:
    assert any(refused in r for r in startup_refusals(settings))


@pytest.mark.parametrize(
    "settings",
    [
        Settings(auth_jwks_url="https://sso.example/certs"),
        Settings(auth_secret="s" * 32),
        Settings(demo=True, auth_local_issuer=True),  # make run: the secret is made at start
    ],
)
def test_a_process_with_a_key_or_in_demo_mode_may_start(settings: Settings) -> None:
    assert startup_refusals(settings) == []


async def test_the_demo_issuer_is_served_only_in_demo_mode() -> None:
    def app(demo: bool) -> FastAPI:
        return kernel_app(Settings(auth_secret="s" * 32, auth_local_issuer=True, demo=demo))

    async def post(application: FastAPI) -> int:
        transport = httpx.ASGITransport(application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            body = {"user": "u", "roles": ["credit_dept"]}
            return (await client.post("/auth/token", json=body)).status_code

    assert await post(app(demo=True)) == 200
    assert await post(app(demo=False)) == 404


async def test_the_demo_issuer_mints_a_liaisons_agency_and_whoami_says_it() -> None:
    """第三条: an agency's liaison acts for the agency its token's ``agency`` claim names."""
    app = kernel_app(Settings(auth_secret="s" * 32, auth_local_issuer=True, demo=True))
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        body = {"user": "han.tax", "roles": ["agency_liaison"], "agency": "tax"}
        token = (await client.post("/auth/token", json=body)).json()["access_token"]
        who = await client.get("/auth/whoami", headers={"Authorization": f"Bearer {token}"})
    assert jwt.decode(token, options={"verify_signature": False})["agency"] == "tax"
    assert (who.json()["roles"], who.json()["agency"]) == (["agency_liaison"], "tax")


def test_spotcheck_serve_exits_with_the_reason_before_serving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from spotcheck_common import runner

    for name in ("AUTH_SECRET", "AUTH_PUBLIC_KEY", "AUTH_JWKS_URL", "DEMO"):
        monkeypatch.delenv(f"SPOTCHECK_{name}", raising=False)
    monkeypatch.setenv("SPOTCHECK_AUTH_LOCAL_ISSUER", "true")
    monkeypatch.setattr(runner, "get_settings", lambda: Settings())
    monkeypatch.setattr(runner, "create_app", lambda *a: pytest.fail("must not build the app"))
    with pytest.raises(SystemExit) as exited:
        runner.main(["--target=all", "serve"])
    assert "refuses to start" in str(exited.value) and "只能在演示模式" in str(exited.value)
