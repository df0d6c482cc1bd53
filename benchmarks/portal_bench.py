"""``python benchmarks/portal_bench.py`` (``make bench``): the web application's figures of issue 9.

Each figure is one line ``BENCH <name> <value> <unit> target=<target> ratio=<value/target>``.
Everything is started here and stopped at the end; all traffic goes to 127.0.0.1.

- ``public_results_page_p95``: ``GET /results`` (the portal's server-rendered page) on
  ``spotcheck --target=all`` (embedded SQLite, in-process events) holding a year of published
  results for 20,000 entities; ``public_results_api_p95``: ``GET /public/results``, the
  publication API that page calls. The results are seeded before the server starts, straight
  into the publication service's own database (``<district>-publication.db`` under
  ``SPOTCHECK_DATA_DIR``, migrated by the service's migrations): the rows
  ``SqlPublicationRepository.add_record``/``add_version`` write for ``publish_inspection`` when
  an ``InspectionSubmitted`` arrives (the domain's records with their publication deadline from
  the stored calendar, version 1 of each, a few corrections as version 2), inserted a few
  thousand a statement (one at a time through the repository took 3.5 minutes). Each
  request is timed client-side from sending it to reading the whole answer,
  one after the other over one keep-alive connection, rotating through five kinds of query:
  the first page, a name search, a USCC, a result category, and an offset deep in the list.
- ``public_first_page_bytes``: the public site's first page ``/`` in headless Chromium
  (Playwright), a fresh context (empty cache): the bytes of every response, headers included
  (CDP ``Network.loadingFinished.encodedDataLength``), in KB of 1,024 bytes;
  ``public_first_page_other_origins``: the requests the page made to any other origin.
- ``js_verify_district`` / ``js_verify_city``: the in-browser verifier
  (``static/js/verify/worker.js`` around ``draw.js``) in headless Chromium on a district draw
  (50,000 entities) and a city draw (1,000,000), from posting the bundle to the worker to its
  verdict. The bundle is posted as its exact bytes (an ArrayBuffer, transferred), so parsing
  the JSON is part of the time, as for a visitor; the worker has loaded its modules before the
  clock starts. The figure is the first verification in a fresh page (a visitor verifies
  once); a comment line gives the best of two more, each in a new worker. The bundles are
  ``spotcheck-draw/1`` bundles drawn by the draws engine at the scales of
  ``draws_bench.py`` (as the Python verifier's benchmark and
  ``services/portal/tests/js/bench_verify.mjs`` use), cached under ``$SPOTCHECK_BENCH_DIR``
  (default ``~/.cache/spotcheck/bench``), served with the verifier's static directory by a
  ``http.server`` on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

SECRET = "bench-secret-0123456789abcdef0123456789"
CLOCK = "2026-11-16T09:00:00+08:00"
DISTRICT = "lingang"
ENTITIES = 20_000
REQUESTS = 250  # per endpoint, after WARM_UP
ENDPOINT_S = 240  # at most this long per endpoint: fewer requests are timed (and said) beyond
WARM_UP = 10
CHROMIUM = "/usr/bin/chromium"
VERIFY_DIR = ROOT / "services/portal/src/portal/entrypoints/static/js/verify"
TARGETS = {  # issue 9: (value, unit)
    "public_results_page_p95": (100.0, "ms"),
    "public_results_api_p95": (100.0, "ms"),
    "public_first_page_bytes": (200.0, "KB"),
    "public_first_page_other_origins": (0, "requests"),
    "js_verify_district": (1000.0, "ms"),
    "js_verify_city": (10000.0, "ms"),
}


def line(name: str, value: float) -> str:
    target, unit = TARGETS[name]
    # a target of 0 ("none at all"): the ratio is 0 when met, else infinite
    ratio = ("0.000" if value == 0 else "inf") if target == 0 else f"{value / target:.3f}"
    return f"BENCH {name} {value:.4g} {unit} target={target:g} ratio={ratio}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ------------------------------------------------------------------------ a year of results

WORDS = "华海鑫顺达利安盛泰恒通源丰宏德福兴嘉祥瑞临港威远航金石蓝天"
KINDS = ["有限公司", "商贸有限公司", "食品有限公司", "机械制造有限公司", "餐饮店", "农民专业合作社"]
DEPARTMENTS = ["信用监管科", "市场规范管理科", "食品安全监督管理科", "产品质量监督管理科"]
ITEMS = [
    ("SD-QY-01", "企业公示信息"),
    ("SD-QY-02", "登记事项"),
    ("SD-SP-01", "食品经营许可"),
    ("SD-CP-01", "产品质量"),
    ("SD-GG-01", "广告发布"),
    ("SD-JL-01", "计量器具"),
]


def entity_names(count: int, rng: random.Random) -> list[str]:
    return [
        f"威海{''.join(rng.choices(WORDS, k=3))}{KINDS[i % len(KINDS)]}{i:05d}"
        for i in range(count)
    ]


def item_results(rng: random.Random, n: int) -> list[Any]:
    from spotcheck_common.events.inspections import ItemResult
    from spotcheck_common.events.types import PendingReason, ResultCategory

    out = []
    for code, name in rng.sample(ITEMS, n):
        roll = rng.random()
        if roll < 0.85:
            out.append(
                ItemResult(
                    check_item_code=code, check_item_name=name, category=ResultCategory.NO_PROBLEM
                )
            )
        elif roll < 0.93:
            out.append(
                ItemResult(
                    check_item_code=code,
                    check_item_name=name,
                    category=ResultCategory.PROBLEM_PENDING,
                    pending_reason=rng.choice(list(PendingReason)),
                    remark="已移交有关科室依法处理",
                )
            )
        elif roll < 0.97:
            out.append(
                ItemResult(
                    check_item_code=code,
                    check_item_name=name,
                    category=ResultCategory.PROBLEM_CORRECTED,
                )
            )
        else:
            out.append(
                ItemResult(
                    check_item_code=code, check_item_name=name, category=ResultCategory.NO_ACTIVITY
                )
            )
    return out


async def seed(data_dir: Path, count: int = ENTITIES, seed_: int = 2026) -> dict[str, Any]:
    """A year of published results (one record per entity, 3 % corrected once) in the
    publication service's database under ``data_dir``, through its repository; returns what
    the queries pick from."""
    import sqlalchemy as sa

    from publication.adapters import orm
    from publication.adapters.repository import SqlPublicationRepository, categories_of
    from publication.domain import model
    from spotcheck_common import migrations
    from spotcheck_common.db import Database
    from spotcheck_common.events.envelope import new_id
    from spotcheck_common.runner import load
    from spotcheck_common.settings import Settings
    from spotcheck_common.uscc import synthetic
    from spotcheck_common.workdays import CHINA_TZ

    settings = Settings(district=DISTRICT, data_dir=data_dir, auth_secret=SECRET)
    db = Database(settings.database_url_for("publication"), "publication")
    await migrations.upgrade(db, load("publication").migrations)
    rng = random.Random(seed_)
    codes = synthetic(count, seed=seed_, area_code="371071")
    names = entity_names(count, rng)
    now = datetime.fromisoformat(CLOCK)
    first = (now - timedelta(days=365)).date()
    tasks = [  # two tasks a month over the year
        (f"LG-2026-{k + 1:03d}", f"临港区{DEPARTMENTS[k % 4][:-1]}双随机抽查（第{k + 1}批）", k % 4)
        for k in range(24)
    ]
    order = list(range(count))
    rng.shuffle(order)  # the order in which entities were inspected over the year
    records: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []

    categories: list[dict[str, Any]] = []

    def add_version(version: model.ResultVersion) -> None:  # the repository's add_version rows
        results = [r.model_dump(mode="json") for r in version.results]
        versions.append({**version.__dict__, "results": results})
        categories.extend(categories_of(version))

    async with db.sessions() as session:
        calendar = await SqlPublicationRepository(session).calendar()
    for n, i in enumerate(order):
        completed = first + timedelta(days=n * 360 // count)
        published = datetime.combine(
            completed + timedelta(days=rng.randint(1, 4)), datetime.min.time(), CHINA_TZ
        ) + timedelta(hours=9, seconds=rng.randint(0, 8 * 3600))
        published = min(published, now - timedelta(hours=1)).astimezone(UTC)
        task_no, title, dept = tasks[n * len(tasks) // count]
        record = model.ResultRecord(
            record_id=new_id(),
            inspection_id=f"bench-inspection-{i:06d}",
            task_id=f"bench-task-{task_no}",
            task_no=task_no,
            task_title=title,
            plan_no="LG-JH-2026-01",
            plan_name="临港区市场监督管理局2026年度双随机抽查工作计划",
            check_type="定向抽查" if dept else "不定向抽查",
            inspecting_authority="威海市临港区市场监督管理局",
            uscc=codes[i],
            entity_name=names[i],
            completed_on=completed,
            publish_due_on=None,
            published_at=published,
            published_by="inspections",
            lead_department=DEPARTMENTS[dept],
        )
        record = model.with_deadline(record, model.publish_deadline(calendar, completed))
        records.append(record.__dict__)  # the repository's add_record row
        results = item_results(rng, rng.randint(1, 3))
        add_version(
            model.ResultVersion(
                record_id=record.record_id,
                version=1,
                results=results,
                remark="",
                source=model.SOURCE_INSPECTION,
                reason=None,
                objection_id=None,
                published_at=published,
                published_by="inspections",
            )
        )
        if rng.random() < 0.03:  # corrected once by the credit department
            add_version(
                model.ResultVersion(
                    record_id=record.record_id,
                    version=2,
                    results=[r.model_copy(update={"remark": "更正"}) for r in results],
                    remark=model.correction_remark("credit_department", "录入有误"),
                    source="credit_department",
                    reason="录入有误",
                    objection_id=None,
                    published_at=min(published + timedelta(days=7), now).astimezone(UTC),
                    published_by="credit",
                    submitted_by="credit",
                )
            )
    async with db.sessions() as session:  # one transaction, many rows a statement
        for table, rows in (
            (orm.result_records, records),
            (orm.result_versions, versions),
            (orm.result_version_categories, categories),
        ):
            for k in range(0, len(rows), 2000):
                await session.execute(sa.insert(table), rows[k : k + 2000])
        await session.commit()
    await db.dispose()
    return {"codes": codes, "names": names}


# ------------------------------------------------------------------------------ the server


class Server:
    """``spotcheck --target=all`` on ``data_dir`` as a child process."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        exe = Path(sys.executable).with_name("spotcheck")
        self.proc = subprocess.Popen(
            [str(exe), "--target=all", "--port", str(self.port)],
            env={
                **os.environ,
                "SPOTCHECK_DATA_DIR": str(data_dir),
                "SPOTCHECK_DISTRICT": DISTRICT,
                "SPOTCHECK_AUTH_SECRET": SECRET,
                "SPOTCHECK_LOG_JSON": "false",
                "SPOTCHECK_LOG_LEVEL": "WARNING",
                "SPOTCHECK_CLOCK": CLOCK,
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(f"spotcheck exited; see {log}")
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"spotcheck not ready after 180 s; see {log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def queries(found: dict[str, Any], rng: random.Random) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, query of the publication API) in rotation; the portal's page takes the same
    names, with ``offset`` and its own page size."""
    codes, names = found["codes"], found["names"]
    while True:
        yield "first_page", {}
        name = rng.choice(names)  # a fragment of one name: a few entities at most
        yield "name", {"q": name[2:6]}
        yield "uscc", {"uscc": rng.choice(codes)}
        yield "category", {"category": "发现问题待后续处理", "offset": rng.randrange(0, 400, 20)}
        yield "deep_offset", {"offset": rng.randrange(15_000, ENTITIES - 20, 20)}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def time_requests(
    client: httpx.Client, url: Callable[[dict[str, Any]], str], found: dict[str, Any]
) -> dict[str, list[float]]:
    rng = random.Random(9)
    source = queries(found, rng)
    for _ in range(WARM_UP):
        client.get(url(next(source)[1])).raise_for_status()
    took: dict[str, list[float]] = {}
    stop = time.monotonic() + ENDPOINT_S
    for _ in range(REQUESTS):
        if time.monotonic() > stop:
            break
        kind, params = next(source)
        target = url(params)
        t0 = time.perf_counter()
        answer = client.get(target)
        _ = answer.content  # read in full (httpx reads the body before returning)
        elapsed = (time.perf_counter() - t0) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"{target}: {answer.status_code} {answer.text[:300]}")
        took.setdefault(kind, []).append(elapsed)
    return took


def report(name: str, took: dict[str, list[float]]) -> list[str]:
    every = [v for values in took.values() for v in values]
    kinds = ", ".join(f"{kind} {statistics.median(v):.0f}/{p95(v):.0f}" for kind, v in took.items())
    return [
        line(name, p95(every)),
        f"# {name}: {len(every)} requests, median {statistics.median(every):.1f} ms, "
        f"max {max(every):.0f} ms; median/p95 ms by query: {kinds}",
    ]


def run_results(server: Server, found: dict[str, Any]) -> list[str]:
    from urllib.parse import urlencode

    from portal.domain.public import PAGE

    def api(params: dict[str, Any]) -> str:
        return f"{server.url}/public/results?{urlencode({'limit': PAGE, **params})}"

    def page(params: dict[str, Any]) -> str:
        if "uscc" in params:  # one USCC alone redirects to the entity's page: bound the dates
            params = {**params, "from": "2025-11-01"}
        return f"{server.url}/results?{urlencode(params)}"

    with httpx.Client(timeout=60) as client:
        total = client.get(api({})).json()["total"]
        html = client.get(page({"offset": 19_980})).text
        if total < ENTITIES or "<html" not in html.lower():
            raise RuntimeError(f"the seeded results are not served ({total} found)")
        lines = report("public_results_page_p95", time_requests(client, page, found))
        lines += report("public_results_api_p95", time_requests(client, api, found))
    lines.append(
        f"# public_results: {total} published records (one per entity, a year of them), "
        f"page size {PAGE}, sequential requests over one keep-alive connection"
    )
    return lines


# --------------------------------------------------------------------------------- Chromium


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
    )


def run_first_page(server: Server) -> list[str]:
    from playwright.sync_api import sync_playwright

    origin = urlsplit(server.url)
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            context = browser.new_context()
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            sizes: dict[str, float] = {}
            urls: dict[str, str] = {}
            failed: list[str] = []
            cdp.on(
                "Network.requestWillBeSent",
                lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]),
            )
            cdp.on(
                "Network.loadingFinished",
                lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
            )
            cdp.on("Network.loadingFailed", lambda e: failed.append(e["requestId"]))
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            answer = page.goto(server.url + "/", wait_until="networkidle")
            if answer is None or answer.status != 200:
                raise RuntimeError(f"/ answered {answer and answer.status}")
            page.wait_for_timeout(500)  # anything loaded late (idle callbacks, lazy images)
            context.close()
        finally:
            browser.close()
    other = [
        u
        for u in requested
        if urlsplit(u).scheme in ("http", "https", "ws", "wss")
        and (urlsplit(u).hostname, urlsplit(u).port) != (origin.hostname, origin.port)
    ]
    total = sum(sizes.values())
    biggest = sorted(
        ((size, urlsplit(urls.get(rid, "?")).path) for rid, size in sizes.items()), reverse=True
    )[:4]
    return [
        line("public_first_page_bytes", total / 1024),
        line("public_first_page_other_origins", len(other)),
        f"# public_first_page: {len(requested)} requests ({len(failed)} failed), "
        f"{total:,.0f} bytes with headers; largest: "
        + ", ".join(f"{path} {size / 1024:.1f} KB" for size, path in biggest)
        + (f"; other origins: {', '.join(other)}" if other else ""),
    ]


# ------------------------------------------------------------------------ the JS verifier

PAGE_HTML = b"""<!doctype html><meta charset="utf-8"><title>verify bench</title>
<script type="module">
window.verify = async (scale) => {
  const raw = await (await fetch(`/bundle/${scale}`)).arrayBuffer();
  const worker = new Worker("/verify/worker.js", { type: "module" });
  await new Promise((r) => setTimeout(r, 300));  // the worker's modules load first
  return await new Promise((resolve) => {
    let t0;
    let progress = 0;
    worker.onmessage = ({ data }) => {
      if (data.type === "progress") { progress += 1; return; }
      const ms = performance.now() - t0;
      worker.terminate();
      const result = data.result ?? {};
      resolve({ ms, ok: result.ok === true, version: result.version ?? null, progress,
                checks: (result.checks ?? []).filter((c) => c.ok).length,
                error: result.error_zh ?? data.error_zh ?? null });
    };
    worker.onerror = (e) => resolve({ ms: -1, ok: false, error: String(e.message) });
    t0 = performance.now();
    worker.postMessage({ bundle: raw }, [raw]);
  });
};
window.ready = true;
</script>"""


def bundle_file(scale: str) -> Path:
    """A spotcheck-draw/1 bundle of a draws_bench scale, drawn once and cached (the same file
    ``services/portal/tests/js/bench_verify.mjs`` makes)."""
    import draws_bench

    cache = draws_bench.cache_dir() / "js-verify"
    path = cache / f"{scale}-bundle.json"
    if not path.exists():
        from draws.domain import protocol as p

        cache.mkdir(parents=True, exist_ok=True)
        d, pop, _ = draws_bench.draw(scale, draws_bench.prepared(scale), b"js-verify", signed=False)
        part = path.with_suffix(f".{os.getpid()}.part")
        part.write_bytes(p.canonical_json(d.bundle(pop)))
        part.replace(path)
    return path


class _Files(BaseHTTPRequestHandler):
    bundles: ClassVar[dict[str, Path]] = {}

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/":
            body, kind = PAGE_HTML, "text/html; charset=utf-8"
        elif path.startswith("/verify/") and (VERIFY_DIR / Path(path).name).is_file():
            body, kind = (VERIFY_DIR / Path(path).name).read_bytes(), "text/javascript"
        elif path.startswith("/bundle/") and path[8:] in self.bundles:
            body, kind = self.bundles[path[8:]].read_bytes(), "application/json"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def run_js_verify() -> list[str]:
    if not (VERIFY_DIR / "draw.js").exists() or not (VERIFY_DIR / "worker.js").exists():
        return [f"# js_verify: skipped, {VERIFY_DIR.relative_to(ROOT)}/draw.js not there yet"]
    from playwright.sync_api import sync_playwright

    scales = {"district": 50_000, "city": 1_000_000}
    _Files.bundles = {scale: bundle_file(scale) for scale in scales}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    lines: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                for scale, size in scales.items():
                    name = f"js_verify_{scale}"
                    page = browser.new_page()
                    page.goto(url)
                    page.wait_for_function("window.ready === true")
                    runs = [page.evaluate("(s) => window.verify(s)", scale) for _ in range(3)]
                    page.close()
                    bad = [r for r in runs if not r["ok"]]
                    if bad:
                        raise RuntimeError(f"{name}: the bundle does not verify: {bad[0]}")
                    mib = _Files.bundles[scale].stat().st_size / 2**20
                    lines += [
                        line(name, runs[0]["ms"]),
                        f"# {name}: {size:,} entities, {runs[0]['version']} bundle "
                        f"{mib:.1f} MiB posted as bytes, {runs[0]['checks']} checks passed; "
                        f"first run in a fresh page "
                        f"{runs[0]['ms']:.0f} ms, then {runs[1]['ms']:.0f} and "
                        f"{runs[2]['ms']:.0f} ms in new workers; "
                        f"Chromium {browser.version}",
                    ]
            finally:
                browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return lines


# ------------------------------------------------------------------------------------ main


def run_site(names: list[str]) -> list[str]:
    """Seed, start the all-in-one server, measure, stop it and remove its data."""
    tmp = Path(tempfile.mkdtemp(prefix="spotcheck-portal-bench-"))
    lines: list[str] = []
    try:
        t0 = time.perf_counter()
        found = asyncio.run(seed(tmp / "data"))
        seeded = time.perf_counter() - t0
        server = Server(tmp / "data", tmp / "spotcheck.log")
        try:
            size = (tmp / "data" / f"{DISTRICT}-publication.db").stat().st_size / 2**20
            lines.append(
                f"# seeded {ENTITIES:,} published results in {seeded:.1f} s "
                f"(publication.db {size:.1f} MiB)"
            )
            if "results" in names:
                lines += run_results(server, found)
            if "first_page" in names:
                lines += run_first_page(server)
        finally:
            server.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return lines


RUNS = ["results", "first_page", "js_verify"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/portal_bench.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("names", nargs="*", help=f"some of {', '.join(RUNS)} (default: all)")
    args = parser.parse_args(argv)
    names = args.names or RUNS
    unknown = set(names) - set(RUNS)
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    print(
        f"# machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start",
        flush=True,
    )
    failed = False
    steps: list[tuple[str, Callable[[], list[str]]]] = []
    if {"results", "first_page"} & set(names):
        steps.append(("site", lambda: run_site(names)))
    if "js_verify" in names:
        steps.append(("js_verify", run_js_verify))
    for step, run in steps:
        try:
            for text in run():
                print(text, flush=True)
        except Exception as exc:  # one part failing leaves the others' figures
            failed = True
            print(f"# {step} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
