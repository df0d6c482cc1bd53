"""Bearer tokens: roles are checked, refusals name the missing role, districts are isolated."""

from __future__ import annotations

from typing import Annotated

import httpx
import jwt
import pytest
from fastapi import FastAPI

from spotcheck_common.auth import Authenticator, Principal, require
from spotcheck_common.roles import Role
from spotcheck_common.settings import Settings

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
