"""Public answers kept in memory (ADR 0013): a search's JSON, ready to send, kept while the
public data's version has not moved. Most visitors ask what others asked a moment ago (the
newest results, their next pages, a category, an area): those answers cost a lookup, not four
queries and the serialisation of fifty records.

Never stale in the replica that wrote (its commits make the next answer read the version
again), at most ``recheck_s`` behind another replica's commit (each replica reads the version,
one small query, at most once in that time). A key asked by many at once is computed once.

A request whose raw query string was answered before (a *door*: the exact bytes, validated
then by the full route) is served by :meth:`Answers.at_door` before any routing or
validation, while the version needs no reading."""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

from spotcheck_common.metrics import PUBLIC_ANSWERS

MAX_BYTES = 64 * 1024 * 1024  # about 1,500 pages of fifty results
RECHECK_S = 1.0
MAX_DOORS = 65_536  # raw query strings remembered; all forgotten at once beyond this


class Answers:
    def __init__(
        self,
        read_version: Callable[[], Awaitable[int]],
        *,
        max_bytes: int = MAX_BYTES,
        recheck_s: float = RECHECK_S,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read_version = read_version
        self.max_bytes = max_bytes
        self.recheck_s = recheck_s
        self._now = now
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()  # least recently used first
        self._bytes = 0
        self._version: int | None = None
        self._checked = -math.inf
        self._commits = 0  # this process's commits: a read of the version begun before one
        self._reading = asyncio.Lock()
        self._computing: dict[tuple[int, Hashable], asyncio.Task[bytes]] = {}
        self._doors: dict[Hashable, Hashable] = {}  # door -> the key its request validated to

    def expire(self) -> None:
        """A commit in this process: the next answer reads the version first."""
        self._commits += 1
        self._checked = -math.inf

    def at_door(self, route: str, door: Hashable) -> bytes | None:
        """The kept answer to the request that came through ``door`` before, if the version
        needs no reading now; else None (the full route answers, and reads it)."""
        if self._fresh_version() is None:
            return None
        key = self._doors.get(door)
        kept = None if key is None else self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            PUBLIC_ANSWERS.labels(route, "door").inc()
        return kept

    async def answer(
        self,
        route: str,
        key: Hashable,
        compute: Callable[[], Awaitable[bytes]],
        door: Hashable | None = None,
    ) -> bytes:
        """The kept answer to ``key``, or ``compute``'s (kept, if the version held meanwhile).
        ``door``: what identifies this request before validation (its raw query string), for
        :meth:`at_door` to answer it next time."""
        version = await self._current()
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            PUBLIC_ANSWERS.labels(route, "hit").inc()
            self._open(door, key)
            return kept
        PUBLIC_ANSWERS.labels(route, "miss").inc()
        computing = (version, key)  # one computation of a version's answer, however many ask
        task = self._computing.get(computing)
        if task is None:
            task = asyncio.ensure_future(self._compute(key, version, compute))
            self._computing[computing] = task
            task.add_done_callback(lambda _: self._computing.pop(computing, None))
        # Shielded: a client that leaves does not cancel what others wait for.
        body = await asyncio.shield(task)
        if key in self._kept:
            self._open(door, key)
        return body

    def _open(self, door: Hashable | None, key: Hashable) -> None:
        if door is None or door in self._doors:
            return
        if len(self._doors) >= MAX_DOORS:  # most lead to answers no longer kept: start afresh
            self._doors.clear()
        self._doors[door] = key

    async def _compute(
        self, key: Hashable, version: int, compute: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        body = await compute()
        if version == self._version:  # computed from data at least as new as ``version``
            self._keep(key, body)
        return body

    def _fresh_version(self) -> int | None:
        """The version read, while it needs no reading again (``expire`` ends that at once)."""
        return self._version if self._now() - self._checked < self.recheck_s else None

    async def _current(self) -> int:
        """The public data's version, read again once ``recheck_s`` has passed or this process
        has committed; on a new version everything kept is dropped."""
        if (fresh := self._fresh_version()) is not None:
            return fresh
        async with self._reading:
            if (fresh := self._fresh_version()) is not None:
                return fresh
            commits, started = self._commits, self._now()
            version = await self._read_version()
            if version != self._version:
                self._kept.clear()
                self._doors.clear()
                self._bytes = 0
                self._version = version
            if commits == self._commits:  # else a commit came during the read: read again
                self._checked = started
            return version

    def _keep(self, key: Hashable, body: bytes) -> None:
        if len(body) > self.max_bytes // 16:
            return
        old = self._kept.pop(key, None)
        self._bytes += len(body) - (len(old) if old is not None else 0)
        self._kept[key] = body
        while self._bytes > self.max_bytes:
            _, dropped = self._kept.popitem(last=False)
            self._bytes -= len(dropped)
