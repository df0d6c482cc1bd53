"""``python benchmarks/load_public.py`` (``make load``): the public API under load, issue 13 item 6.

- ``public_results_p99``: ``GET /public/results`` at a constant arrival rate of 500 requests a
  second for 60 s (an open model: vegeta sends on schedule whether or not earlier requests have
  answered, so a slow server shows as latency, not as a lower rate), against the publication
  service as ``make up`` runs it — its own process (``spotcheck --target=publication``, one
  process, one event loop), on PostgreSQL, with Kafka — holding a year of published results for
  20,000 entities. Target: p99 ≤ 50 ms.
- ``public_results_errors``: answers that are not 2xx, plus transport errors (timeouts, refused
  or reset connections). Target: 0.

The results are the ones ``benchmarks/portal_bench.py`` seeds (its ``seed``: the rows the
publication repository writes, through the service's own migrations), here into the
publication schema on PostgreSQL; each record is then given one of the district's towns as its
area (the seed predates areas), so the area filter finds something.

The mix (``MIX``; weights out of 100, each request drawn at random, seeded): visitors of a
公示 site mostly open the newest results and page on a little — the portal's list (20 a page)
and its next few pages; direct users of the API take its default page (50); a counterpart,
bank or journalist checking one entity searches its USCC (any of the 20,000, uniformly: the
least cacheable query); some search a fragment of a name, and few filter by result category,
area or task number (the first pages of each).

``--publish-every S`` raises the public data's version every S seconds during the load, as
another replica's publication does: every kept answer is dropped each time, and the figures
include the cold starts that follow.

Everything is this benchmark's own and stopped at the end: PostgreSQL on 26632, Kafka on
26292/26293 (the process refuses to run alone without a broker), data under
``$SPOTCHECK_BENCH_DIR/load_public``; all traffic goes to 127.0.0.1; bounded by ``DEADLINE_S``.
vegeta (``VEGETA``) is built once by ``infra/bin/go-tool.sh``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from portal.domain.public import PAGE as PORTAL_PAGE  # the portal's page size
from spotcheck_common.events.types import ResultCategory

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import portal_bench  # noqa: E402  (the year of results, seeded as the repository writes them)
from own_stack import infrastructure, sh  # noqa: E402

DISTRICT = portal_bench.DISTRICT
PORTS = {"PG_PORT": "26632", "KAFKA_PORT": "26292", "KAFKA_CONTROLLER_PORT": "26293"}
# The HTTP load tool: constant arrival rate (an open model: requests leave on schedule whether
# or not the earlier ones have answered, so a slow server shows as latency, not a lower rate).
VEGETA = "github.com/tsenart/vegeta/v12@v12.13.0"
RATE = 500  # requests a second
DURATION_S = 60
WARM_UP = (100, 10)  # rate, seconds: connections, caches and the pool filled before the figure
DEADLINE_S = 15 * 60  # the whole run, seeding and start included
TIMEOUT_S = 10  # a request unanswered after this is a transport error
DRAIN_S = 180  # what an overloaded process may still have queued after the load
TARGETS = {"public_results_p99": (50.0, "ms"), "public_results_errors": (0, "errors")}
AREAS = ("草庙子镇", "汪疃镇", "蔄山镇", "苘山镇")
CATEGORIES = tuple(  # the categories the seed's items have
    c.value
    for c in (
        ResultCategory.NO_PROBLEM,
        ResultCategory.PROBLEM_PENDING,
        ResultCategory.PROBLEM_CORRECTED,
        ResultCategory.NO_ACTIVITY,
    )
)


def line(name: str, value: float, comment: str) -> str:
    target, unit = TARGETS[name]
    ratio = (f"{value / target:.3f}") if target else ("0.000" if value == 0 else "inf")
    return f"BENCH {name} {value:.4g} {unit} target={target:g} ratio={ratio} {comment}".rstrip()


# ------------------------------------------------------------------------------------ the mix

Query = dict[str, Any]


def _page(rng: random.Random, weights: tuple[int, ...]) -> int:
    """An offset of the portal's list: page k+1 with weight ``weights[k]``."""
    (k,) = rng.choices(range(len(weights)), weights)
    return k * PORTAL_PAGE


def mix(found: dict[str, Any]) -> dict[str, tuple[int, Callable[[random.Random], Query]]]:
    """Each kind of visit: (weight out of 100, a query of that kind)."""
    codes, names = found["codes"], found["names"]
    tasks = found["tasks"]
    portal = {"limit": PORTAL_PAGE}
    return {
        "first_page": (35, lambda rng: dict(portal)),
        "next_pages": (20, lambda rng: {**portal, "offset": _page(rng, (0, 8, 6, 4, 2))}),
        "api_default_page": (10, lambda rng: {}),
        "uscc": (15, lambda rng: {**portal, "uscc": rng.choice(codes)}),
        "name": (8, lambda rng: {**portal, "q": rng.choice(names)[2:6]}),
        "category": (
            5,
            lambda rng: {
                **portal,
                "category": rng.choice(CATEGORIES),
                "offset": _page(rng, (3, 1)),
            },
        ),
        "area": (
            4,
            lambda rng: {**portal, "area": rng.choice(AREAS), "offset": _page(rng, (4, 2, 1))},
        ),
        "task_no": (
            3,
            lambda rng: {**portal, "task_no": rng.choice(tasks), "offset": _page(rng, (3, 1))},
        ),
    }


def requests(found: dict[str, Any], count: int, seed: int) -> Iterator[tuple[str, Query]]:
    kinds = mix(found)
    names, weights = list(kinds), [w for w, _ in kinds.values()]
    rng = random.Random(seed)
    for _ in range(count):
        (kind,) = rng.choices(names, weights)
        yield kind, kinds[kind][1](rng)


def kind_of(url: str, found: dict[str, Any]) -> str:
    """The kind of visit a URL of ``requests`` is (for the figures by kind)."""
    query = dict(p.split("=", 1) for p in url.partition("?")[2].split("&") if p)
    for key in ("uscc", "q", "category", "area", "task_no"):
        if key in query:
            return "name" if key == "q" else key
    if "limit" not in query:
        return "api_default_page"
    return "next_pages" if int(query.get("offset", "0")) else "first_page"


def write_targets(path: Path, base: str, found: dict[str, Any], count: int, seed: int) -> None:
    """vegeta's HTTP target format: one ``GET url`` and a blank line each."""
    with path.open("w") as out:
        for _, query in requests(found, count, seed):
            out.write(f"GET {base}/public/results?{urlencode(query)}\n\n")


# ------------------------------------------------------------------------------- the machine


async def seed(settings: dict[str, str], data_dir: Path) -> dict[str, Any]:
    """portal_bench's year of results in the publication schema on PostgreSQL, each record in
    one of the district's towns; what the queries pick from."""
    import sqlalchemy as sa

    from spotcheck_common.db import Database

    os.environ["SPOTCHECK_DATABASE_URL"] = settings["SPOTCHECK_DATABASE_URL"]  # not SQLite
    found = await portal_bench.seed(data_dir)
    db = Database(settings["SPOTCHECK_DATABASE_URL"], "publication")
    try:
        async with db.engine.begin() as conn:
            # Published records are never updated (their guards); this fills in what the seed
            # leaves out, as the bench's owner, before the service has read anything.
            await conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            await conn.execute(
                sa.text(
                    "UPDATE result_records SET area = (CAST(:areas AS text[]))"
                    "[1 + get_byte(sha256(convert_to(uscc, 'UTF8')), 0) % :n]"
                ),
                {"areas": list(AREAS), "n": len(AREAS)},
            )
            tasks = await conn.execute(sa.text("SELECT DISTINCT task_no FROM result_records"))
            found["tasks"] = [t for (t,) in tasks]
        async with db.engine.connect() as conn:  # the statistics autovacuum would have by now
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
                sa.text("ANALYZE")
            )
    finally:
        await db.dispose()
    return found


@dataclass
class Publication:
    url: str
    process: subprocess.Popen[bytes]

    def cpu_s(self) -> float:
        """CPU seconds the process has used (user + system)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def searches(self) -> int:
        """Searches the process has answered (its own request counter, /metrics)."""
        # After an overload the process answers what its clients gave up on first.
        text = httpx.get(f"{self.url}/metrics", timeout=DRAIN_S).text
        counts = [
            float(row.rsplit(" ", 1)[1])
            for row in text.splitlines()
            if row.startswith(SEARCHES) and 'route="/public/results"' in row
        ]
        return int(sum(counts))


SEARCHES = "spotcheck_http_request_duration_seconds_count{"


@contextmanager
def publications(
    settings: dict[str, str], work: Path, replicas: int
) -> Iterator[list[Publication]]:
    """``replicas`` processes of the service on free ports, as ``make up`` starts one."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(publication(settings, work, i, portal_bench.free_port()))
            for i in range(replicas)
        ]


@contextmanager
def publication(
    settings: dict[str, str], work: Path, replica: int, port: int
) -> Iterator[Publication]:
    env = {
        **os.environ,
        **settings,
        "SPOTCHECK_DISTRICT": DISTRICT,
        "SPOTCHECK_AUTH_SECRET": "bench-secret-" + os.urandom(12).hex(),
        "SPOTCHECK_LOG_JSON": "false",
        "SPOTCHECK_LOG_LEVEL": "WARNING",
        "SPOTCHECK_CLOCK": portal_bench.CLOCK,
        "SPOTCHECK_DATA_DIR": str(work / "data"),
    }
    env.pop("SPOTCHECK_OTEL_EXPORTER_ENDPOINT", None)  # no trace backend here: not measured
    exe = str(Path(sys.executable).parent / "spotcheck")
    log = work / f"publication-{replica}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [exe, "--target=publication", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        ready(url, process, log)
        yield Publication(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"publication exited; see {log}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"publication not ready after 120 s; see {log}")


# -------------------------------------------------------------------------------- the attack


def attack(
    vegeta: str, targets: Path, rate: int, seconds: int, out: Path, spread: list[str]
) -> list[dict[str, Any]]:
    """vegeta at ``rate`` a second for ``seconds``; each request's result. The targets name the
    first replica; ``spread``: every replica's address, taken in turn (vegeta's round robin)."""
    first = spread[0].removeprefix("http://")
    subprocess.run(
        [
            vegeta,
            "attack",
            f"-targets={targets}",
            f"-rate={rate}/1s",
            f"-duration={seconds}s",
            f"-timeout={TIMEOUT_S}s",
            "-max-body=0",  # bodies are read in full (and timed), not kept
            "-redirects=-1",
            f"-output={out}",
            *[f"-connect-to={first}:{url.removeprefix('http://')}" for url in spread[1:]],
            *([f"-connect-to={first}:{first}"] if len(spread) > 1 else []),
        ],
        check=True,
        timeout=seconds + TIMEOUT_S + 60,
    )
    encoded = subprocess.run(
        [vegeta, "encode", "-to=json", str(out)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return [json.loads(row) for row in encoded.stdout.splitlines() if row]


def failed(result: dict[str, Any]) -> bool:
    return bool(result["error"]) or not 200 <= result["code"] < 300


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


@dataclass(frozen=True)
class Figures:
    count: int
    errors: int
    rate: float  # requests sent a second
    throughput: float  # answers received a second (successful ones)
    latency_ms: dict[str, float]
    by_kind: dict[str, tuple[int, float, float]]  # requests, median, p99 (ms)
    codes: dict[str, int]


def figures(results: list[dict[str, Any]], found: dict[str, Any]) -> Figures:
    ms = [r["latency"] / 1e6 for r in results]
    sent = [_instant(r["timestamp"]) for r in results]
    span = max(sent) - min(sent)
    done = max(t + r["latency"] / 1e9 for t, r in zip(sent, results, strict=True)) - min(sent)
    by: dict[str, list[float]] = {}
    for r, value in zip(results, ms, strict=True):
        by.setdefault(kind_of(r["url"], found), []).append(value)
    codes: dict[str, int] = {}
    for r in results:
        key = str(r["code"]) if not r["error"] or r["code"] else "transport"
        codes[key] = codes.get(key, 0) + 1
    errors = sum(failed(r) for r in results)
    return Figures(
        count=len(results),
        errors=errors,
        rate=(len(results) - 1) / span,
        throughput=(len(results) - errors) / done,
        latency_ms={
            "p50": percentile(ms, 50),
            "p95": percentile(ms, 95),
            "p99": percentile(ms, 99),
            "max": max(ms),
        },
        by_kind={
            k: (len(v), statistics.median(v), percentile(v, 99) if len(v) > 1 else v[0])
            for k, v in sorted(by.items(), key=lambda kv: -len(kv[1]))
        },
        codes=codes,
    )


def _instant(timestamp: str) -> float:
    """Seconds of vegeta's RFC 3339 timestamp (to the microsecond)."""
    return datetime.fromisoformat(timestamp).timestamp()


def report(
    f: Figures, args: argparse.Namespace, machine: str, used: list[tuple[float, int]]
) -> list[str]:
    lat = f.latency_ms
    kinds = ", ".join(f"{k} {n} {med:.1f}/{p99:.1f}" for k, (n, med, p99) in f.by_kind.items())
    cpu, answered = sum(c for c, _ in used), sum(n for _, n in used)
    return [
        line("public_results_p99", lat["p99"], f"(p50 {lat['p50']:.1f} ms)"),
        line("public_results_errors", f.errors, f"of {f.count} requests"),
        f"# public_results: {args.rate}/s for {args.duration} s (open model, vegeta), "
        f"{args.replicas} process(es): {f.count} requests, sent at {f.rate:.1f}/s, answered at "
        f"{f.throughput:.1f}/s; latency p50 {lat['p50']:.1f} p95 {lat['p95']:.1f} p99 "
        f"{lat['p99']:.1f} max {lat['max']:.1f} ms; status "
        + ", ".join(f"{k}: {v}" for k, v in sorted(f.codes.items())),
        f"# by kind (requests, median/p99 ms): {kinds}",
        f"# publication: {cpu:.1f} CPU s during the load ({cpu / args.duration:.0%} of a core), "
        f"{answered} searches answered by the server(s) (late ones included; background work"
        " counted too): "
        f"{1000 * cpu / max(answered, 1):.2f} CPU ms a search",
        f"# machine: {machine}",
    ]


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the"
        " start (shared: other work may be running)"
    )


def sanity(url: str) -> str:
    """The seeded results are served; what one answer of each page size weighs."""
    with httpx.Client(timeout=30) as client:
        first = client.get(f"{url}/public/results", params={"limit": PORTAL_PAGE})
        full = client.get(f"{url}/public/results")
    first.raise_for_status()
    total = first.json()["total"]
    if total < portal_bench.ENTITIES:
        raise SystemExit(f"the seeded results are not served ({total} found)")
    return (
        f"{total} published records; a page of {PORTAL_PAGE} is {len(first.content) / 1024:.1f}"
        f" KB, the API's default page of 50 {len(full.content) / 1024:.1f} KB"
    )


@contextmanager
def publishing(database_url: str, every_s: float) -> Iterator[list[float]]:
    """Every ``every_s`` seconds (0: never), the public data's version raised as another
    replica's publishing commit raises it: each replica drops every kept answer within its
    recheck, and the questions asked next are computed again (a cold start, again and again).
    Yields the instants of the raises."""
    import sqlalchemy as sa

    from spotcheck_common.db import Database

    raised: list[float] = []
    stop = threading.Event()

    async def publish() -> None:
        db = Database(database_url, "publication")
        try:
            async with db.engine.begin() as conn:
                await conn.execute(sa.text("UPDATE data_version SET version = version + 1"))
        finally:
            await db.dispose()

    def every() -> None:
        while not stop.wait(every_s):
            asyncio.run(publish())
            raised.append(time.monotonic())

    worker = threading.Thread(target=every, daemon=True)
    if every_s > 0:
        worker.start()
    try:
        yield raised
    finally:
        stop.set()
        if every_s > 0:
            worker.join(timeout=30)


def run(args: argparse.Namespace, work: Path) -> list[str]:
    vegeta = sh(str(ROOT / "infra/bin/go-tool.sh"), "vegeta", VEGETA, env=dict(os.environ))
    with infrastructure(work, PORTS, DISTRICT) as settings:
        started = time.monotonic()
        found = asyncio.run(seed(settings, work / "data"))
        print(f"# seeded in {time.monotonic() - started:.1f} s", flush=True)
        with publications(settings, work, args.replicas) as replicas:
            return load(args, work, vegeta, found, replicas, settings["SPOTCHECK_DATABASE_URL"])


def load(
    args: argparse.Namespace,
    work: Path,
    vegeta: str,
    found: dict[str, Any],
    replicas: list[Publication],
    database_url: str,
) -> list[str]:
    """Warm up, then the measured load; the figures."""
    url, spread = replicas[0].url, [r.url for r in replicas]
    print(f"# {sanity(url)}", flush=True)
    warm_rate, warm_s = WARM_UP
    write_targets(work / "warm.txt", url, found, warm_rate * warm_s, seed=1)
    attack(vegeta, work / "warm.txt", warm_rate, warm_s, work / "warm.bin", spread)
    write_targets(work / "targets.txt", url, found, args.rate * args.duration, seed=2026)
    at_start = machine()
    before = [(r.cpu_s(), r.searches()) for r in replicas]
    with publishing(database_url, args.publish_every) as raised:
        results = attack(
            vegeta, work / "targets.txt", args.rate, args.duration, work / "r.bin", spread
        )
    answered = [r.searches() for r in replicas]  # first: waits for what is queued
    used = [(r.cpu_s() - c, a - n) for r, a, (c, n) in zip(replicas, answered, before, strict=True)]
    published = (
        [
            f"# publications: the data's version raised {len(raised)} times during the load, every"
            f" {args.publish_every:g} s (all kept answers dropped each time)"
        ]
        if args.publish_every
        else []
    )
    return report(figures(results, found), args, at_start, used) + published


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/load_public.py")
    parser.add_argument("--rate", type=int, default=RATE, help="requests a second")
    parser.add_argument("--duration", type=int, default=DURATION_S, help="seconds of load")
    parser.add_argument(
        "--replicas", type=int, default=1, help="processes of the service (make up: 1)"
    )
    parser.add_argument(
        "--publish-every",
        type=float,
        default=0,
        help="seconds between publications during the load (0: none): every kept answer dropped",
    )
    args = parser.parse_args(argv)
    work = Path(os.environ.get("SPOTCHECK_BENCH_DIR", Path.home() / ".cache/spotcheck/bench"))

    def too_long(*_: Any) -> None:
        raise SystemExit(f"load_public: over {DEADLINE_S} s; stopped")

    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(DEADLINE_S)
    try:
        for row in run(args, work / "load_public"):
            print(row, flush=True)
    finally:
        signal.alarm(0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
