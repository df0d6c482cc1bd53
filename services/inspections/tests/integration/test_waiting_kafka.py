"""Events that arrive before what they depend on wait in a table, not in the partition (issue
13), through the real broker: a draw whose task is not approved here yet waits, with its later
parts behind it; another task's draw on the same topic passes meanwhile; once the task is
approved the waiting parts open their inspections, in order, exactly once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from spotcheck_common.testing import ServiceHarness, eventually, running_on_kafka

from ..unit.factories import draw_completed, target, task_approved

pytestmark = pytest.mark.integration


async def count(h: ServiceHarness, sql: str, **params: Any) -> int:
    return int(await h.scalar(sql, **params))


async def test_a_draw_before_its_task_waits_and_the_partition_moves_on(
    add_kafka_district: Any,
    new_database: Callable[[], Awaitable[str]],
    unique_district: str,
    tmp_path: Path,
) -> None:
    creds = await add_kafka_district(unique_district)
    early = draw_completed("task-1", *(target(f"91371000MA{i:07d}X") for i in range(40)))
    parts = early.split(budget_bytes=6_000)
    assert len(parts) >= 3
    async with running_on_kafka("inspections", creds, await new_database(), tmp_path) as h:
        for part in parts:
            await h.deliver(part)

        async def all_waiting() -> bool:
            return await count(h, "SELECT count(*) FROM waiting_events") == len(parts)

        await eventually(all_waiting, "every part of the early draw to wait")
        # Another task's draw, on the same topic, behind the waiting ones: handled at once.
        await h.deliver(task_approved("task-2"))
        other = draw_completed("task-2", target("91371000MA9000001X"))
        await h.deliver(other.model_copy(update={"draw_id": "draw-2"}))

        async def other_open() -> bool:
            return await count(h, "SELECT count(*) FROM inspections WHERE task_id = 'task-2'") == 1

        await eventually(other_open, "the other task's inspection")
        assert await count(h, "SELECT count(*) FROM inspections WHERE task_id = 'task-1'") == 0

        await h.deliver(task_approved("task-1"))

        async def all_open() -> bool:
            return await count(h, "SELECT count(*) FROM inspections WHERE task_id = 'task-1'") == 40

        await eventually(all_open, "the waiting draw's inspections", seconds=30)
        assert await count(h, "SELECT count(*) FROM waiting_events") == 0
        handled = await count(
            h,
            "SELECT count(*) FROM processed_events WHERE consumer = :c",
            c="inspections.on_draw_completed",
        )
        assert handled == len(parts) + 1  # each part once, and the other draw
