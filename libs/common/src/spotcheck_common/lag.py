"""Consumer lag: how many events each of this process's consumer groups has yet to handle, per
topic — the partitions' high watermarks minus the group's committed offsets (a partition the
group has never committed counts from its first offset, as ``auto_offset_reset=earliest``
reads it). Measured from the broker, not from the consumers' own memory, so a stuck or dead
consumer shows as growing lag; exported as ``spotcheck_consumer_lag{group, topic}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from spotcheck_common.loops import pause
from spotcheck_common.metrics import CONSUMER_LAG

log = logging.getLogger(__name__)


def lag_of(
    committed: Mapping[Any, int | None], first: Mapping[Any, int], end: Mapping[Any, int]
) -> int:
    """Events not yet handled across a topic's partitions (``committed``: None where the
    group has committed nothing)."""
    total = 0
    for partition, high in end.items():
        offset = committed.get(partition)
        total += max(0, high - (first.get(partition, 0) if offset is None else offset))
    return total


class LagProbe:
    """An admin client (the groups' committed offsets) and a consumer client of no group (the
    partitions' watermarks), opened once and kept for every measurement of a process."""

    def __init__(self, bootstrap: str, options: dict[str, Any]) -> None:
        from aiokafka import AIOKafkaConsumer
        from aiokafka.admin import AIOKafkaAdminClient

        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options)
        self.probe = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, **options
        )

    async def start(self) -> LagProbe:
        try:
            await self.admin.start()
            await self.probe.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.probe.stop()
        with contextlib.suppress(Exception):
            await self.admin.close()

    async def measure(self, groups: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The lag of each (group, topic), set on the gauge."""
        from aiokafka import TopicPartition

        pairs = sorted(set(groups))
        out: dict[tuple[str, str], int] = {}
        for group in sorted({g for g, _ in pairs}):
            offsets = await self.admin.list_consumer_group_offsets(group)
            for topic in [t for g, t in pairs if g == group]:
                ids = self.probe.partitions_for_topic(topic) or await self._partitions(topic)
                partitions = [TopicPartition(topic, p) for p in sorted(ids)]
                end = await self.probe.end_offsets(partitions)
                first = await self.probe.beginning_offsets(partitions)
                committed = {p: (o.offset if o.offset >= 0 else None) for p, o in offsets.items()}
                out[(group, topic)] = lag_of(committed, first, end)
                CONSUMER_LAG.labels(group, topic).set(out[(group, topic)])
        return out

    async def _partitions(self, topic: str) -> set[int]:
        await self.probe._client.force_metadata_update()  # a topic the probe has not seen yet
        return set(self.probe.partitions_for_topic(topic) or ())


async def measure(
    bootstrap: str, options: dict[str, Any], groups: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """One measurement with clients of its own (tests, an operator's command)."""
    probe = await LagProbe(bootstrap, options).start()
    try:
        return await probe.measure(groups)
    finally:
        await probe.close()


async def watch(
    bootstrap: str,
    options: dict[str, Any],
    groups: Iterable[tuple[str, str]],
    interval_s: float,
    stop: asyncio.Event,
) -> None:
    """Measure every ``interval_s`` until ``stop``, with one pair of clients for as long as
    they work; a failed measurement is logged, its clients closed, and new ones are opened at
    the next interval (the lag of an unreachable broker is unknown, not zero)."""
    pairs = list(groups)
    probe: LagProbe | None = None
    try:
        while not stop.is_set():
            try:
                probe = probe or await LagProbe(bootstrap, options).start()
                await probe.measure(pairs)
            except Exception:
                log.warning("consumer lag not measured", exc_info=True)
                if probe is not None:
                    await probe.close()
                probe = None
            await pause(stop, interval_s)
    finally:
        if probe is not None:
            await probe.close()
