"""Browser tests: the all-in-one server (``make run``'s shape: demo district, demo sign-in,
embedded database) driven by Playwright in Debian's own Chromium, headless.

Playwright cannot download its browser here: it launches ``SPOTCHECK_CHROMIUM`` (default
``/usr/bin/chromium``). The server's domain clock is fixed (``CLOCK``): no test reads the
machine's. Each test saves screenshots under ``build/screenshots/`` (``shot``).
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FilePayload,
    Page,
    Request,
    expect,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[4]
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("SPOTCHECK_CHROMIUM", "/usr/bin/chromium")
CLOCK = "2026-11-16T09:00:00+08:00"  # a Monday
TODAY = date.fromisoformat(CLOCK[:10])  # the services' day
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


@contextmanager
def serving(data: Path, **env: str) -> Iterator[str]:
    """The all-in-one platform with the demo district, as ``make run`` starts it (``env``:
    more of its settings, e.g. another district signed in to Kafka); its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "SPOTCHECK_DEMO": "true",
        "SPOTCHECK_AUTH_LOCAL_ISSUER": "true",
        "SPOTCHECK_LOG_JSON": "false",
        "SPOTCHECK_DATA_DIR": str(data),
        "SPOTCHECK_CLOCK": CLOCK,
        "SPOTCHECK_PERIODIC_INTERVAL_S": "5",
        **env,
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
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The all-in-one platform with the demo district, as ``make run`` starts it."""
    with serving(tmp_path_factory.mktemp("data")) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (make test does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


DESKTOP = {"width": 1280, "height": 900}


class _Browsers:
    """Browser contexts of the test's own (each its own cookies and IndexedDB, as another
    person's computer or phone), every request checked to stay on this origin."""

    def __init__(self, browser: Browser, server: str) -> None:
        self.browser, self.server = browser, server
        self.contexts: list[BrowserContext] = []
        self.outside: list[str] = []

    def open(self, phone: bool = False, javascript: bool = True) -> Page:
        options: dict[str, Any] = (
            {"viewport": PHONE, "is_mobile": True, "has_touch": True}
            if phone
            else {"viewport": DESKTOP}
        )
        context = self.browser.new_context(
            base_url=self.server, locale="zh-CN", java_script_enabled=javascript, **options
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("request", self._watch)
        return page

    def _watch(self, request: Request) -> None:
        if not request.url.startswith((self.server, "data:", "blob:")):
            self.outside.append(request.url)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        assert not self.outside, f"requests to another origin: {self.outside}"


@pytest.fixture
def browsers(browser: Browser, server: str) -> Iterator[Callable[..., Page]]:
    """``browsers()`` (desktop) or ``browsers(phone=True)``: a page in a browser of its own
    (``javascript=False``: one with scripts turned off)."""
    opened = _Browsers(browser, server)
    yield opened.open
    opened.close()


@pytest.fixture
def page(browsers: Callable[..., Page]) -> Page:
    """A desktop page; fails the test if anything was fetched from another origin."""
    return browsers()


@pytest.fixture
def phone(browsers: Callable[..., Page]) -> Page:
    """A phone-sized page (390×844, touch), as an inspector at the site holds it."""
    return browsers(phone=True)


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """``shot(page, "name")`` saves build/screenshots/<test>-<name>.png."""

    def take(page: Page, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def _on_sign_in_page(page: Page) -> None:
    """Stay on the sign-in page a link led to (it goes back there after); else open it."""
    if "/console/login" not in page.url:
        page.goto("/console/login")


def _signed_in(page: Page) -> None:
    page.wait_for_url(lambda url: "/console" in url and "/console/login" not in url)


def sign_in(page: Page, name: str) -> None:
    """Sign in as the demo person whose card on the sign-in page says ``name``."""
    _on_sign_in_page(page)
    page.locator("form.card", has_text=name).get_by_role("button").click()
    _signed_in(page)


def sign_in_inspector(page: Page, inspector_id: str) -> None:
    _on_sign_in_page(page)
    page.get_by_label("执法人员编号").fill(inspector_id)
    page.get_by_role("button", name="以执法检查人员登录").click()
    _signed_in(page)


def sign_in_entity(page: Page, uscc: str) -> None:
    """Sign in as the market entity (检查对象) with this USCC."""
    _on_sign_in_page(page)
    page.get_by_label("统一社会信用代码").fill(uscc)
    page.get_by_role("button", name="以检查对象登录").click()
    _signed_in(page)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("status")).to_have_text("已退出登录")


def expect_state(page: Page, label: str) -> None:
    """The status badge of the plan, task or draw on the page reads ``label``."""
    expect(page.locator("[data-status]")).to_have_text(label)


def serious_violations(page: Page) -> list[dict[str, object]]:
    """axe-core's serious and critical violations on the page as it is now."""
    # Evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
    page.evaluate(AXE.read_text() + "\n;undefined")  # the script, not its value
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [v for v in result if v.get("impact") in ("serious", "critical")]


# -- what the pages are given ------------------------------------------------------------------

ENTITY_HEADER = "统一社会信用代码,名称,主体类型,行业,区域,风险等级,状态,住所"
INSPECTOR_HEADER = "执法人员编号,姓名,科室,检查资格,可任组长,执法证有效期至,在岗"
EXPERT_HEADER = "专家编号,姓名,专业领域,工作单位,在库"


def csv_file(name: str, *lines: str) -> FilePayload:
    """A CSV file (a header and rows) as a file input is given it."""
    return {"name": name, "mimeType": "text/csv", "buffer": ("\n".join(lines) + "\n").encode()}


def png() -> bytes:
    """A small real PNG (8×8, red), as a phone's camera would give a (much larger) one."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# -- the draw ceremony in the browser ----------------------------------------------------------


def register_key(page: Page) -> str:
    """The signed-in person makes an Ed25519 key in this browser and registers it; its id."""
    page.goto("/console/draws/keys")
    page.get_by_role("button", name="在本浏览器生成密钥并登记").click()
    expect(page.get_by_role("status")).to_contain_text("密钥已登记")
    key_id = page.get_by_role("status").inner_text().split("：")[1].split("（")[0]
    expect(page.locator("tr", has_text=key_id)).to_contain_text("是（本浏览器）")
    return key_id


def freeze_draw(page: Page) -> str:
    """On the draw form: freeze the draw (again while the draws service has not yet heard of
    the task's approval: events travel asynchronously); the new draw's id."""
    deadline = time.monotonic() + 60
    while True:
        page.get_by_role("button", name="冻结并公示抽取清单").click()
        page.wait_for_load_state()
        if "/console/draws/new" not in page.url or time.monotonic() > deadline:
            break
        time.sleep(1)
    expect(page.get_by_role("status")).to_contain_text("抽取清单已冻结")
    return page.url.split("?")[0].rsplit("/", 1)[1]
