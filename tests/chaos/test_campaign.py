"""The short campaign (``infra/test.sh chaos``): three full cycles on a stack of its own, a
SIGKILL during each, the broker among the victims; nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CYCLES = 3
TIMEOUT_S = 480  # the campaign's own bound; this test's is a little above it


@pytest.mark.chaos
@pytest.mark.timeout(TIMEOUT_S + 120)
def test_three_cycles_with_a_kill_in_each_lose_and_duplicate_nothing() -> None:
    seed = os.environ.get("SPOTCHECK_CHAOS_SEED")  # replays a failed run's kills
    command = [sys.executable, "-m", "tests.chaos.campaign", "--cycles", str(CYCLES)]
    command += ["--timeout", str(TIMEOUT_S), *(["--seed", seed] if seed else [])]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:  # as it goes: a campaign takes minutes
            print(line, end="", flush=True)
            lines.append(line)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:  # this test timed out: the campaign stops what it started
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
    out = "".join(lines)
    assert process.returncode == 0, out[-4000:]
    chaos = re.search(r"^CHAOS cycles=(\d+) kills=(\d+) lost=(\d+) duplicated=(\d+) ", out, re.M)
    assert chaos, out[-2000:]
    cycles, kills, lost, duplicated = map(int, chaos.groups())
    assert (cycles, lost, duplicated) == (CYCLES, 0, 0)
    assert kills >= CYCLES
    struck = re.findall(r"^# cycle \d+ \S+: .*; killed (\S+) at", out, re.M)
    assert len(struck) == CYCLES and "kafka" in struck, struck
