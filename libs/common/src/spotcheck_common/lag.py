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


async def measure(
    bootstrap: str, options: dict[str, Any], groups: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The lag of each (group, topic), set on the gauge; one admin and one consumer client
    (no group of its own) for the whole measurement."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    pairs = sorted(set(groups))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **options)
    await admin.start()
    await probe.start()
    try:
        out: dict[tuple[str, str], int] = {}
        for group in sorted({g for g, _ in pairs}):
            offsets = await admin.list_consumer_group_offsets(group)
            for topic in [t for g, t in pairs if g == group]:
                ids = probe.partitions_for_topic(topic) or await _partitions(probe, topic)
                partitions = [TopicPartition(topic, p) for p in sorted(ids)]
                end = await probe.end_offsets(partitions)
                first = await probe.beginning_offsets(partitions)
                committed = {p: (o.offset if o.offset >= 0 else None) for p, o in offsets.items()}
                out[(group, topic)] = lag_of(committed, first, end)
                CONSUMER_LAG.labels(group, topic).set(out[(group, topic)])
        return out
    finally:
        await probe.stop()
        await admin.close()


async def _partitions(probe: Any, topic: str) -> set[int]:
    await probe._client.force_metadata_update()  # a topic the probe has not seen yet
    return set(probe.partitions_for_topic(topic) or ())


async def watch(
    bootstrap: str,
    options: dict[str, Any],
    groups: Iterable[tuple[str, str]],
    interval_s: float,
    stop: asyncio.Event,
) -> None:
    """Measure every ``interval_s`` until ``stop``; a failed measurement is logged and tried
    again at the next interval (the lag of an unreachable broker is unknown, not zero)."""
    pairs = list(groups)
    while not stop.is_set():
        try:
            await measure(bootstrap, options, pairs)
        except Exception:
            log.warning("consumer lag not measured", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
