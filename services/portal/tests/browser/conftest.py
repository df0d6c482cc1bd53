"""Browser tests: the all-in-one server (``make run``'s shape: demo district, demo sign-in,
embedded database) driven by Playwright in Debian's own Chromium, headless.

Playwright cannot download its browser here: it launches ``SPOTCHECK_CHROMIUM`` (default
``/usr/bin/chromium``). The server's domain clock is fixed (``CLOCK``): no test reads the
machine's. Each test saves screenshots under ``build/screenshots/`` (``shot``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[4]
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("SPOTCHECK_CHROMIUM", "/usr/bin/chromium")
CLOCK = "2026-11-16T09:00:00+08:00"  # a Monday
AXE = ROOT / "libs/common/src/spotcheck_common/assets/vendor/axe-core/axe.min.js"
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The all-in-one platform with the demo district, as ``make run`` starts it."""
    port = _free_port()
    data = tmp_path_factory.mktemp("data")
    env = {
        **os.environ,
        "SPOTCHECK_DEMO": "true",
        "SPOTCHECK_AUTH_LOCAL_ISSUER": "true",
        "SPOTCHECK_LOG_JSON": "false",
        "SPOTCHECK_DATA_DIR": str(data),
        "SPOTCHECK_CLOCK": CLOCK,
        "SPOTCHECK_PERIODIC_INTERVAL_S": "5",
    }
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "spotcheck_common.runner", "--target=all", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((data / "server.log").read_text()[-4000:])
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("the all-in-one server did not become ready in 180 s")
    yield base
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (make test does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def _page(browser: Browser, server: str, **options: object) -> Iterator[Page]:
    context = browser.new_context(base_url=server, locale="zh-CN", **options)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(20_000)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None
        ),
    )
    yield page
    context.close()
    assert not outside, f"requests to another origin: {outside}"


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A desktop page; fails the test if anything was fetched from another origin."""
    yield from _page(browser, server, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(browser: Browser, server: str) -> Iterator[Page]:
    """A phone-sized page (390×844, touch), as an inspector at the site holds it."""
    yield from _page(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """``shot(page, "name")`` saves build/screenshots/<test>-<name>.png."""

    def take(page: Page, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page: Page, name: str) -> None:
    """Sign in as the demo person whose card on the sign-in page says ``name``."""
    page.goto("/console/login")
    page.locator("form.card", has_text=name).get_by_role("button").click()
    page.wait_for_url(lambda url: "/console" in url and "/console/login" not in url)


def serious_violations(page: Page) -> list[dict[str, object]]:
    """axe-core's serious and critical violations on the page as it is now."""
    # Evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
    page.evaluate(AXE.read_text() + "\n;undefined")  # the script, not its value
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [v for v in result if v.get("impact") in ("serious", "critical")]
