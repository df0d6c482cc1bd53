"""The backup-and-restore drill (``make drill``, started by infra/postgres/drill.sh, which owns
the directory and stops what is left on exit).

On a PostgreSQL with WAL archiving: migrate the seven services as the owner, run the whole cycle
through the all-in-one server (runtime role, in-process events through the outbox), take a base
backup, run another cycle, stop the services and snapshot every outbox and processed event,
create a restore point, run a third cycle (which must not survive), archive its WAL, stop. Then
restore the base backup into a new data directory, replay the archive up to the restore point,
and check: the database is exactly the snapshot (nothing before the point lost, nothing after
it kept); the services restart on it and leave nothing pending; every event is in each of its
subscribers' processed events exactly once and no event id repeats; every dossier's hash chain
verifies. Prints ``DRILL <name> <value>`` lines; exit 1 on any failure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from spotcheck_common.runner import load  # noqa: E402
from spotcheck_common.testing import TEST_SECRET  # noqa: E402
from tests.e2e.flow import CREDIT, Platform, run_cycle  # noqa: E402
from tests.e2e.stack import E2E_CLOCK, SERVICES  # noqa: E402

PG_SH = ROOT / "infra" / "postgres" / "pg.sh"
DATABASE = "spotcheck"
OWNER, RUNTIME = "spotcheck_owner", "spotcheck_drill"
POINT = "spotcheck-drill"
Event = tuple[str, str, str]  # (schema, event_id, event_type)


class DrillFailed(Exception):
    pass


def check(condition: bool, what: str) -> None:
    if not condition:
        raise DrillFailed(what)


@dataclass
class Drill:
    dir: Path
    port: int
    restore_port: int
    app_port: int
    bin: Path

    @property
    def archive(self) -> Path:
        return self.dir / "archive"

    def url(self, role: str, port: int | None = None) -> str:
        # libpq's form, as CloudNativePG writes it: the services normalise it for asyncpg.
        return f"postgresql://{role}@127.0.0.1:{port or self.port}/{DATABASE}"

    def pg(self, command: str, name: str, port: int) -> None:
        env = {**os.environ, "PG_DIR": str(self.dir / name), "PG_PORT": str(port)}
        env |= {"PG_LISTEN_HOST": "127.0.0.1", "PG_BIN": str(self.bin), "PG_DATABASE": DATABASE}
        env["PG_FSYNC"] = "on"  # as in production: full_page_writes, synchronous commits
        subprocess.run([str(PG_SH), command], env=env, check=True, stdout=subprocess.DEVNULL)


def sql(url: str, *statements: str) -> list[list[Any]]:
    async def run() -> list[list[Any]]:
        conn = await asyncpg.connect(url)
        try:
            return [[tuple(r) for r in await conn.fetch(s)] for s in statements]
        finally:
            await conn.close()

    return asyncio.run(run())


def admin(d: Drill, port: int | None = None) -> str:
    return f"postgresql://spotcheck@127.0.0.1:{port or d.port}/{DATABASE}"


def start_archiving_cluster(d: Drill) -> None:
    """A fresh cluster whose every WAL segment is copied to the archive (never overwritten)."""
    d.archive.mkdir()
    if os.geteuid() == 0:  # pg.sh runs the server as `postgres`
        shutil.chown(d.archive, "postgres", "postgres")
    d.pg("start", "primary", d.port)
    archive = f"test ! -f {d.archive}/%f && cp %p {d.archive}/%f"
    sql(
        admin(d),
        "ALTER SYSTEM SET archive_mode = on",
        f"ALTER SYSTEM SET archive_command = '{archive}'",
        f"CREATE ROLE {OWNER} LOGIN",
        f"CREATE ROLE {RUNTIME} LOGIN",
        f"ALTER DATABASE {DATABASE} OWNER TO {OWNER}",
    )
    d.pg("stop", "primary", d.port)  # archive_mode takes a restart
    d.pg("start", "primary", d.port)


def migrate(d: Drill) -> None:
    env = {
        **os.environ,
        "SPOTCHECK_DATABASE_OWNER_URL": d.url(OWNER),
        "SPOTCHECK_DATABASE_URL": d.url(RUNTIME),
    }
    command = [sys.executable, "-m", "spotcheck_common.runner", "--target=all", "migrate"]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


@contextmanager
def services(d: Drill, port: int, log: str) -> Iterator[Platform]:
    """The all-in-one server as the runtime role on the cluster at ``port``."""
    env = {
        **os.environ,
        "SPOTCHECK_DATABASE_URL": d.url(RUNTIME, port),
        "SPOTCHECK_KAFKA_BOOTSTRAP": "",
        "SPOTCHECK_DATA_DIR": str(d.dir / "data"),
        "SPOTCHECK_AUTH_SECRET": TEST_SECRET,
        "SPOTCHECK_RELAY_INTERVAL_S": "0.05",
        "SPOTCHECK_CLOCK": E2E_CLOCK,
        "SPOTCHECK_LOG_JSON": "false",
    }
    command = [sys.executable, "-m", "spotcheck_common.runner", "--target=all"]
    with (d.dir / log).open("w") as out:
        process = subprocess.Popen([*command, f"--port={d.app_port}"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        base = f"http://127.0.0.1:{d.app_port}"
        try:
            until(lambda: _healthy(base, process), 120, "the services to start")
            yield Platform({s: base for s in SERVICES})
        finally:
            process.terminate()
            process.wait(timeout=60)


def _healthy(base: str, process: subprocess.Popen[bytes]) -> bool:
    check(process.poll() is None, f"the services exited ({process.returncode})")
    try:
        return httpx.get(base + "/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        check(time.monotonic() < deadline, f"timed out waiting for {what}")
        time.sleep(0.2)


def outbox_pending(url: str) -> int:
    union = " UNION ALL ".join(
        f"SELECT id FROM {s}.outbox WHERE published_at IS NULL" for s in SERVICES
    )
    return int(sql(url, f"SELECT count(*) FROM ({union}) p")[0][0][0])


@dataclass(frozen=True)
class Snapshot:
    events: frozenset[Event]
    processed: Counter[tuple[str, str, str]]  # (schema, consumer, event_id) → rows

    @property
    def event_ids(self) -> Counter[str]:
        return Counter(e[1] for e in self.events)


def snapshot(url: str) -> Snapshot:
    outbox = [f"SELECT '{s}', event_id, event_type FROM {s}.outbox" for s in SERVICES]
    processed = [f"SELECT '{s}', consumer, event_id FROM {s}.processed_events" for s in SERVICES]
    rows, done = sql(url, " UNION ALL ".join(outbox), " UNION ALL ".join(processed))
    return Snapshot(frozenset(rows), Counter(done))


def subscribers() -> dict[str, set[tuple[str, str]]]:
    """event type → the (schema, consumer) pairs that must process each event of that type
    (the services' own-district subscriptions)."""
    found: dict[str, set[tuple[str, str]]] = {}
    for service in SERVICES:
        for sub in load(service).subscriptions:
            if not sub.neighbours:
                consumer = f"{service}.{sub.consumer_name}"
                found.setdefault(sub.event.event_type(), set()).add((service, consumer))
    return found


def exactly_once(state: Snapshot) -> int:
    """Every event in each subscriber's processed events exactly once, no event id twice, no
    processed event that has no event. Returns how many deliveries it checked."""
    repeated = [e for e, n in state.event_ids.items() if n > 1]
    check(not repeated, f"event ids in more than one outbox row: {repeated[:5]}")
    wanted = Counter(
        (schema, consumer, event_id)
        for _, event_id, event_type in state.events
        for schema, consumer in subscribers().get(event_type, ())
    )
    lost = wanted - state.processed
    check(not lost, f"{len(lost)} deliveries lost, e.g. {sorted(lost)[:3]}")
    extra = state.processed - wanted
    check(not extra, f"{len(extra)} processed events of no event (or twice): {sorted(extra)[:3]}")
    return sum(wanted.values())


def work(p: Platform, task_no: str, objection: bool) -> str:
    return run_cycle(p, task_no, objection=objection).task_id


def restore(d: Drill) -> float:
    """The base backup into a new data directory, the archive replayed up to the point."""
    started = time.monotonic()
    data = d.dir / "restored" / "data"
    data.parent.mkdir()
    shutil.copytree(d.dir / "base", data, symlinks=True)
    (data / "recovery.signal").touch()
    with (data / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            "archive_mode = off\n"
            f"restore_command = 'cp {d.archive}/%f %p'\n"
            f"recovery_target_name = '{POINT}'\n"
            "recovery_target_action = 'promote'\n"
        )
    d.pg("start", "restored", d.restore_port)
    url = admin(d, d.restore_port)
    until(lambda: not sql(url, "SELECT pg_is_in_recovery()")[0][0][0], 120, "promotion")
    return time.monotonic() - started


def base_backup(d: Drill) -> None:
    command = [str(d.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(d.port), "-U",
               "spotcheck", "-D", str(d.dir / "base"), "-c", "fast", "-X", "stream"]  # fmt: skip
    subprocess.run(command, check=True)


def archive_current_wal(d: Drill) -> None:
    """Close the current WAL segment and wait until the archive holds it."""
    (segment,) = sql(admin(d), "SELECT pg_walfile_name(pg_switch_wal())")[0][0]
    until(lambda: (d.archive / segment).exists(), 60, f"WAL {segment} in the archive")


def verify_dossiers(p: Platform, task_ids: list[str]) -> int:
    for task_id in task_ids:
        verified = p.call("archives", "GET", f"/api/archives/dossiers/{task_id}/verify", CREDIT)
        check(verified["ok"] is True, f"dossier of task {task_id} does not verify: {verified}")
    return len(task_ids)


def drill(d: Drill) -> dict[str, float | int]:
    figures: dict[str, float | int] = {}
    start_archiving_cluster(d)
    migrate(d)
    with services(d, d.port, "services-1.log") as p:
        kept = [work(p, "DRILL-BEFORE-BACKUP", objection=True)]
        base_backup(d)
        kept.append(work(p, "DRILL-AFTER-BACKUP", objection=False))
        until(lambda: outbox_pending(admin(d)) == 0, 60, "the outbox to drain")
    at_point = snapshot(admin(d))  # the services stopped: nothing moves until the point
    sql(admin(d), f"SELECT pg_create_restore_point('{POINT}')")
    with services(d, d.port, "services-2.log") as p:
        lost_task = work(p, "DRILL-AFTER-POINT", objection=False)
    after_point = snapshot(admin(d))
    check(len(after_point.events) > len(at_point.events), "the work after the point wrote no event")
    archive_current_wal(d)  # the lost work is in the archive: only the target stops its replay
    d.pg("stop", "primary", d.port)

    figures["restore_seconds"] = round(restore(d), 1)
    restored = snapshot(admin(d, d.restore_port))
    check(restored.events == at_point.events, "the restored outbox is not the one at the point")
    check(restored.processed == at_point.processed, "the restored processed events differ")
    with services(d, d.restore_port, "services-3.log") as p:
        # The task created after the point is not there (Platform.call asserts the 404).
        p.call("planning", "GET", f"/api/planning/tasks/{lost_task}", CREDIT, expect=404)
        until(lambda: outbox_pending(admin(d, d.restore_port)) == 0, 60, "nothing pending")
        figures["dossiers_verified"] = verify_dossiers(p, kept)
    final = snapshot(admin(d, d.restore_port))
    check(final == at_point, "restarting the services on the restored database changed events")
    figures["events_at_point"] = len(at_point.events)
    figures["events_after_point_dropped"] = len(after_point.events) - len(final.events)
    figures["deliveries_exactly_once"] = exactly_once(final)
    figures["wal_segments_archived"] = len(list(d.archive.iterdir()))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--restore-port", type=int, required=True)
    parser.add_argument("--app-port", type=int, required=True)
    parser.add_argument("--pg-bin", type=Path, default=Path("/usr/lib/postgresql/15/bin"))
    args = parser.parse_args()
    d = Drill(args.dir, args.port, args.restore_port, args.app_port, args.pg_bin)
    started = time.monotonic()
    try:
        figures = drill(d)
    except (DrillFailed, AssertionError) as failure:  # flow.py's checks assert
        print(f"DRILL FAILED: {failure} (DRILL_KEEP=1 keeps {d.dir})", file=sys.stderr)
        return 1
    figures["total_seconds"] = round(time.monotonic() - started, 1)
    for name, value in figures.items():
        print(f"DRILL {name} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
