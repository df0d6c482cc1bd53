"""The HTTP side every service shares: app factory, health, metrics, errors, the acting user."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spotcheck_common.auth import Authenticator, Principal, current_principal, has_verification_key
from spotcheck_common.bus import EventBus
from spotcheck_common.db import MAX_OFFSET
from spotcheck_common.errors import (
    Conflict,
    Corrupted,
    DomainError,
    Forbidden,
    NotFound,
    TooLarge,
    Unavailable,
)
from spotcheck_common.loops import pause
from spotcheck_common.metrics import HTTP_REQUESTS
from spotcheck_common.roles import Role
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.validation import errors_zh

log = logging.getLogger(__name__)


# Each error class of the one hierarchy (``spotcheck_common.errors``) and its HTTP status; the
# nearest class in an error's MRO decides, a plain DomainError is 422.
STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    TooLarge: 413,
    Unavailable: 503,
    Corrupted: 500,
    DomainError: 422,
}


def status_of(error: DomainError) -> int:
    return next(STATUS[cls] for cls in type(error).__mro__ if cls in STATUS)


class FieldRefusal(BaseModel):
    field: str = Field(description="出错的字段")
    reason: str = Field(description="原因")


class Refusal(BaseModel):
    """Every refusal: the reason in Chinese, and the fields at fault where there are any."""

    model_config = ConfigDict(extra="allow")

    detail: str = Field(description="拒绝的理由")
    errors: list[FieldRefusal] | None = None


REFUSALS = {
    401: "未登录或令牌无效",
    403: "缺少所需角色，或无权对该对象执行此操作",
    404: "不存在",
    409: "当前状态不允许此操作",
    413: "内容过大",
    422: "内容不符合要求（指明字段和原因）",
    503: "所需的配置或服务不可用",
}


# Paging parameters of every listing: bounded, so no number reaches the database that it
# cannot hold (a 64-bit overflow was a 500 on nine listings, two of them public).
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="跳过的条数")]


def refusals(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the refusals a route may answer with: each status with the
    ``Refusal`` body and a description (a keyword ``s403="…"`` replaces the default)."""
    answers: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description = described.get(f"s{status}") or REFUSALS.get(status)
        if not description:
            raise ValueError(f"refusals(): status {status} needs a description (s{status}=...)")
        answers[status] = {"model": Refusal, "description": description}
    return answers


def build_app(
    runtimes: Sequence[ServiceRuntime],
    title: str,
    on_ready: Callable[[], Awaitable[None]] | None = None,
) -> FastAPI:
    """One app for the services of this process: their routers and dependencies, the shared
    error mapping, health, readiness and metrics, the API documents' pages from this process's
    own assets, the security headers, and their lifecycle."""
    started = {"ok": False}
    app = FastAPI(
        title=title,
        version="0.1.0",
        lifespan=_lifespan(runtimes, on_ready, started),
        docs_url=None,  # FastAPI's pages load their scripts from a CDN: ours are served here
        redoc_url=None,
        # One server span per request, continuing the caller's trace; none for probes and
        # scrapes, nor for each dependency and serialisation step.
        telemetry={"exclude": _untraced, "operation_spans": False},
    )
    if runtimes:
        settings = runtimes[0].settings
        app.state.authenticator = Authenticator(settings)
        if settings.auth_local_issuer and settings.demo:
            app.include_router(local_issuer(app.state.authenticator))
        app.include_router(whoami_router())
    _handle_errors(app)
    _document_refusals(app)
    app.include_router(_ops_router(runtimes, started))
    _documentation(app)
    app.state.services = {}  # each service's dependencies, built once by its bootstrap
    for rt in runtimes:
        deps = rt.definition.bootstrap(rt) if rt.definition.bootstrap is not None else None
        app.state.services[rt.name] = deps
        for router in rt.definition.routers:
            app.include_router(router)
        for front in rt.definition.fronts:  # the innermost middleware: the last added is outer
            app.add_middleware(front, deps)
    if runtimes:  # inside the observing middleware, which would wrap its refusal
        app.add_middleware(BodyLimit, settings=runtimes[0].settings)
    app.add_middleware(
        Observe, max_in_flight=runtimes[0].settings.http_max_in_flight if runtimes else 1024
    )
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, refusals included
    return app


# How long startup waits for the broker before it serves without it (and keeps trying).
BUS_START_WAIT_S = 10.0


async def start_bus(bus: EventBus, stop: asyncio.Event, first_delay_s: float = 1.0) -> None:
    """Start the bus, again and again while the broker cannot be reached: a process started
    during a Kafka outage serves its HTTP API meanwhile (the public site above all; /readyz is
    the database, /healthz/bus reports Kafka), its outbox keeps what it writes until the relay
    can send it, and its consumers begin once the broker answers."""
    delay = first_delay_s
    while not stop.is_set():
        try:
            await bus.start()
            return
        except Exception as exc:
            log.warning(
                "bus not reachable; the service runs without it and tries again",
                extra={"fields": {"error": repr(exc), "retry_in_s": delay}},
            )
            await pause(stop, delay)
            delay = min(delay * 2, 30.0)


def _lifespan(
    runtimes: Sequence[ServiceRuntime],
    on_ready: Callable[[], Awaitable[None]] | None,
    started: dict[str, bool],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Migrate, start the bus, the relays and the periodic work; on shutdown stop them all."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []  # relays and periodic work, ended by ``stop``
        for rt in runtimes:
            await rt.migrate()
        if runtimes:
            # Started here when the broker answers; otherwise in the background, retried.
            starting = asyncio.create_task(start_bus(runtimes[0].bus, stop))
            await asyncio.wait({starting}, timeout=BUS_START_WAIT_S)
            tasks.append(starting)
        for rt in runtimes:
            tasks.extend(await rt.start(stop))
        if on_ready is not None:
            await on_ready()
        started["ok"] = True
        log.info("ready", extra={"fields": {"services": [rt.name for rt in runtimes]}})
        yield
        stop.set()
        for rt in runtimes:
            rt.relay.wake()
        await asyncio.gather(*tasks, return_exceptions=True)
        if runtimes:
            await runtimes[0].bus.stop()
        for rt in runtimes:
            await rt.db.dispose()

    return lifespan


def _handle_errors(app: FastAPI) -> None:
    """Refusals as 4xx with the reason in Chinese (and the fields at fault)."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = errors_zh(exc.errors())
        summary = "；".join(f"{e['field']}：{e['reason']}" for e in errors[:5])
        return JSONResponse(
            status_code=422, content={"detail": f"请求内容不符合要求：{summary}", "errors": errors}
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # A body the framework cannot parse (bad JSON, multipart without a boundary: its only
        # 400s; spotcheck raises none) is a 422 like any other invalid request, in Chinese.
        if exc.status_code == 400:
            reason = f"请求体无法解析：格式或编码不正确（{exc.detail}）"
            return JSONResponse(status_code=422, content={"detail": reason})
        return await http_exception_handler(request, exc)

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(
            status_code=status_of(exc), content={"detail": exc.reason, **exc.details}
        )


def _document_refusals(app: FastAPI) -> None:
    """Complete each operation's documented answers with what the kernel answers for every
    route: 401/403 where a token is required, 404 where the path names something, 422 as a
    ``Refusal`` (the validation handler's body, not FastAPI's default)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, routes=app.routes, servers=app.servers
            )
            for path, item in schema.get("paths", {}).items():
                for operation in item.values():
                    _complete(path, operation)
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
            schemas.setdefault("Refusal", Refusal.model_json_schema(ref_template=_REF))
            schemas.setdefault("FieldRefusal", FieldRefusal.model_json_schema(ref_template=_REF))
            schemas["Refusal"].pop("$defs", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_REF = "#/components/schemas/{model}"


def _complete(path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    wanted = {"422"} if "422" in responses or "requestBody" in operation else set()
    if operation.get("security"):
        wanted |= {"401", "403"}
    if "{" in path:
        wanted.add("404")
    refusal = {"application/json": {"schema": {"$ref": _REF.format(model="Refusal")}}}
    for status in sorted(wanted):
        answer = responses.setdefault(status, {"description": REFUSALS[int(status)]})
        if answer.get("description") == "Validation Error":  # FastAPI's default
            answer["description"] = REFUSALS[422]
        answer["content"] = refusal


# Bodies that are documents (JSON, forms) are small; files (imports, attachments) may be large.
_DOCUMENT_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain")


class BodyLimit:
    """Refuses a request body beyond its limit with a 413 before it is read into memory (by its
    Content-Length) or as soon as it grows past it (a chunked body): a JSON or form body may
    have ``body_max_bytes``; a file is a backstop above ``import_max_bytes`` (the routes that
    take files count them against their own, smaller limits and say which)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        limit = self.settings.body_max_bytes
        if kind not in _DOCUMENT_TYPES:
            limit += self.settings.import_max_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:  # an HTTPException: FastAPI re-raises it while parsing a body
                raise HTTPException(413, _too_large_reason(limit))
            return message

        await self.app(scope, counted, send)


def _too_large_reason(limit: int) -> str:
    return f"请求体超过上限 {limit // 1024} KiB"


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(status_code=413, content={"detail": _too_large_reason(limit)})


# Polled by probes and scrapers: not worth a trace each (they are still counted).
UNTRACED = ("/healthz", "/readyz", "/metrics", "/static/")


def _untraced(scope: Any) -> bool:
    return str(scope.get("path", "")).startswith(UNTRACED)


class Observe:
    """The Prometheus metrics of every answer (FastAPI opens the server span itself: W3C
    context from the headers, ``telemetry`` in build_app), and the process's limit of requests
    in flight: beyond ``http_max_in_flight`` a request is answered 503 at once, with
    ``Retry-After``, instead of queueing behind the others until every client has given up
    (probes and scrapes are never refused). A plain ASGI middleware: Starlette's
    ``BaseHTTPMiddleware`` runs every request through a task and memory streams."""

    def __init__(self, app: ASGIApp, max_in_flight: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        if self.in_flight >= self.max_in_flight and not _untraced(scope):
            await _overloaded(scope, receive, send)
            _observed(scope, 503, start, "overloaded")
            return
        status = 500  # what the server answers if the app raises before it starts an answer

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.in_flight += 1
        try:
            await self.app(scope, receive, observed)
        finally:
            self.in_flight -= 1
            route = scope.get("route")
            _observed(scope, status, start, getattr(route, "path", "unmatched"))


def _observed(scope: Scope, status: int, start: float, route: str) -> None:
    HTTP_REQUESTS.labels(scope["method"], route, str(status)).observe(time.perf_counter() - start)


_overloaded = JSONResponse(
    status_code=503,
    content={"detail": "服务繁忙，请稍后重试"},
    headers={"Retry-After": "1"},
)


# --- Security headers -------------------------------------------------------------------------

# Every answer: this origin only, for scripts, styles, fonts, images, connections and frames.
POLICY: dict[str, str] = {
    "default-src": "'self'",
    "img-src": "'self' data: blob:",
    "style-src": "'self'",
    "script-src": "'self'",
    "worker-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def content_security_policy(**directives: str) -> str:
    """The app's policy with some directives replaced (``script_src="'self' 'sha256-…'"``)."""
    policy = POLICY | {name.replace("_", "-"): value for name, value in directives.items()}
    return "; ".join(f"{name} {value}" for name, value in policy.items())


CSP = content_security_policy()
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    # Browsers must never guess a type (an uploaded attachment served back as HTML).
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every answer that has not set its own (a page with a
    stricter or a wider policy keeps it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


# --- The API documents' pages, from this process's own assets ---------------------------------

# Third-party scripts and styles, vendored by infra/web/vendor.sh (git-ignored; in the wheel).
VENDOR_DIR = Path(__file__).parent / "assets" / "vendor"
VENDOR_URL = "/assets/vendor"
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_digests: dict[str, str] = {}


def vendor_url(path: str, root_path: str = "") -> str:
    """The URL of a vendored file, versioned by its content (``?v=``): cached for a year."""
    if path not in _digests:
        try:
            content = (VENDOR_DIR / path).read_bytes()
        except FileNotFoundError:
            return f"{root_path}{VENDOR_URL}/{path}"  # not vendored: a 404, and logged
        _digests[path] = hashlib.sha256(content).hexdigest()[:16]
    return f"{root_path}{VENDOR_URL}/{path}?v={_digests[path]}"


class VendorFiles(StaticFiles):
    """The vendored files: immutable when asked for by a versioned URL, else revalidated."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        versioned = "v" in parse_qs(scope.get("query_string", b"").decode("latin-1"))
        cache = "public, max-age=31536000, immutable" if versioned else "no-cache"
        response.headers["Cache-Control"] = cache
        kind = _TYPES.get(Path(full_path).suffix)
        if kind and "content-type" in response.headers:  # not the system's mime.types
            response.headers["Content-Type"] = kind
        return response


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)


def _page(response: HTMLResponse, **directives: str) -> tuple[bytes, str]:
    """The page and a policy allowing exactly its own inline scripts (by their sha256)."""
    body = bytes(response.body)
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(body.decode())
    ]
    return body, content_security_policy(script_src=" ".join(["'self'", *hashes]), **directives)


# Swagger UI and ReDoc write inline styles; ReDoc's search runs in a worker made from a blob.
_DOCS_STYLES = "'self' 'unsafe-inline'"


def _documentation(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` as FastAPI makes them, but every script, style and
    icon from ``/assets/vendor`` (the public CDN is unreachable on a bureau's intranet), and
    each page with the policy its own inline script and styles need, nothing wider."""
    if not (VENDOR_DIR / "VERSIONS.txt").is_file():
        log.warning("web assets not vendored (run infra/web/vendor.sh): /docs and /redoc are blank")
    app.mount(VENDOR_URL, VendorFiles(directory=VENDOR_DIR, check_dir=False), name="vendor")
    openapi_url = app.openapi_url
    oauth2_url = app.swagger_ui_oauth2_redirect_url
    if not openapi_url:
        return
    pages: dict[tuple[str, str], tuple[bytes, str]] = {}  # by (page, root path): made once

    def swagger(root: str) -> tuple[bytes, str]:
        return _page(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=vendor_url("swagger-ui/swagger-ui-bundle.js", root),
                swagger_css_url=vendor_url("swagger-ui/swagger-ui.css", root),
                swagger_favicon_url=vendor_url("swagger-ui/favicon-32x32.png", root),
                oauth2_redirect_url=root + oauth2_url if oauth2_url else None,
                init_oauth=app.swagger_ui_init_oauth,
                # no badge from validator.swagger.io
                swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
            ),
            style_src=_DOCS_STYLES,
        )

    def redoc(root: str) -> tuple[bytes, str]:
        return _page(
            get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=vendor_url("redoc/redoc.standalone.js", root),
                redoc_favicon_url=vendor_url("swagger-ui/favicon-32x32.png", root),
                with_google_fonts=False,
            ),
            style_src=_DOCS_STYLES,
            worker_src="'self' blob:",
        )

    def oauth2_redirect(_: str) -> tuple[bytes, str]:
        return _page(get_swagger_ui_oauth2_redirect_html())

    def serve(
        name: str, make: Callable[[str], tuple[bytes, str]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def page(request: Request) -> Response:
            root = str(request.scope.get("root_path", "")).rstrip("/")
            if (name, root) not in pages:
                pages[name, root] = make(root)
            body, policy = pages[name, root]
            return HTMLResponse(body, headers={"Content-Security-Policy": policy})

        return page

    app.add_api_route("/docs", serve("docs", swagger), include_in_schema=False)
    app.add_api_route("/redoc", serve("redoc", redoc), include_in_schema=False)
    if oauth2_url:
        app.add_api_route(oauth2_url, serve("oauth2", oauth2_redirect), include_in_schema=False)


class Health(BaseModel):
    status: str = Field(description="ok：进程存活")
    services: list[str] = Field(description="本进程运行的服务")


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, str] = Field(description="各项检查：数据库、令牌验证密钥")


class BusHealth(BaseModel):
    bus: str = Field(description="ok：消息总线可达")


def _ops_router(runtimes: Sequence[ServiceRuntime], started: dict[str, bool]) -> APIRouter:
    router = APIRouter(tags=["ops"])

    # A route, not a mounted app: a mount answers /metrics with a redirect to /metrics/.
    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @router.get("/healthz", summary="存活检查")
    async def healthz() -> Health:
        return Health(status="ok", services=[rt.name for rt in runtimes])

    # Readiness is the database's (and the token key's), never Kafka's: the outbox keeps the
    # events of a Kafka outage and the relay sends them afterwards, while an unready pod would
    # take every district's public site off the Service. Kafka is reported by /healthz/bus.
    @router.get(
        "/readyz",
        summary="就绪检查（数据库可达，令牌验证密钥已配置；不含消息总线）",
        responses={
            200: {"model": Readiness, "description": "就绪"},
            503: {"model": Readiness, "description": "未就绪"},
        },
    )
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        for rt in runtimes:
            try:
                await rt.db.ping()
                checks[f"db:{rt.name}"] = "ok"
            except Exception as exc:
                checks[f"db:{rt.name}"] = f"error: {exc}"
        if runtimes:
            configured = has_verification_key(runtimes[0].settings)
            checks["auth"] = "ok" if configured else "error: 未配置令牌验证密钥"
        ok = started["ok"] and all(v == "ok" for v in checks.values())
        body = Readiness(ready=ok, checks=checks).model_dump()
        return JSONResponse(status_code=200 if ok else 503, content=body)

    @router.get(
        "/healthz/bus",
        summary="消息总线检查（运维监控用，不影响就绪）",
        responses={
            200: {"model": BusHealth, "description": "可达"},
            503: {"model": BusHealth, "description": "不可达"},
        },
    )
    async def bus_health() -> JSONResponse:
        ok = not runtimes or await runtimes[0].bus.ready()
        return JSONResponse(
            status_code=200 if ok else 503, content={"bus": "ok" if ok else "error"}
        )

    return router


class TokenRequest(BaseModel):
    user: str = Field(min_length=1)
    roles: list[Role]
    name: str = ""
    department: str = ""
    inspector_id: str = ""
    uscc: str = ""
    agency: str = ""  # 第三条: the co-organising agency an agency_liaison acts for


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class WhoAmI(BaseModel):
    user: str
    district: str
    roles: list[Role]
    department: str
    name: str = ""
    inspector_id: str = ""
    uscc: str = ""
    agency: str = ""


def local_issuer(auth: Authenticator) -> APIRouter:
    """Demo sign-in for ``make run``: any user, any roles. Never enabled in production."""
    router = APIRouter(prefix="/auth", tags=["auth"])

    @router.post("/token", summary="本地签发令牌（仅演示环境）")
    async def token(body: TokenRequest) -> TokenOut:
        extra = {
            k: v
            for k, v in body.model_dump(
                include={"name", "department", "inspector_id", "uscc", "agency"}
            ).items()
            if v
        }
        return TokenOut(access_token=auth.issue(body.user, body.roles, **extra))

    return router


def whoami_router() -> APIRouter:
    router = APIRouter(prefix="/auth", tags=["auth"])

    @router.get("/whoami", summary="当前用户")
    async def whoami(principal: Annotated[Principal, Depends(current_principal)]) -> WhoAmI:
        return WhoAmI(
            user=principal.user,
            district=principal.district,
            roles=sorted(principal.roles),
            department=principal.department,
            name=principal.name,
            inspector_id=principal.inspector_id,
            uscc=principal.uscc,
            agency=str(principal.claims.get("agency") or ""),
        )

    return router
