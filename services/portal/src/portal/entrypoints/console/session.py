"""Signing in and out, and the console's home: what awaits the person signed in.

In production the bureau's single sign-on issues the token (OIDC); in ``make run`` the demo
issuer does, and the sign-in page lists the demo people by role.
"""

from __future__ import annotations

import base64
import hmac
import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.adapters.oidc import Provider, SignInFailed
from portal.entrypoints.web import COOKIE, SignedIn, api_of, render, see_other
from portal.service_layer import awaiting

router = APIRouter(prefix="/console", include_in_schema=False)

# The demo district's people (make run): user, name, roles, department, inspector or USCC
# or, for an agency's liaison (第三条), the agency's code (its token's ``agency`` claim).
DEMO_PEOPLE = [
    ("zhang.credit", "张信用", "credit_dept", "信用监管科", ""),
    ("zhao.reg", "赵规范", "supervising_dept", "市场规范管理科", ""),
    ("sun.quality", "孙质量", "supervising_dept", "产品质量安全监督管理科", ""),
    ("li.office", "李办公", "general_office", "办公室", ""),
    ("zhou.office", "周监督", "general_office", "办公室", ""),
    ("wang.deputy", "王分管", "deputy_director", "", ""),
    ("meeting", "局长办公会", "director_meeting", "", ""),
    ("station.cmz", "草庙子所", "station", "草庙子市场监管所", ""),
    ("LG0001", "执法人员 LG0001", "inspector", "信用监管科", "LG0001"),
    ("LG0002", "执法人员 LG0002", "inspector", "市场规范管理科", "LG0002"),
    ("ZJ0001", "专家 ZJ0001", "expert", "", "ZJ0001"),
    ("han.tax", "韩联络（税务局）", "agency_liaison", "国家税务总局威海市临港区税务局", "tax"),
]


def _safe_next(target: str) -> str:
    """Only a path of this site (never another origin) after signing in."""
    if target.startswith("/") and not target.startswith("//"):
        return target
    return "/console"


SIGN_IN_COOKIE = "spotcheck_sign_in"  # one sign-in through the provider under way


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/console", error: str = "") -> HTMLResponse:
    return render(
        request,
        "console/login.html",
        people=DEMO_PEOPLE,
        next=_safe_next(next),
        sso=_provider(request) is not None,
        error=error,
    )


def _provider(request: Request) -> Provider | None:
    provider: Provider | None = getattr(request.app.state, "portal_oidc", None)
    return provider


@router.get("/login/sso")
async def sso_begin(request: Request, next: str = "/console") -> Response:
    """Off to the bureau's single sign-on, with a state and a PKCE verifier kept in a
    short-lived cookie (SameSite=Lax: it must come back with the provider's redirect)."""
    provider = _provider(request)
    if provider is None:
        return see_other("/console/login")
    try:
        attempt = await provider.begin()
    except SignInFailed as exc:
        return see_other("/console/login?" + _query(error=str(exc)))
    pending = {"state": attempt.state, "verifier": attempt.verifier, "next": _safe_next(next)}
    response = RedirectResponse(attempt.url, status_code=303)
    response.set_cookie(
        SIGN_IN_COOKIE,
        base64.urlsafe_b64encode(json.dumps(pending).encode()).decode(),
        max_age=600,
        path="/console/login",
        httponly=True,
        samesite="lax",
        secure=request.app.state.portal_secure_cookie,
    )
    return response


@router.get("/login/callback", response_class=HTMLResponse)
async def sso_callback(
    request: Request, code: str = "", state: str = "", error: str = ""
) -> Response:
    provider, pending = _provider(request), _pending(request)
    if provider is None or pending is None:
        return see_other("/console/login?" + _query(error="登录已超时，请重新登录"))
    if error or not code:
        return see_other("/console/login?" + _query(error=f"统一身份认证未完成登录（{error}）"))
    if not hmac.compare_digest(state, pending.get("state", "")):
        return see_other("/console/login?" + _query(error="登录请求与应答不符，请重新登录"))
    try:
        token = await provider.finish(code, pending.get("verifier", ""))
    except SignInFailed as exc:
        return see_other("/console/login?" + _query(error=str(exc)))
    # The provider's redirect is a cross-site navigation: a SameSite=Strict cookie set now is
    # sent only from the next navigation this page starts itself.
    response = render(request, "console/entering.html", next=_safe_next(pending.get("next", "")))
    _set_session(request, response, token)
    response.delete_cookie(SIGN_IN_COOKIE, path="/console/login")
    return response


def _pending(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(SIGN_IN_COOKIE, "")
    try:
        found = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _query(**params: str) -> str:
    return urlencode(params)


def _set_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https" or request.app.state.portal_secure_cookie,
        max_age=8 * 3600,
    )


@router.post("/login")
async def login(
    request: Request,
    user: Annotated[str, Form(min_length=1, max_length=64)],
    role: Annotated[str, Form(min_length=1, max_length=32)],
    name: Annotated[str, Form(max_length=64)] = "",
    department: Annotated[str, Form(max_length=64)] = "",
    inspector_id: Annotated[str, Form(max_length=64)] = "",
    uscc: Annotated[str, Form(max_length=18)] = "",
    agency: Annotated[str, Form(max_length=31)] = "",
    next: Annotated[str, Form()] = "/console",
) -> Response:
    claims = {"name": name, "department": department, "uscc": uscc.strip().upper()}
    if role in ("inspector", "expert"):
        claims["inspector_id"] = inspector_id or user
    if role == "agency_liaison":
        claims["agency"] = agency.strip()
    body = {"user": user, "roles": [role], **{k: v for k, v in claims.items() if v}}
    try:
        token = (await api_of(request).post("/auth/token", body))["access_token"]
    except ApiError as exc:
        reason = exc.reason if exc.status != 404 else "本系统未开启演示登录：请通过统一身份认证登录"
        return render(
            request,
            "console/login.html",
            status_code=exc.status,
            error=reason,
            people=DEMO_PEOPLE,
            next=_safe_next(next),
            sso=_provider(request) is not None,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_session(request, response, token)
    return response


@router.post("/logout")
async def logout() -> Response:
    response = see_other("/", "已退出登录")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
async def home(request: Request, session: SignedIn) -> HTMLResponse:
    me = session.me
    person = awaiting.Person(me.district, me.inspector_id, me.department, me.agency)
    items = await awaiting.of(session.api, session.me.roles, person)
    return render(request, "console/home.html", session=session, items=items)
