"""A task may ask for experts from the expert pool (第六条): the fields default to none, pass
through the approve path into TaskApproved, round-trip in the database, stay out of the
public TaskPublished."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from planning.adapters.repository import SqlTaskRepository
from planning.entrypoints.service import definition
from spotcheck_common.db import Database
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.migrations import upgrade

from .factories import NOW, draft, spec


def test_no_experts_by_default_and_older_payloads_stay_valid() -> None:
    task = draft()
    task.approve("fuju-zhang", NOW)
    event = task.approved_event()
    assert event.experts_per_target == 0 and event.expert_fields == []
    old = event.model_dump(mode="json")
    del old["experts_per_target"], old["expert_fields"]
    assert TaskApproved.model_validate(old).experts_per_target == 0


def test_experts_requested_reach_task_approved_but_not_the_publication() -> None:
    task = draft(experts_per_target=2, expert_fields=[" 特种设备", "食品安全", "特种设备", ""])
    assert task.expert_fields == ["特种设备", "食品安全"]
    assert task.drafted_event().experts_per_target == 2
    task.approve("fuju-zhang", NOW)
    event = task.approved_event()
    assert (event.experts_per_target, event.expert_fields) == (2, ["特种设备", "食品安全"])
    task.publish(NOW)
    published = task.published_event().model_dump()
    assert "experts_per_target" not in published and "expert_fields" not in published


def test_experts_per_target_is_bounded() -> None:
    with pytest.raises(ValidationError):
        spec(experts_per_target=-1)
    with pytest.raises(ValidationError):
        spec(experts_per_target=11)


async def test_expert_fields_round_trip_in_the_database(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'planning.db'}", "planning")
    await upgrade(db, definition.migrations)
    task = draft(experts_per_target=1, expert_fields=["计量"])
    try:
        async with db.sessions() as session:
            await SqlTaskRepository(session, "lingang").add(task)
            await session.commit()
        async with db.sessions() as session:
            loaded = await SqlTaskRepository(session, "lingang").get(task.task_id)
        assert loaded is not None
        assert (loaded.experts_per_target, loaded.expert_fields) == (1, ["计量"])
    finally:
        await db.dispose()
