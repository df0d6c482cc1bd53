"""``python -m tests.chaos.campaign`` (``make chaos``): the fault campaign.

Starts its own stack (tests/chaos/stack.py), runs ``--cycles`` full cycles one after another
(flow.py's ``run_cycle``, each on entities of its own area), SIGKILLs a random victim during
each cycle and starts it again (tests/chaos/driver.py); then, kills stopped and the stack
settled, counts what is stored (tests/chaos/checks.py) and prints

    CHAOS cycles=N kills=K lost=L duplicated=D seed=S failed=F duration=Ts

Exit status 0 only when every cycle ran, every kill struck and its victim came back, nothing
is lost or duplicated and every check passed. Everything it started is stopped at the end,
also on failure, Ctrl-C, SIGTERM or its global ``--timeout``. docs/operations/chaos.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from ..e2e.flow import Cycle, run_cycle
from ..e2e.stack import SERVICES
from .checks import Tally, count, verify
from .driver import Killer, RetryingPlatform
from .stack import BROKER, Stack, running

SETTLE_TIMEOUT_S = 300.0  # for the last events to arrive once the kills stopped
GIVE_UP_AFTER = 3  # failed cycles in a row: the stack is broken, stop


@dataclass
class Run:
    """What the campaign did, for the report."""

    seed: int
    cycles: list[tuple[Cycle, bool]] = field(default_factory=list)  # (cycle, ran to its end)
    failures: list[str] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)

    @property
    def completed(self) -> int:
        return sum(whole for _, whole in self.cycles)


def one_cycle(p: RetryingPlatform, killer: Killer, run: Run, n: int, broker: bool) -> None:
    task_no, area = f"LG-CHAOS-{n:03d}", f"演练片区{n:03d}"
    killer.arm(n, broker)
    start = time.monotonic()
    p.interrupted.clear()
    try:
        cycle = run_cycle(p, task_no, area=area)
        whole = True
    except Exception as exc:
        cycle, whole = Cycle(task_no=task_no, area=area), False
        interrupted = f" (interrupted requests: {p.interrupted})" if p.interrupted else ""
        run.failures.append(f"{task_no}: {type(exc).__name__}: {str(exc)[:600]}{interrupted}")
    took = time.monotonic() - start
    killer.cycle_done(took)
    run.cycles.append((cycle, whole))
    kill = killer.kills[-1] if killer.kills and killer.kills[-1].cycle == n else None
    struck = f"{kill.victim} at {kill.at_s:.1f} s{' (end)' if kill.late else ''}" if kill else "-"
    state = f"{len(cycle.targets)} targets" if whole else "FAILED"
    print(f"# cycle {n} {task_no}: {took:.1f} s, {state}; killed {struck}", flush=True)


def settle(stack: Stack, run: Run) -> None:
    """Kills stopped and every process up: count until nothing is missing any more (events
    still on their way) or the settle time is over; then what people outside verify."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        run.tally = count(stack.database_url, run.cycles)
        if run.tally.passed or run.tally.duplicated or time.monotonic() > deadline:
            break  # (a duplicate stays one: no point waiting)
        time.sleep(3)
    p = RetryingPlatform({name: stack.url(name) for name in SERVICES}, patience_s=60)
    for cycle, whole in run.cycles:
        if whole:
            verify(p, run.tally, cycle)


def campaign(stack: Stack, run: Run, cycles: int, window_s: float) -> Killer:
    rng = random.Random(run.seed)
    killer = Killer(stack, rng, [*SERVICES, BROKER], window_s)
    p = RetryingPlatform({name: stack.url(name) for name in SERVICES})
    broker_cycle = rng.randrange(cycles)  # at least one broker kill in any campaign
    failed_in_a_row = 0
    try:
        for n in range(1, cycles + 1):
            one_cycle(p, killer, run, n, broker=n - 1 == broker_cycle)
            failed_in_a_row = 0 if run.cycles[-1][1] else failed_in_a_row + 1
            if failed_in_a_row >= GIVE_UP_AFTER:
                run.failures.append(f"gave up after {GIVE_UP_AFTER} failed cycles in a row")
                break
    finally:
        killer.stop()
    stack.revive()
    start = time.monotonic()
    settle(stack, run)
    print(f"# settled and checked in {time.monotonic() - start:.0f} s", flush=True)
    print(f"# requests retried while a service was down: {p.retries}", flush=True)
    return killer


def report(run: Run, killer: Killer, cycles: int, took: float) -> bool:
    victims = Counter(k.victim for k in killer.kills)
    downs = sorted(k.down_s for k in killer.kills if k.down_s)
    if downs:
        print(
            f"# kills by victim: {dict(sorted(victims.items()))}; down (kill to serving again) "
            f"median {downs[len(downs) // 2]:.1f} s, max {downs[-1]:.1f} s",
            flush=True,
        )
    problems = run.failures + killer.errors + run.tally.problems
    if len(killer.kills) < len(run.cycles):
        problems.append(f"{len(run.cycles)} cycles but {len(killer.kills)} kills")
    if run.completed < cycles:
        problems.append(f"{run.completed} of {cycles} cycles ran to their end")
    for problem in problems[:40]:
        print(f"# PROBLEM {problem}", flush=True)
    if len(problems) > 40:
        print(f"# ... and {len(problems) - 40} more", flush=True)
    failed = len(run.cycles) - run.completed
    print(
        f"CHAOS cycles={run.completed} kills={len(killer.kills)} lost={run.tally.lost} "
        f"duplicated={run.tally.duplicated} seed={run.seed} failed={failed} duration={took:.0f}s",
        flush=True,
    )
    return not problems


@contextmanager
def bounded(seconds: int) -> Iterator[None]:
    """SIGTERM and the global timeout end the campaign as Ctrl-C does: through its finally
    blocks, which stop every process."""

    def stop(signum: int, _: FrameType | None) -> None:
        raise SystemExit(f"chaos: stopped by {signal.Signals(signum).name}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.campaign")
    parser.add_argument("--cycles", type=int, default=int(os.environ.get("CHAOS_CYCLES", 50)))
    parser.add_argument("--seed", type=int, default=None, help="the killer's (printed; replay it)")
    parser.add_argument("--timeout", type=int, default=None, help="seconds for everything")
    parser.add_argument("--window", type=float, default=15.0, help="first cycle's kill window (s)")
    parser.add_argument(
        "--work",
        type=Path,
        default=os.environ.get("SPOTCHECK_CHAOS_WORK") or None,
        help="data and logs (a temporary directory, kept on failure, by default)",
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    timeout = args.timeout or 600 + 240 * args.cycles
    work = args.work or Path(tempfile.mkdtemp(prefix="spotcheck-chaos-", dir="/var/tmp"))
    print(f"# chaos: seed={seed} cycles={args.cycles} timeout={timeout}s work={work}", flush=True)
    work.mkdir(parents=True, exist_ok=True)
    (work / "campaign.pid").write_text(str(os.getpid()))
    run = Run(seed)
    start, ok = time.monotonic(), False
    try:
        with bounded(timeout), running(work) as stack:
            killer = campaign(stack, run, args.cycles, args.window)
        ok = report(run, killer, args.cycles, time.monotonic() - start)
    finally:
        (work / "campaign.pid").unlink(missing_ok=True)
        if ok and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"# chaos: data and logs kept in {work}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
