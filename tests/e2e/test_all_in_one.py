"""The all-in-one process (``spotcheck --target=all``, embedded SQLite, in-process events)
runs the whole cycle, as ``make run`` does on a fresh machine."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from spotcheck_common.testing import TEST_SECRET

from .calendar_year import DECEMBER_CLOCK, run_calendar
from .flow import Platform, assert_cycle, run_cycle
from .stack import E2E_CLOCK, SERVICES, free_port, wait_until
from .year import LATER_CLOCK, exempt_later, run_year


@pytest.fixture
def all_in_one(tmp_path: Path) -> Iterator[str]:
    with serving(tmp_path, E2E_CLOCK) as url:
        yield url


@pytest.fixture
def all_in_one_in_december(tmp_path: Path) -> Iterator[str]:
    with serving(tmp_path, DECEMBER_CLOCK) as url:
        yield url


@contextmanager
def serving(tmp_path: Path, clock: str) -> Iterator[str]:
    """The all-in-one process on the data in ``tmp_path`` (kept from an earlier run), its
    domain clock standing at ``clock``."""
    port = free_port()
    env = {
        **os.environ,
        "SPOTCHECK_DATA_DIR": str(tmp_path),
        "SPOTCHECK_AUTH_SECRET": TEST_SECRET,
        "SPOTCHECK_KAFKA_BOOTSTRAP": "",
        "SPOTCHECK_DATABASE_URL": "",
        "SPOTCHECK_RELAY_INTERVAL_S": "0.05",
        "SPOTCHECK_CLOCK": clock,
    }
    log_path = tmp_path / f"spotcheck-{clock[:10]}.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "spotcheck_common.runner", "--target=all", f"--port={port}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(url + "/healthz").status_code == 200, 120, "all-in-one")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        if process.returncode not in (0, -15):
            print(log_path.read_text()[-5000:])


def test_the_whole_cycle_runs_in_one_process(all_in_one: str) -> None:
    platform = Platform({service: all_in_one for service in SERVICES})
    health = httpx.get(all_in_one + "/healthz").json()
    assert health["services"] == SERVICES
    cycle = run_cycle(platform, "LG-E2E-ONE")
    assert_cycle(platform, cycle)


def test_a_year_in_miniature_follows_every_article(tmp_path: Path) -> None:
    """The year, then the same platform restarted five weeks on (第十三条: what is overdue by
    then, and its exemption)."""
    with serving(tmp_path, E2E_CLOCK) as url:
        year = run_year(Platform({service: url for service in SERVICES}))
    with serving(tmp_path, LATER_CLOCK) as url:
        exempt_later(Platform({service: url for service in SERVICES}), year)


def test_next_years_holidays_recorded_turn_pending_deadlines_into_dates(
    all_in_one_in_december: str,
) -> None:
    run_calendar(Platform({service: all_in_one_in_december for service in SERVICES}))
