"""The background loops (relay, waiting room, periodic hooks): a pass again at once when there
is more, early when woken (also during a pass), never holding up a stop, going on after a
failure. The interval is a minute throughout: a pass that comes sooner was brought by what
the test did, not by the clock."""

from __future__ import annotations

import asyncio
import logging

import pytest

from spotcheck_common.loops import pause, repeat

LONG = 60.0  # an interval no test waits out
SOON = 5.0  # how long a test waits for what must follow at once


class Passes:
    def __init__(self, results: list[bool | Exception]) -> None:
        self.results = results  # what each pass returns (or raises); then False
        self.count = 0
        self.happened = asyncio.Event()
        self.during: asyncio.Event | None = None  # set while the first pass runs

    async def __call__(self) -> bool:
        self.count += 1
        self.happened.set()
        if self.during is not None and self.count == 1:
            self.during.set()
        result = self.results.pop(0) if self.results else False
        if isinstance(result, Exception):
            raise result
        return result

    async def next(self) -> None:
        self.happened.clear()
        await asyncio.wait_for(self.happened.wait(), SOON)


async def start(passes: Passes, stop: asyncio.Event, wake: asyncio.Event) -> asyncio.Task[None]:
    task = asyncio.create_task(repeat("test", passes, stop, LONG, wake))
    await asyncio.wait_for(passes.happened.wait(), SOON)
    return task


async def test_more_to_do_runs_again_at_once_then_the_loop_waits() -> None:
    stop, wake = asyncio.Event(), asyncio.Event()
    passes = Passes([True, True, True])
    task = await start(passes, stop, wake)
    await asyncio.sleep(0.05)
    assert passes.count == 4  # the fourth said nothing more: the loop waits for the interval
    stop.set()
    await asyncio.wait_for(task, SOON)


async def test_a_wake_brings_a_pass_and_a_stop_ends_the_wait_at_once() -> None:
    stop, wake = asyncio.Event(), asyncio.Event()
    passes = Passes([])
    task = await start(passes, stop, wake)
    wake.set()
    await passes.next()
    assert passes.count == 2
    stop.set()
    await asyncio.wait_for(task, SOON)  # not after the minute's interval
    assert passes.count == 2


async def test_a_wake_during_a_pass_brings_the_next_one() -> None:
    stop, wake = asyncio.Event(), asyncio.Event()
    passes = Passes([])
    passes.during = wake  # what a commit does while the relay reads the outbox
    task = await start(passes, stop, wake)
    await passes.next()
    assert passes.count == 2
    stop.set()
    await asyncio.wait_for(task, SOON)


async def test_a_failed_pass_is_logged_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop, wake = asyncio.Event(), asyncio.Event()
    passes = Passes([RuntimeError("database gone")])
    with caplog.at_level(logging.ERROR, logger="spotcheck_common.loops"):
        task = await start(passes, stop, wake)
        wake.set()
        await passes.next()
    assert [r.getMessage() for r in caplog.records] == ["test pass failed"]
    assert passes.count == 2
    stop.set()
    await asyncio.wait_for(task, SOON)


async def test_pause_tells_whether_the_process_stops() -> None:
    stop = asyncio.Event()
    assert await pause(stop, 0.01) is False
    stop.set()
    assert await asyncio.wait_for(pause(stop, LONG), SOON) is True
