"""A city-sized draw reaches inspections through the real broker (ADR 0012, issue 13): its
completion, 10,000 targets, is well over Kafka's 1 MiB message limit — the broker's producer
refuses it whole — and arrives as parts, each far below it; every target gets one inspection,
with its team, and a part delivered again opens nothing twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import MessageSizeTooLargeError

from inspections.service_layer.services import inspection_id_for
from spotcheck_common.events.draws import PART_BYTES
from spotcheck_common.testing import ServiceHarness, auth_headers, eventually, running_on_kafka

from ..unit.factories import draw_completed, target, task_approved

pytestmark = pytest.mark.integration

TARGETS = 10_000


def usccs() -> list[str]:
    return [f"91371000MA{i:07d}X" for i in range(TARGETS)]


async def opened(h: ServiceHarness) -> int:
    return int(await h.scalar("SELECT count(*) FROM inspections WHERE draw_id = 'draw-1'"))


async def test_a_draw_of_ten_thousand_targets_opens_ten_thousand_inspections(
    add_kafka_district: Any,
    new_database: Callable[[], Awaitable[str]],
    unique_district: str,
    tmp_path: Path,
) -> None:
    creds = await add_kafka_district(unique_district)
    whole = draw_completed("task-1", *(target(u) for u in usccs()))
    assert len(whole.model_dump_json().encode()) > 1_048_576
    parts = whole.split()
    assert len(parts) >= 6 and all(len(p.model_dump_json()) <= PART_BYTES for p in parts)
    async with running_on_kafka("inspections", creds, await new_database(), tmp_path) as h:
        await h.deliver(task_approved())
        with pytest.raises(MessageSizeTooLargeError):
            await h.deliver(whole)  # what a city's draw did before: it could never be sent
        for part in parts:
            await h.deliver(part)
        await h.deliver(parts[2], event_id="again-" + "x" * 30)  # a copy, under another id

        async def all_open() -> bool:
            return await opened(h) == TARGETS

        await eventually(all_open, f"{TARGETS} inspections", seconds=120)
        assert await h.scalar("SELECT count(DISTINCT uscc) FROM inspections") == TARGETS
        assert await h.scalar("SELECT count(*) FROM inspection_members") == 2 * TARGETS
        last = whole.targets[-1]
        path = f"/api/inspections/inspections/{inspection_id_for('draw-1', last.uscc)}"
        credit = auth_headers("credit", "credit_dept", district=unique_district)
        record = (await h.client.get(path, headers=credit)).json()
        assert [m["inspector_id"] for m in record["team"]] == [m.inspector_id for m in last.team]
