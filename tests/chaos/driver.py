"""The people, who retry, and the killer, who strikes at random moments.

``RetryingPlatform`` is flow.py's ``Platform`` whose requests and ceremony-tool runs are retried
as a person would retry them while a service is down: a connection refused, cut or answered
502/503/504 is sent again until the service answers. Nothing is retried that the service
answered: a 4xx or 500 goes back to the flow, which fails on it. A request that may have
reached a service before it died is noted (``interrupted``): if its repetition is refused as a
conflict, the first one went through — the flow then fails on the 409 and the report names the
request; the end checks count what is stored, so a retry never hides a duplicate.

``Killer`` SIGKILLs one victim (a service or the broker) at a random moment of each cycle and
starts it again, in a thread of its own while the cycle goes on; one victim is down at a time.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..e2e.flow import Platform
from .stack import BROKER, Stack

RETRIED_STATUSES = (502, 503, 504)
# The request never left: repeating it cannot repeat its effect.
UNSENT = (httpx.ConnectError, httpx.ConnectTimeout)
# The ceremony tool (exit 2) when the server could not be reached or went away mid-request.
TOOL_UNREACHABLE = "无法连接服务器"
# The server's refusals of an act it has already recorded (draws service, exit 1).
TOOL_ALREADY = ("已提交承诺", "已揭示种子", "已会签", "已登记")


@dataclass
class RetryingPlatform(Platform):
    patience_s: float = 300.0  # how long a person keeps retrying one request
    interrupted: list[str] = field(default_factory=list)
    retries: int = 0

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        deadline = time.monotonic() + self.patience_s
        delivered = False  # a previous attempt may have reached the service
        while True:
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                delivered |= not isinstance(exc, UNSENT)
                self._pause(deadline, f"{method} {url}: {exc!r}")
                continue
            if response.status_code in RETRIED_STATUSES:
                self._pause(deadline, f"{method} {url}: {response.status_code}")
                continue
            if delivered and method != "GET":
                self.interrupted.append(f"{method} {url} → {response.status_code}")
            return response

    def run_tool(
        self, argv: list[str], env: dict[str, str], cwd: Path
    ) -> subprocess.CompletedProcess[str]:
        deadline = time.monotonic() + self.patience_s
        failed = False  # a previous run lost the server, perhaps after it acted
        while True:
            done = super().run_tool(argv, env, cwd)
            out = done.stdout + done.stderr
            if done.returncode == 0:
                return done
            if failed and done.returncode == 1 and any(m in out for m in TOOL_ALREADY):
                # The interrupted run's act is recorded (the server refuses it twice).
                self.interrupted.append(f"ceremony {argv[4]}: {out.strip()[-200:]}")
                return subprocess.CompletedProcess(argv, 0, done.stdout, done.stderr)
            if TOOL_UNREACHABLE in out or (failed and done.returncode == 2):
                failed = True
                argv = resumed(argv, out)
                self._pause(deadline, f"ceremony {argv[4]}: {out.strip()[-200:]}")
                continue
            return done

    def _pause(self, deadline: float, what: str) -> None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"still failing after {self.patience_s:.0f} s: {what}")
        self.retries += 1
        time.sleep(0.5)


def resumed(argv: list[str], out: str) -> list[str]:
    """The tool's next run after an interrupted one, as its user would type it: a key written
    but perhaps not registered is registered; a share saved but perhaps not committed is
    committed again (``--resend``, the same commitment)."""
    head, command = argv[:4], argv[4]
    option = {argv[i]: argv[i + 1] for i in range(5, len(argv) - 1) if argv[i].startswith("--")}
    if command == "keygen" and "不覆盖" in out:
        return [*head, "register", "--key", option["--key"], "--api", option["--api"]]
    if command == "commit" and "--resend" in out and "--resend" not in argv:
        return [*argv, "--resend"]
    return argv


@dataclass
class Kill:
    cycle: int
    victim: str
    at_s: float  # into its cycle
    pause_s: float  # from the kill to the restart's start
    down_s: float = 0.0  # from SIGKILL to serving again
    late: bool = False  # the cycle ended first: struck at its end


@dataclass
class Killer:
    """Per cycle: a victim (the broker at least once in a campaign) and a moment, uniform over
    the first ``window`` of the cycle; ``window`` follows the cycles' durations (80 % of their
    median so far), so the moment falls anywhere in a cycle; a cycle that ends first is struck
    at its end."""

    stack: Stack
    rng: random.Random
    victims: list[str]
    window_s: float
    kills: list[Kill] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)  # of the cycles so far
    errors: list[str] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _now: threading.Event = field(default_factory=threading.Event)
    _fired: threading.Event = field(default_factory=threading.Event)
    _halted: bool = False

    def arm(self, cycle: int, broker: bool) -> None:
        """Schedule this cycle's kill; ``broker``: the broker is the victim."""
        victim = BROKER if broker else self.rng.choice(self.victims)
        delay, pause = self.rng.uniform(0, self.window_s), self.rng.uniform(0.0, 2.0)
        previous, self._now, self._fired = self._thread, threading.Event(), threading.Event()
        start = time.monotonic()
        self._thread = threading.Thread(
            target=self._strike,
            args=(previous, Kill(cycle, victim, delay, pause), start, self._now, self._fired),
            name=f"killer-{cycle}",
            daemon=True,
        )
        self._thread.start()

    def cycle_done(self, duration_s: float) -> None:
        """The cycle ended: its kill, if still to come, strikes now (every cycle has one)."""
        self._now.set()
        self._fired.wait()
        self.durations.append(duration_s)
        self.window_s = 0.8 * statistics.median(self.durations)

    def stop(self) -> None:
        """No kill any more (one not struck yet never is); the last victim is serving again
        when this returns."""
        self._halted = True
        self._now.set()
        if self._thread is not None:
            self._thread.join()

    def _strike(
        self,
        previous: threading.Thread | None,
        kill: Kill,
        start: float,
        now: threading.Event,
        fired: threading.Event,
    ) -> None:
        if previous is not None:
            previous.join()  # one victim down at a time
        try:
            kill.late = now.wait(timeout=max(0.0, start + kill.at_s - time.monotonic()))
            if self._halted:
                return
            kill.at_s = time.monotonic() - start
            struck = time.monotonic()
            self.stack.kill(kill.victim)
            self.kills.append(kill)
            fired.set()
            time.sleep(kill.pause_s)  # down for a moment, as a crash-looping pod
            self.stack.restart(kill.victim)
            kill.down_s = time.monotonic() - struck
        except Exception as exc:  # reported: a victim that cannot come back fails the run
            self.errors.append(f"{kill.victim} (cycle {kill.cycle}): {exc!r}")
        finally:
            fired.set()
