"""What every page of the web application shares: the templates, the signed-in session, the
form guard, the security headers, and how a refusal of a service reaches the page.

The session is the person's bearer token in an HttpOnly, SameSite=Strict cookie; forms carry a
token derived from it (a page of another origin can neither read the cookie nor compute it).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from portal.adapters.api import Api, ApiError
from portal.domain import labels

HERE = Path(__file__).parent
STATIC = HERE / "static"
COOKIE = "spotcheck_session"
STATIC_URL = "/static/portal"

# Pages of the portal: their own origin only; no inline script or style anywhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(static=STATIC_URL, labels=labels, role_label=labels.role_label)
templates.env.filters["zh"] = labels.zh
templates.env.filters["dt"] = labels.datetime_zh


@dataclass(frozen=True)
class Me:
    user: str
    district: str
    roles: frozenset[str]
    department: str = ""
    name: str = ""
    inspector_id: str = ""
    uscc: str = ""
    agency: str = ""  # 第三条: the co-organising agency an agency_liaison acts for

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def api_of(request: Request) -> Api:
    """The public's calls (no token)."""
    api: Api = request.app.state.portal_api
    return api


def csrf_of(token: str) -> str:
    return hashlib.sha256(b"spotcheck-form:" + token.encode()).hexdigest()[:32]


@dataclass
class Session:
    """The signed-in person: their calls, who they are, their form token."""

    api: Api
    me: Me
    csrf: str


async def _session(request: Request) -> Session:
    token = request.cookies.get(COOKIE, "")
    if not token:
        raise _to_login(request)
    api = api_of(request).signed_in(token)
    try:
        who = await api.get("/auth/whoami")
    except ApiError as exc:
        if exc.status in (401, 403):
            raise _to_login(request) from None
        raise
    me = Me(
        user=who["user"],
        district=who["district"],
        roles=frozenset(who["roles"]),
        department=who.get("department", ""),
        name=who.get("name", ""),
        inspector_id=who.get("inspector_id", ""),
        uscc=who.get("uscc", ""),
        agency=who.get("agency", ""),
    )
    return Session(api, me, csrf_of(token))


def _login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/console/login?" + urlencode({"next": target})


def _to_login(request: Request) -> HTTPException:
    return HTTPException(303, headers={"Location": _login_url(request)})


SignedIn = Annotated[Session, Depends(_session)]


async def _checked_form(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    token = request.cookies.get(COOKIE, "")
    if not token or not hmac.compare_digest(csrf, csrf_of(token)):
        raise HTTPException(403, "表单已过期或来源不明，请刷新页面后重试")


# On every form handler of the console: the form came from our own page.
CheckedForm = Depends(_checked_form)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, template, {"request": request, **context}, status_code=status_code
    )
    response.headers.update(HEADERS)
    return response


def refused(request: Request, template: str, error: ApiError, **context: Any) -> HTMLResponse:
    """The form again, with the service's reason above it and each field's reason beside
    the field (``errors``)."""
    status = error.status if 400 <= error.status < 500 else 502
    return render(
        request,
        template,
        status_code=status,
        error=error.reason,
        errors=error.field_reasons(),
        **context,
    )


HEADINGS = {404: "未找到", 403: "没有权限", 409: "当前状态不能办理", 502: "服务暂时无法办理"}


async def on_refusal(request: Request, exc: Exception) -> HTMLResponse | RedirectResponse:
    """A refusal of a service that no page handled itself: a signed-out person signs in; else
    a page with the service's reason (never a 500 for what the services refused)."""
    assert isinstance(exc, ApiError)
    if exc.status == 401:
        return RedirectResponse(_login_url(request), status_code=303)
    status = exc.status if 400 <= exc.status < 500 else 502
    back = "/console" if request.url.path.startswith("/console") else "/"
    return render(
        request,
        "refused.html",
        status_code=status,
        error=exc.reason,
        heading=HEADINGS.get(status, "未能办理"),
        back=back,
    )


def see_other(url: str, notice: str = "") -> RedirectResponse:
    if notice:
        url += ("&" if "?" in url else "?") + urlencode({"notice": notice})
    return RedirectResponse(url, status_code=303)


def download(answer: httpx.Response) -> Response:
    """A service's file passed on as it came: its type, name and SHA-256 (the service checked
    the bytes against it as it read them); nothing else of the service's headers."""
    kept = ("content-disposition", "x-content-sha256")
    headers = {k: v for k, v in answer.headers.items() if k.lower() in kept}
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={**headers, "X-Content-Type-Options": "nosniff"},
    )
