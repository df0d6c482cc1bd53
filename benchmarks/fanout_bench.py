"""``python benchmarks/fanout_bench.py`` (``make bench``): a draw's fan-out through the real
broker, issue 13 item 6.

- ``fanout_10000``: a draw of 10,000 targets becomes 10,000 open inspections. Timed from the
  commit of ``DrawCompleted`` (its parts, ADR 0012) in the draws outbox to the commit of the
  last inspection (target 5 s).
- ``fanout_province``: a province's draw, 60,000 targets, the same path (no target: the figure
  is recorded in docs/benchmarks.md).

The shape of ``make up``: PostgreSQL and Kafka (SCRAM and ACLs on, the district's own user),
inspections as its own process (``spotcheck --target=inspections``). The draws service is
stood in for by its outbox and relay in this process: what is timed is the event's way from the
committed outbox to committed inspections (relay, broker, consumer, handler), not the draw.
PostgreSQL and Kafka are this benchmark's own (fresh data under ``$SPOTCHECK_BENCH_DIR``,
ports 26432 and 26092/26093, below the ephemeral range), stopped at the end; traffic stays on
127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from spotcheck_common.bus import KafkaBus, KafkaSecurity
from spotcheck_common.db import Database, service_metadata
from spotcheck_common.events.draws import DrawCompleted, DrawnTarget, TeamMember
from spotcheck_common.events.planning import CheckItemRef, TargetFilter, TaskApproved
from spotcheck_common.events.types import TeamRole
from spotcheck_common.outbox import OutboxRelay
from spotcheck_common.uow import Context, UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from own_stack import infrastructure  # noqa: E402

DISTRICT = "lingang"
PORTS = {"PG_PORT": "26432", "KAFKA_PORT": "26092", "KAFKA_CONTROLLER_PORT": "26093"}
INSPECTIONS_PORT = 38104
TARGETS = {"fanout_10000": (5.0, "s"), "fanout_province": (0.0, "s")}
SIZES = {"fanout_10000": 10_000, "fanout_province": 60_000}


def line(name: str, value: float) -> str:
    target, unit = TARGETS[name]
    if not target:
        return f"BENCH {name} {value:.4g} {unit} target=none"
    return f"BENCH {name} {value:.4g} {unit} target={target:g} ratio={value / target:.3f}"


@contextmanager
def inspections_process(settings: dict[str, str], log: Path) -> Iterator[None]:
    env = {
        **os.environ,
        **settings,
        "SPOTCHECK_DISTRICT": DISTRICT,
        "SPOTCHECK_AUTH_SECRET": "bench-secret-" + os.urandom(12).hex(),
        "SPOTCHECK_LOG_JSON": "false",
        "SPOTCHECK_DATA_DIR": str(log.parent / "data"),
    }
    env.pop("SPOTCHECK_OTEL_EXPORTER_ENDPOINT", None)  # no traces: not what is measured
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "spotcheck"),
                "--target=inspections",
                "--port",
                str(INSPECTIONS_PORT),
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"inspections exited; see {log}")
            try:
                if httpx.get(f"http://127.0.0.1:{INSPECTIONS_PORT}/readyz", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit(f"inspections not ready after 120 s; see {log}")
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def task(task_id: str) -> TaskApproved:
    return TaskApproved(
        task_id=task_id,
        task_no=f"LG-2026-{task_id[-3:]}",
        title="2026年全市企业公示信息抽查",
        lead_department="信用监管科",
        check_items=[CheckItemRef(code="SD-01", name="企业公示信息检查")],
        target_filter=TargetFilter(),
        ratio_bp={"C": 500},
        inspector_departments=["临港市场监管所"],
        team_size=2,
        deadline=date(2026, 12, 31),
        approved_by="fuju-wang",
    )


def draw(task_id: str, size: int) -> DrawCompleted:
    def team(i: int) -> list[TeamMember]:
        return [
            TeamMember(
                inspector_id=f"LG{i % 997:04d}",
                name="王强",
                department="临港市场监管所",
                role=TeamRole.LEADER,
            ),
            TeamMember(
                inspector_id=f"LG{1000 + i % 991:04d}",
                name="陈静",
                department="临港市场监管所",
                role=TeamRole.MEMBER,
            ),
        ]

    return DrawCompleted(
        draw_id=f"draw-{task_id}",
        task_id=task_id,
        task_no=f"LG-2026-{task_id[-3:]}",
        algorithm="spotcheck-draw/3",
        seed_hex="ab" * 32,
        population_size=size * 20,
        targets=[
            DrawnTarget(
                uscc=f"91371000MA{i:07d}X",
                entity_name=f"威海市第{i:06d}号商贸有限公司",
                risk_class="C",
                area="草庙子镇",
                team=team(i),
            )
            for i in range(size)
        ],
        unstaffed=[],
    )


class StandIn:
    """The draws (and planning) service's side: an outbox in its own schema, and its relay."""

    def __init__(self, settings: dict[str, str]) -> None:
        self.db = Database(settings["SPOTCHECK_DATABASE_URL"], "bench_draws")
        self.bus = KafkaBus(
            settings["SPOTCHECK_KAFKA_BOOTSTRAP"],
            security=KafkaSecurity(
                protocol="SASL_PLAINTEXT",
                username=DISTRICT,
                password=settings["SPOTCHECK_KAFKA_SASL_PASSWORD"],
            ),
        )
        self.relay = OutboxRelay(
            "bench_draws", self.db, self.bus.publish, interval_s=0.02, in_flight=64
        )

    async def __aenter__(self) -> StandIn:
        async with self.db.engine.begin() as conn:
            await conn.execute(sa.text('CREATE SCHEMA IF NOT EXISTS "bench_draws"'))
            await conn.run_sync(service_metadata().create_all)
        await self.bus.start()
        self.stop = asyncio.Event()
        self.running = asyncio.create_task(self.relay.run(self.stop))
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.stop.set()
        self.relay.wake()
        await self.running
        await self.bus.stop()
        await self.db.dispose()

    async def emit(self, *events: Any) -> None:
        uow = UnitOfWork(self.db, DISTRICT, Context(actor="bench"), on_commit=[self.relay.wake])
        async with uow:
            for event in events:
                await uow.emit(event)
            await uow.commit()

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.db.engine.connect() as conn:
            return (await conn.execute(sa.text(sql), params)).scalar()

    async def until(self, sql: str, expected: int, seconds: float, **params: Any) -> float:
        """Poll ``sql`` every 10 ms until it counts ``expected`` or more; when it did
        (monotonic)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if await self.scalar(sql, **params) >= expected:
                return time.monotonic()
            await asyncio.sleep(0.01)
        raise SystemExit(f"{sql} did not reach {expected} in {seconds} s")


async def fan_out(stand_in: StandIn, name: str, task_id: str) -> float:
    size = SIZES[name]
    await stand_in.emit(task(task_id))
    await stand_in.until(
        "SELECT count(*) FROM inspections.tasks WHERE task_id = :t", 1, 60, t=task_id
    )
    parts = draw(task_id, size).split()
    print(f"# {name}: {size} targets in {len(parts)} parts", flush=True)
    await stand_in.emit(*parts)
    committed = time.monotonic()
    count = "SELECT count(*) FROM inspections.inspections WHERE task_id = :t"
    first = await stand_in.until(count, len(parts[0].targets), 600, t=task_id)
    done = await stand_in.until(count, size, 600, t=task_id)
    print(
        f"# {name}: first part's inspections after {first - committed:.3f} s (relay, broker,"
        f" consumer), then {(size - len(parts[0].targets)) / max(done - first, 1e-9):.0f}/s",
        flush=True,
    )
    return done - committed


async def measure(settings: dict[str, str], names: list[str]) -> None:
    async with StandIn(settings) as stand_in:
        # A first small draw warms the consumer's connections and the relay's producer.
        await fan_out_warm(stand_in)
        for i, name in enumerate(names):
            print(line(name, await fan_out(stand_in, name, f"task-{i:03d}")), flush=True)


async def fan_out_warm(stand_in: StandIn) -> None:
    await stand_in.emit(task("warm-000"))
    await stand_in.until("SELECT count(*) FROM inspections.tasks WHERE task_id = 'warm-000'", 1, 60)
    await stand_in.emit(*draw("warm-000", 50).split())
    await stand_in.until(
        "SELECT count(*) FROM inspections.inspections WHERE task_id = 'warm-000'", 50, 60
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/fanout_bench.py")
    parser.add_argument("--only", choices=sorted(SIZES), action="append")
    args = parser.parse_args(argv)
    work = Path(os.environ.get("SPOTCHECK_BENCH_DIR", Path.home() / ".cache/spotcheck/bench"))
    with (
        infrastructure(work / "fanout", PORTS, DISTRICT) as settings,
        inspections_process(settings, work / "fanout" / "inspections.log"),
    ):
        asyncio.run(measure(settings, args.only or list(SIZES)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
