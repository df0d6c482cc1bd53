"""The background work of a service's process (the outbox relay, the waiting room, the
periodic hooks): passes repeated until the process stops, each woken early when there may be
something to do, none keeping shutdown waiting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def pause(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> bool:
    """Wait ``seconds``, or less if ``stop`` (or ``wake``) is set meanwhile. Returns whether
    the process is stopping."""
    waits = {asyncio.ensure_future(stop.wait())}
    if wake is not None:
        waits.add(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:  # not awaited: awaiting here could swallow a cancellation
            waiting.cancel()
    return stop.is_set()


async def repeat(
    what: str,
    one_pass: Callable[[], Awaitable[bool]],
    stop: asyncio.Event,
    interval_s: float,
    wake: asyncio.Event,
    min_pause_s: float = 0.0,
    service: str = "",
) -> None:
    """Run ``one_pass`` until ``stop``: again at once when it says there is more to do,
    otherwise after ``interval_s`` or when ``wake`` is set — but not sooner than
    ``min_pause_s`` after the last pass, however often it is woken. A pass that fails is
    logged and counts as one with nothing more to do; the loop goes on."""
    while not stop.is_set():
        wake.clear()  # before the pass: a wake during it brings the next one
        try:
            more = await one_pass()
        except Exception:
            log.exception(f"{what} pass failed", extra={"fields": {"service": service}})
            more = False
        if more:
            continue
        if await pause(stop, interval_s, wake):
            return
        if min_pause_s:
            await pause(stop, min_pause_s)
