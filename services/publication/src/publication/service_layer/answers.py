"""Public answers kept in memory (ADR 0013): a search's JSON, ready to send, kept while the
public data's version has not moved. Most visitors ask what others asked a moment ago (the
newest results, their next pages, a category, an area): those answers cost a lookup, not four
queries and the serialisation of fifty records.

Never stale in the replica that wrote (its commits make the next answer read the version
again), at most ``recheck_s`` behind another replica's commit (each replica reads the version,
one small query, at most once in that time). A key asked by many at once is computed once."""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

from spotcheck_common.metrics import PUBLIC_ANSWERS

MAX_BYTES = 64 * 1024 * 1024  # about 1,500 pages of fifty results
RECHECK_S = 1.0


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

    def expire(self) -> None:
        """A commit in this process: the next answer reads the version first."""
        self._commits += 1
        self._checked = -math.inf

    async def answer(
        self, route: str, key: Hashable, compute: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """The kept answer to ``key``, or ``compute``'s (kept, if the version held meanwhile)."""
        version = await self._current()
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            PUBLIC_ANSWERS.labels(route, "hit").inc()
            return kept
        PUBLIC_ANSWERS.labels(route, "miss").inc()
        computing = (version, key)  # one computation of a version's answer, however many ask
        task = self._computing.get(computing)
        if task is None:
            task = asyncio.ensure_future(self._compute(key, version, compute))
            self._computing[computing] = task
            task.add_done_callback(lambda _: self._computing.pop(computing, None))
        # Shielded: a client that leaves does not cancel what others wait for.
        return await asyncio.shield(task)

    async def _compute(
        self, key: Hashable, version: int, compute: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        body = await compute()
        if version == self._version:  # computed from data at least as new as ``version``
            self._keep(key, body)
        return body

    async def _current(self) -> int:
        """The public data's version, read again once ``recheck_s`` has passed or this process
        has committed; on a new version everything kept is dropped."""
        if self._version is not None and self._now() - self._checked < self.recheck_s:
            return self._version
        async with self._reading:
            if self._version is not None and self._now() - self._checked < self.recheck_s:
                return self._version
            commits, started = self._commits, self._now()
            version = await self._read_version()
            if version != self._version:
                self._kept.clear()
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
