"""Every script, style and icon of ``/docs`` and ``/redoc`` comes from this process (a bureau's
intranet reaches no CDN), and every answer carries a Content Security Policy that names no
other origin: the documents' pages allow exactly their own inline script (by its hash)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import APIRouter, Response

from spotcheck_common.http import CSP, VENDOR_DIR
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET

from ..helpers import kernel_app

ROOT = Path(__file__).resolve().parents[4]
PAGES = ("/docs", "/redoc", "/docs/oauth2-redirect")
OWN_POLICY = "default-src 'none'; img-src 'self'"

router = APIRouter()


@router.get("/t/own-policy")
async def own_policy() -> Response:
    return Response("ok", headers={"Content-Security-Policy": OWN_POLICY})


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    if not (VENDOR_DIR / "VERSIONS.txt").is_file():
        pytest.fail("the web assets are not vendored: run infra/web/vendor.sh (make bootstrap)")
    app = kernel_app(Settings(district="lingang", auth_secret=TEST_SECRET), [router])
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in filter(None, (d.strip() for d in policy.split(";"))):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def inline_scripts(html: str) -> list[str]:
    return re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.DOTALL)


def referenced(html: str) -> list[str]:
    """The URLs the page loads: attributes, and the document the script or element names."""
    found = re.findall(r'\b(?:src|href|spec-url)="([^"]*)"', html)
    return found + re.findall(r"\burl: '([^']*)'", html)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_documents_pages_load_nothing_from_another_origin(
    client: httpx.AsyncClient, path: str
) -> None:
    page = await client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "//cdn" not in html and "fonts.googleapis" not in html
    for url in re.findall(r"(?:https?:)?//[^\s\"'<>]+", html):
        assert urlsplit(url).netloc in ("", "testserver"), url
    urls = referenced(html)
    assert urls, html
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), url


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_every_asset_a_page_references_is_served_with_its_type(
    client: httpx.AsyncClient, path: str
) -> None:
    html = (await client.get(path)).text
    kinds = {
        ".js": ("text/javascript", "application/javascript"),
        ".css": ("text/css",),
        ".png": ("image/png",),
        ".json": ("application/json",),
    }
    for url in referenced(html):
        answer = await client.get(url)
        assert answer.status_code == 200, url
        suffix = Path(urlsplit(url).path).suffix
        assert answer.headers["content-type"].startswith(kinds[suffix]), (url, answer.headers)
        assert answer.content, url
        if url.startswith("/assets/vendor/"):
            assert "?v=" in url  # versioned by content, so cached for good
            assert "immutable" in answer.headers["cache-control"]


async def test_a_vendored_file_without_a_version_is_revalidated(
    client: httpx.AsyncClient,
) -> None:
    for path in (
        "swagger-ui/swagger-ui-bundle.js",
        "swagger-ui/swagger-ui.css",
        "redoc/redoc.standalone.js",
        "echarts/echarts.min.js",
        "axe-core/axe.min.js",
    ):
        answer = await client.get(f"/assets/vendor/{path}")
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-cache"
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/assets/vendor/no-such.js")).status_code == 404
    assert (await client.get("/assets/vendor/../http.py")).status_code == 404


async def test_the_vendored_versions_are_those_of_the_lockfile() -> None:
    package = json.loads((ROOT / "web" / "package.json").read_text())
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text())
    vendored = (VENDOR_DIR / "VERSIONS.txt").read_text().split()
    wanted = {f"{name}@{version}" for name, version in package["dependencies"].items()}
    assert set(vendored) == wanted, "stale: run infra/web/vendor.sh"
    for name, version in package["dependencies"].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
        assert "resolved" not in lock["packages"][f"node_modules/{name}"]
        directory = {"swagger-ui-dist": "swagger-ui"}.get(name, name)
        assert (VENDOR_DIR / directory / "LICENSE").is_file(), name


@pytest.mark.parametrize(
    "path", ["/healthz", "/openapi.json", "/metrics", "/auth/whoami", "/nowhere", *PAGES]
)
async def test_every_answer_has_a_policy_naming_no_other_origin(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    policy = directives(answer.headers["content-security-policy"])
    for name, sources in policy.items():
        for source in sources:
            allowed = {"'self'", "'none'", "data:", "blob:"}
            if name == "style-src" and path in ("/docs", "/redoc"):
                allowed.add("'unsafe-inline'")
            assert source in allowed or re.fullmatch(r"'sha256-[A-Za-z0-9+/]+=*'", source), (
                path,
                name,
                source,
            )
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    if path not in PAGES:
        assert answer.headers["content-security-policy"] == CSP


async def test_the_swagger_pages_inline_scripts_are_allowed_by_their_hash(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/docs", "/docs/oauth2-redirect"):
        page = await client.get(path)
        scripts = inline_scripts(page.text)
        assert scripts, path
        script_src = directives(page.headers["content-security-policy"])["script-src"]
        for script in scripts:
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in script_src, path
        assert len(script_src) == 1 + len(scripts)  # 'self' and exactly these
    redoc = await client.get("/redoc")
    assert directives(redoc.headers["content-security-policy"])["script-src"] == ["'self'"]


async def test_an_answer_with_its_own_policy_keeps_it(client: httpx.AsyncClient) -> None:
    answer = await client.get("/t/own-policy")
    assert answer.headers["content-security-policy"] == OWN_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_metrics_and_json_are_unchanged_but_for_the_headers(
    client: httpx.AsyncClient,
) -> None:
    metrics = await client.get("/metrics")  # as Prometheus scrapes it: no redirect
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert "# HELP" in metrics.text
    health = await client.get("/healthz")
    assert health.headers["content-type"] == "application/json"
    assert health.json()["status"] == "ok"
