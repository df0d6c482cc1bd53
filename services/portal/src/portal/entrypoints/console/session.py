"""Signing in and out, and the console's home: what awaits the person signed in.

In production the bureau's single sign-on issues the token (OIDC); in ``make run`` the demo
issuer does, and the sign-in page lists the demo people by role.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.entrypoints.web import COOKIE, SignedIn, api_of, render, see_other
from portal.service_layer import awaiting

router = APIRouter(prefix="/console", include_in_schema=False)

# The demo district's people (make run): user, name, roles, department, inspector or USCC.
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
]


def _safe_next(target: str) -> str:
    """Only a path of this site (never another origin) after signing in."""
    if target.startswith("/") and not target.startswith("//"):
        return target
    return "/console"


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/console") -> HTMLResponse:
    return render(request, "console/login.html", people=DEMO_PEOPLE, next=_safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    user: Annotated[str, Form(min_length=1, max_length=64)],
    role: Annotated[str, Form(min_length=1, max_length=32)],
    name: Annotated[str, Form(max_length=64)] = "",
    department: Annotated[str, Form(max_length=64)] = "",
    inspector_id: Annotated[str, Form(max_length=64)] = "",
    uscc: Annotated[str, Form(max_length=18)] = "",
    next: Annotated[str, Form()] = "/console",
) -> Response:
    claims = {"name": name, "department": department, "uscc": uscc.strip().upper()}
    if role in ("inspector", "expert"):
        claims["inspector_id"] = inspector_id or user
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
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https" or request.app.state.portal_secure_cookie,
        max_age=8 * 3600,
    )
    return response


@router.post("/logout")
async def logout() -> Response:
    response = see_other("/", "已退出登录")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
async def home(request: Request, session: SignedIn) -> HTMLResponse:
    items = await awaiting.of(session.api, session.me.roles)
    return render(request, "console/home.html", session=session, items=items)
