"""``python benchmarks/registry_bench.py`` (``make bench``): the import figures of issue 7.

Each figure is one line ``BENCH <name> <value> <unit> target=<target> ratio=<value/target>``.
Everything is started here and stopped at the end: PostgreSQL (``infra/postgres/pg.sh``) and
Kafka (``infra/kafka/kafka.sh``) on free ports with data in a temporary directory, and the
registry service itself as its own process (``spotcheck --target=registry``), exactly as in
production. The files are generated into the temporary directory.

- ``import_csv_utf8_1m`` / ``import_csv_gb18030_1m``: 1,000,000 entity rows, timed from the
  first byte of the upload to the moment the last ``EntitiesImported`` event has been accepted
  by the Kafka broker (the registry's outbox is empty): upload and spool, decode, parse,
  validate, stage (COPY), merge, the events written to the outbox in the import's transaction,
  the commit, and the relay publishing them to Kafka. ``*_peak_rss``: the peak resident
  memory of the service process (VmHWM) plus that of every process it started (the reader
  process that parses the file: the highest resident size sampled every 0.25 s).
- ``import_xlsx_100k``: 100,000 rows from an .xlsx workbook, the same path.
- ``healthz_p99_during_import``: ``GET /healthz`` every 20 ms against ``spotcheck
  --target=all`` on the embedded defaults (SQLite, in-process events: ``make run``) while it
  imports the 1,000,000-row UTF-8 file, from the upload's start to the job's end; a comment
  line gives the same figure for the next minute, while the events are delivered in-process
  (the draws service's read model of the 1,000,000 entities), which follows the job.

Each figure is measured ``--repeat`` times (default 2, fresh database and service each time);
the BENCH line has the best run, a comment line every run.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from registry.domain.imports import ENTITIES
from spotcheck_common.auth import Authenticator
from spotcheck_common.settings import Settings
from spotcheck_common.uscc import ALPHABET, check_char

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-0123456789abcdef0123456789"
TARGETS = {  # issue 7
    "import_csv_utf8_1m": (30.0, "s"),
    "import_csv_gb18030_1m": (35.0, "s"),
    "import_xlsx_100k": (15.0, "s"),
    "import_peak_rss": (1024.0, "MB"),
    "healthz_p99_during_import": (100.0, "ms"),
}


def line(name: str, value: float, unit: str, target: float) -> str:
    return f"BENCH {name} {value:.4g} {unit} target={target:g} ratio={value / target:.3f}"


# ------------------------------------------------------------------------------- the files


def entity_rows(count: int, seed: int = 2026) -> Iterator[list[str]]:
    """Valid entities of 临港 (division 371071), distinct codes, realistic Chinese text."""
    rng = random.Random(seed)
    words = "华海鑫顺达利安盛泰恒通源丰宏德福兴嘉祥瑞临港威"
    kinds = ["有限责任公司", "股份有限公司", "个体工商户", "农民专业合作社"]
    industries = ["批发和零售业", "住宿和餐饮业", "制造业", "信息技术服务业"]
    areas = ["草庙子镇", "蔄山镇", "汪疃镇", "苘山镇"]
    seen: set[str] = set()
    while len(seen) < count:
        body = "91371071" + "".join(rng.choices(ALPHABET, k=9))
        code = body + check_char(body)
        if code in seen:
            continue
        seen.add(code)
        area = rng.choice(areas)
        kind = rng.choice(kinds)
        yield [
            code,
            f"威海{''.join(rng.choices(words, k=3))}商贸{kind}",
            kind,
            rng.choice(industries),
            area,
            rng.choice("AABBBCCDE"),
            "存续",
            f"山东省威海市临港区{area}{rng.randint(1, 999)}号",
        ]


def write_csv(path: Path, count: int, encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as out:
        out.write(",".join(c.label for c in ENTITIES.columns) + "\r\n")
        for row in entity_rows(count):
            out.write(",".join(row) + "\r\n")


def write_xlsx(path: Path, count: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("市场主体")
    sheet.append([c.label for c in ENTITIES.columns])
    for row in entity_rows(count, seed=7):
        sheet.append(row)
    book.save(path)


# ------------------------------------------------------------------------- infrastructure


def free_port(start: int) -> int:
    port = start
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0 and (
                start < 20000 or s.connect_ex(("127.0.0.1", port + 1)) != 0
            ):
                return port
        port += 10


class Infra:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.pg_env = {
            **os.environ,
            "PG_PORT": str(free_port(35432)),
            "PG_DIR": str(tmp / "pg"),
            "PG_LISTEN_HOST": "127.0.0.1",
        }
        kafka_port = free_port(39092)
        self.kafka_env = {
            **os.environ,
            "KAFKA_PORT": str(kafka_port),
            "KAFKA_CONTROLLER_PORT": str(kafka_port + 1),
            "KAFKA_DATA_DIR": str(tmp / "kafka"),
            "KAFKA_LISTEN_HOST": "127.0.0.1",
        }
        self.pg_started = self.kafka_started = False

    def _pg(self, *args: str) -> str:
        return subprocess.run(
            [str(ROOT / "infra/postgres/pg.sh"), *args],
            env=self.pg_env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def _kafka(self, *args: str) -> str:
        return subprocess.run(
            [str(ROOT / "infra/kafka/kafka.sh"), *args],
            env=self.kafka_env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def start(self) -> None:
        self.pg_started = True
        self._pg("start")
        self.kafka_started = True
        self._kafka("start")
        self.pg_url = self._pg("url")
        self.bootstrap = self._kafka("bootstrap").splitlines()[-1]

    def database(self, name: str) -> str:
        self._pg("createdb", name)
        return self.pg_url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        if self.kafka_started:
            with contextlib.suppress(Exception):
                self._kafka("stop")
        if self.pg_started:
            with contextlib.suppress(Exception):
                self._pg("stop")


class Service:
    """``spotcheck --target=...`` as a child process."""

    def __init__(self, target: str, env: dict[str, str], log: Path) -> None:
        self.port = free_port(18700)
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "spotcheck_common.runner",
                f"--target={target}",
                "--port",
                str(self.port),
            ],
            env={
                **os.environ,
                "SPOTCHECK_AUTH_SECRET": SECRET,
                "SPOTCHECK_LOG_JSON": "false",
                "SPOTCHECK_LOG_LEVEL": "WARNING",
                **env,
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self._children: dict[int, int] = {}  # pid: highest resident kB seen
        self._watching = threading.Event()
        threading.Thread(target=self._watch_children, daemon=True).start()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(f"service exited; see {log}")
            time.sleep(0.3)
        raise RuntimeError(f"service not ready; see {log}")

    def _watch_children(self) -> None:
        """Sample the resident size of every process the service started (the import's
        reader) every 0.25 s: their peaks count in the import's memory."""
        while not self._watching.wait(0.25):
            for pid in _descendants(self.proc.pid):
                kb = _status_kb(pid, "VmRSS")
                if kb is not None:
                    self._children[pid] = max(self._children.get(pid, 0), kb)

    def peak_mb(self) -> float:
        """The service's peak resident memory plus its children's (their peaks may not
        coincide: an upper bound)."""
        own = _status_kb(self.proc.pid, "VmHWM")
        if own is None:
            return float("nan")
        return (own + sum(self._children.values())) / 1024

    def children_peak_mb(self) -> float:
        return sum(self._children.values()) / 1024

    def stop(self) -> None:
        self._watching.set()
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for text in Path(f"/proc/{pid}/status").read_text().splitlines():
            if text.startswith(field + ":"):
                return int(text.split()[1])
    except OSError:
        return None
    return None


def _descendants(root: int) -> list[int]:
    """The processes ``root`` started, and theirs (the kernel lists each thread's children)."""
    found: list[int] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            found.extend(children)
            todo.extend(children)
    return found


def token(district: str) -> str:
    auth = Authenticator(Settings(district=district, auth_secret=SECRET))
    return auth.issue("bench", ["credit_dept"])


DEADLINE_S = 900  # a run that takes longer has failed


def upload(svc: Service, district: str, path: Path) -> tuple[float, dict[str, Any]]:
    """POST the file (streamed), follow the job; (seconds, final job)."""
    headers = {"Authorization": f"Bearer {token(district)}", "Prefer": "respond-async"}
    t0 = time.perf_counter()

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as fh:
            while data := fh.read(1 << 20):
                yield data

    with httpx.Client(timeout=600) as client:
        answer = client.post(
            f"{svc.url}/api/registry/entities/import",
            content=chunks(),
            params={"filename": path.name},
            headers={**headers, "Content-Length": str(path.stat().st_size)},
        )
        assert answer.status_code == 202, answer.text
        location = svc.url + answer.headers["location"]
        while time.perf_counter() - t0 < DEADLINE_S:
            job = client.get(location, headers=headers).json()
            if job["state"] in ("succeeded", "failed"):
                return time.perf_counter() - t0, job
            time.sleep(0.2)
    raise TimeoutError(f"import not done after {DEADLINE_S} s")


class Outbox:
    """Counts the registry's unpublished outbox rows over one connection (a new engine per
    look would load the machine being measured)."""

    def __init__(self, database_url: str) -> None:
        import asyncpg

        self.loop = asyncio.new_event_loop()
        dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
        self.conn = self.loop.run_until_complete(
            asyncpg.connect(dsn, server_settings={"search_path": "registry"})
        )

    def pending(self) -> int:
        query = "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL"
        return int(self.loop.run_until_complete(self.conn.fetchval(query)))

    def close(self) -> None:
        self.loop.run_until_complete(self.conn.close())
        self.loop.close()


@dataclass
class Run:
    seconds: float  # the figure
    peak_mb: float
    note: str


def run_import(infra: Infra, tmp: Path, name: str, path: Path, rows: int, n: int) -> Run:
    """One import into a fresh database by a fresh service."""
    district = f"bench{name.replace('_', '')[:18]}{n}"
    url = infra.database(district)
    svc = Service(
        "registry",
        {
            "SPOTCHECK_DATABASE_URL": url,
            "SPOTCHECK_KAFKA_BOOTSTRAP": infra.bootstrap,
            "SPOTCHECK_DISTRICT": district,
            "SPOTCHECK_DATA_DIR": str(tmp / f"data-{name}-{n}"),
        },
        tmp / f"{name}-{n}.log",
    )
    outbox = Outbox(url)
    try:
        t0 = time.perf_counter()
        job_s, job = upload(svc, district, path)
        assert job["state"] == "succeeded", job
        assert job["report"]["new"] == rows, job["report"]
        while outbox.pending():
            if time.perf_counter() - t0 > DEADLINE_S:
                raise TimeoutError("events not published")
            time.sleep(0.1)
        total = time.perf_counter() - t0
        peak, reader = svc.peak_mb(), svc.children_peak_mb()
    finally:
        outbox.close()
        svc.stop()
    return Run(
        total,
        peak,
        f"job done after {job_s:.1f} s, events published to Kafka after {total:.1f} s, "
        f"peak {peak:.0f} MB (reader process {reader:.0f} MB)",
    )


def registry_outbox_pending(data: Path) -> int:
    """Events of the all-in-one registry not yet delivered (its SQLite file, read-only)."""
    import sqlite3

    path = data / "lingang-registry.db"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        row = db.execute("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL").fetchone()
    return int(row[0])


TAIL_S = 60  # how long /healthz is watched after the job, while events are delivered


def run_healthz(tmp: Path, path: Path, rows: int, n: int) -> tuple[Run, Run]:
    """``/healthz`` while the all-in-one process imports, until the job ends; then for up to
    TAIL_S more, while the events go to the other services in-process."""
    data = tmp / f"data-healthz-{n}"
    svc = Service(
        "all",
        {
            "SPOTCHECK_DATA_DIR": str(data),
            "SPOTCHECK_DISTRICT": "lingang",
            "SPOTCHECK_KAFKA_BOOTSTRAP": "",
            "SPOTCHECK_DATABASE_URL": "",
        },
        tmp / f"healthz-{n}.log",
    )
    latencies: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                t0 = time.perf_counter()
                client.get(svc.url + "/healthz").raise_for_status()
                latencies.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.02)

    prober = threading.Thread(target=probe, daemon=True)
    try:
        prober.start()
        seconds, job = upload(svc, "lingang", path)
        during = len(latencies)
        assert job["state"] == "succeeded", job
        ended = time.perf_counter()
        pending = registry_outbox_pending(data)
        while pending and time.perf_counter() - ended < TAIL_S:
            time.sleep(1)
            pending = registry_outbox_pending(data)
        tail_s = time.perf_counter() - ended
        stop.set()
        prober.join()
    finally:
        stop.set()
        svc.stop()

    def p99(values: list[float]) -> float:
        return statistics.quantiles(values, n=100)[98] if len(values) > 1 else float("nan")

    job_part, tail = latencies[:during], latencies[during:]
    delivered = "all delivered" if not pending else f"{pending} of the events still to deliver"
    return (
        Run(
            p99(job_part),
            svc.peak_mb(),
            f"{len(job_part)} requests during the {rows:,}-row import ({seconds:.1f} s, "
            f"embedded SQLite); median {statistics.median(job_part):.1f} ms, "
            f"max {max(job_part):.1f} ms",
        ),
        Run(
            p99(tail),
            svc.peak_mb(),
            f"then {len(tail)} requests in {tail_s:.0f} s while the events went to the other "
            f"services in-process ({delivered}): p99 {p99(tail):.0f} ms, "
            f"max {max(tail, default=float('nan')):.0f} ms",
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/registry_bench.py")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--only", nargs="*", default=["utf8", "gb18030", "xlsx", "healthz"])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each figure (best kept)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="spotcheck-bench-imports-", dir="/var/tmp"))
    infra = Infra(tmp)
    failed = 0
    try:
        utf8 = tmp / "entities-utf8.csv"
        write_csv(utf8, args.rows, "utf-8")
        if {"utf8", "gb18030", "xlsx"} & set(args.only):
            infra.start()
        for name, path, rows, make in (
            ("import_csv_utf8_1m", utf8, args.rows, None),
            (
                "import_csv_gb18030_1m",
                tmp / "entities-gb18030.csv",
                args.rows,
                lambda p: write_csv(p, args.rows, "gb18030"),
            ),
            (
                "import_xlsx_100k",
                tmp / "entities.xlsx",
                args.xlsx_rows,
                lambda p: write_xlsx(p, args.xlsx_rows),
            ),
        ):
            key = {"import_csv_utf8_1m": "utf8", "import_csv_gb18030_1m": "gb18030"}.get(
                name, "xlsx"
            )
            if key not in args.only:
                continue
            if make is not None:
                make(path)
            try:
                runs = [run_import(infra, tmp, name, path, rows, n) for n in range(args.repeat)]
            except Exception as exc:
                failed += 1
                print(f"# {name} failed: {exc!r}", file=sys.stderr, flush=True)
                continue
            target, unit = TARGETS[name]
            best = min(runs, key=lambda r: r.seconds)
            print(line(name, best.seconds, unit, target), flush=True)
            print(
                line(f"{name}_peak_rss", best.peak_mb, "MB", TARGETS["import_peak_rss"][0]),
                flush=True,
            )
            size = path.stat().st_size / 2**20
            print(f"# {name}: {rows:,} rows, {size:.0f} MiB; best of {len(runs)}", flush=True)
            for n, run in enumerate(runs, 1):
                print(f"#   run {n}: {run.seconds:.1f} s; {run.note}", flush=True)
        if "healthz" in args.only:
            try:
                both = [run_healthz(tmp, utf8, args.rows, n) for n in range(args.repeat)]
            except Exception as exc:
                failed += 1
                print(f"# healthz failed: {exc!r}", file=sys.stderr, flush=True)
            else:
                best = min((job for job, _ in both), key=lambda r: r.seconds)
                target = TARGETS["healthz_p99_during_import"][0]
                print(line("healthz_p99_during_import", best.seconds, "ms", target), flush=True)
                print(f"# healthz: best of {len(both)}", flush=True)
                for n, (job, delivered) in enumerate(both, 1):
                    print(f"#   run {n}: p99 {job.seconds:.1f} ms; {job.note}", flush=True)
                    print(f"#          {delivered.note}", flush=True)
    finally:
        infra.stop()
        if args.keep:
            print(f"# kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
