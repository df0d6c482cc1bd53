"""The seven services' HTTP APIs, as the web application reaches them.

The portal owns no data: every page is made of answers of the services' public and staff APIs,
called with the signed-in person's own token, so the services decide what each person may see
and do. In all-in-one mode the calls stay in the process (httpx's ASGI transport on the same
app); otherwise they go to the URLs the settings name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from spotcheck_common.tracing import inject_current

SERVICES = ("registry", "planning", "draws", "inspections", "publication", "objections", "archives")

# Public paths and the service that answers them.
_PUBLIC = {
    "/public/draws": "draws",
    "/public/calendar": "registry",
    "/public/check-items": "registry",
    "/public/results": "publication",
    "/public/plans": "publication",
    "/public/tasks": "publication",
}


def service_of(path: str) -> str:
    """The service whose API answers ``path`` (``/api/<service>/…`` or a public path)."""
    parts = path.split("/")
    if len(parts) > 2 and parts[1] == "api" and parts[2] in SERVICES:
        return parts[2]
    for prefix, service in _PUBLIC.items():
        if path == prefix or path.startswith(prefix + "/"):
            return service
    if path.startswith("/auth/"):
        return "registry"  # every service answers /auth; the registry is always deployed
    raise ValueError(f"no service answers {path}")


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


class ApiError(Exception):
    """A refusal of a service: its status, its reason in Chinese, the fields at fault."""

    def __init__(self, status: int, reason: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.errors = errors or []

    def field_reasons(self) -> dict[str, str]:
        """``{field: reason}``, the last component of a field's path as the key (a form's
        input names it)."""
        return {e.field.split(".")[-1]: e.reason for e in self.errors}


def _refusal(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, str):
        detail = {
            401: "请先登录（登录已过期）",
            403: "您没有办理此事项的权限",
            404: "未找到",
        }.get(response.status_code, f"服务暂时无法办理（{response.status_code}）")
    raw = body.get("errors", []) if isinstance(body, dict) else []
    errors = [
        FieldError(str(e.get("field", "")), str(e.get("reason", "")))
        for e in raw
        if isinstance(e, dict)
    ]
    field = body.get("field") if isinstance(body, dict) else None
    if not errors and isinstance(field, str) and field:  # a refusal of one named field
        errors = [FieldError(field, detail)]
    return ApiError(response.status_code, detail, errors)


@dataclass
class Api:
    """One person's calls: ``token`` is their bearer token (none: the public)."""

    clients: Mapping[str, httpx.AsyncClient]
    token: str = ""
    timeout: float = 30.0
    _headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self._headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def signed_in(self, token: str) -> Api:
        return Api(self.clients, token, self.timeout)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        service = service_of(path)
        # The page's trace continues in the service (its server span is the child of ours).
        headers = {**self._headers, **inject_current(), **kwargs.pop("headers", {})}
        try:
            response = await self.clients[service].request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:  # down, unreachable, too slow: say so, not a 500
            reason = f"服务暂时无法访问（{service}：{type(exc).__name__}），请稍后再试"
            raise ApiError(503, reason) from None
        if response.status_code >= 400:
            raise _refusal(response)
        return response

    async def get(self, path: str, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        return (await self.request("GET", path, params=query)).json()

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        if body is not None:
            kwargs["json"] = body
        response = await self.request("POST", path, **kwargs)
        return response.json() if response.content else None

    async def put(self, path: str, body: Any) -> Any:
        return (await self.request("PUT", path, json=body)).json()

    async def patch(self, path: str, body: Any) -> Any:
        return (await self.request("PATCH", path, json=body)).json()


def clients_for(
    local_app: Any | None, base_url: str, service_urls: Mapping[str, str]
) -> dict[str, httpx.AsyncClient]:
    """One client per service: in-process on ``local_app``, else at its URL (``service_urls``
    first, then ``base_url``, the cluster's gateway)."""
    if local_app is not None:
        shared = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=local_app), base_url="http://portal.local"
        )
        return dict.fromkeys(SERVICES, shared)
    missing = [s for s in SERVICES if not service_urls.get(s) and not base_url]
    if missing:
        raise SystemExit(
            "spotcheck portal: no URL for the services "
            + ", ".join(missing)
            + " (set SPOTCHECK_PORTAL_API_URL or SPOTCHECK_PORTAL_SERVICES)"
        )
    return {
        s: httpx.AsyncClient(base_url=service_urls.get(s) or base_url, timeout=30.0)
        for s in SERVICES
    }
