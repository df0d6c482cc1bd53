"""The SQL repository on the embedded database (SQLite, as `make run` uses it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from inspections.adapters.repository import SqlInspectionRepository
from inspections.domain.attachments import new_attachment
from inspections.domain.follow_ups import FollowUp, FollowUpStatus, OutcomeIn
from inspections.domain.model import InspectionStatus, NotInspected, NotInspectedReason
from inspections.domain.visits import Visit
from inspections.entrypoints.service import definition
from spotcheck_common.db import Database
from spotcheck_common.errors import StaleWrite
from spotcheck_common.events.inspections import AttachmentKind, FollowUpKind
from spotcheck_common.migrations import upgrade
from spotcheck_common.workdays import WorkCalendar

from .factories import LEADER, MEMBER, NOW, USCC_1, all_clear, inspection, task_info

CALENDAR = WorkCalendar()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'inspections.db'}", "inspections")
    await upgrade(database, definition.migrations)
    yield database
    await database.dispose()


async def test_an_inspection_round_trips_with_its_history(db: Database) -> None:
    async with db.sessions() as session:
        repo = SqlInspectionRepository(session)
        await repo.put_task(task_info(), NOW)
        await repo.put_task(task_info(), NOW)  # again: an update, not a second row
        await repo.add(inspection())
        await session.commit()
    async with db.sessions() as session:
        repo = SqlInspectionRepository(session)
        assert await repo.get_task("task-1") == task_info()
        assert await repo.existing("task-1", [USCC_1]) == {USCC_1}
        loaded = await repo.get("i-1")
        assert loaded is not None and loaded.created_at == NOW
        loaded.record_results(LEADER, all_clear(), NOW)
        loaded.sign(MEMBER, NOW)
        await repo.save(loaded)
        await session.commit()
    async with db.sessions() as session:
        repo = SqlInspectionRepository(session)
        again = await repo.get("i-1")
        assert again is not None
        assert again.status is InspectionStatus.RECORDED
        assert again.signatures == {MEMBER: NOW} and again.recorded_at == NOW
        assert [r.check_item_name for r in again.results] == ["企业公示信息检查", "登记事项检查"]
        history = await repo.history("i-1")
        assert [h["action"] for h in history] == ["opened", "results_recorded", "signed"]
        assert history[0]["at"] == NOW.isoformat()
        page = await repo.search("task-1", None, InspectionStatus.RECORDED, 10, 0)
        total, rows = page.total, page.items
        assert total == 1 and rows[0].inspection_id == "i-1"
        again.version = 0
        with pytest.raises(StaleWrite):
            await repo.save(again)


async def test_visits_follow_ups_and_attachments_round_trip(db: Database) -> None:
    first = inspection()
    second = inspection()
    second.inspection_id, second.task_id, second.task_no = "i-2", "task-2", "LG-2026-002"
    visit = Visit.form([first, second], NOW)
    async with db.sessions() as session:
        repo = SqlInspectionRepository(session)
        await repo.add(first)
        await repo.add(second)
        await repo.add_visit(visit)
        await session.commit()
    async with db.sessions() as session:
        repo = SqlInspectionRepository(session)
        loaded = await repo.get_visit(visit.visit_id)
        assert loaded is not None and loaded.inspection_ids == ["i-1", "i-2"]
        assert loaded.leader == first.leader and loaded.created_at == NOW
        assert [i.inspection_id for i in await repo.of_visit(visit.visit_id)] == ["i-1", "i-2"]
        assert [i.inspection_id for i in (await repo.open_for_usccs([USCC_1]))[USCC_1]] == [
            "i-1",
            "i-2",
        ]
        one = await repo.get("i-1")
        assert one is not None and one.visit_leader_id == LEADER
        one.record_results(LEADER, [], NOW, NotInspected(reason=NotInspectedReason.SERIOUS_REFUSAL))
        one.sign(LEADER, NOW)
        one.sign(MEMBER, NOW)
        one.submit(LEADER, NOW)
        await repo.save(one)
        follow_up = FollowUp.open_for(one, NOW)
        assert follow_up is not None and follow_up.kind is FollowUpKind.REFUSAL
        await repo.add_follow_up(follow_up)
        content = b"\x00\x01binary\xff"
        attachment = new_attachment(
            one, AttachmentKind.SERVICE_RECEIPT, "送达回证.jpg", "image/jpeg", content, LEADER, NOW
        )
        await repo.add_attachment(attachment, content)
        await session.commit()
    async with db.sessions() as session:
        repo = SqlInspectionRepository(session)
        again = await repo.get("i-1")
        assert (
            again is not None and again.not_inspected_reason is NotInspectedReason.SERIOUS_REFUSAL
        )
        assert [i.inspection_id for i in (await repo.open_for_usccs([USCC_1]))[USCC_1]] == ["i-2"]
        rows = (await repo.search(None, None, None, 10, 0, not_inspected=True)).items
        assert [r.inspection_id for r in rows] == ["i-1"]
        stored = await repo.follow_up_of("i-1")
        assert stored is not None and stored.opened_at == NOW
        stored.record(
            OutcomeIn(action="closed", outcome="已采取后续监管措施"), "keyuan", NOW, CALENDAR
        )
        await repo.save_follow_up(stored)
        (listed,) = await repo.attachments_of("i-1")
        assert listed == attachment
        found = await repo.get_attachment(attachment.attachment_id)
        assert found == (attachment, content)
        await session.commit()
    async with db.sessions() as session:
        repo = SqlInspectionRepository(session)
        closed = await repo.get_follow_up(follow_up.follow_up_id)
        assert closed is not None and closed.status is FollowUpStatus.CLOSED
        assert closed.outcomes[0]["outcome"] == "已采取后续监管措施" and closed.version == 1
        assert [h["action"] for h in await repo.visit_history(visit.visit_id)] == ["visit_formed"]
        closed.version = 0
        with pytest.raises(StaleWrite):
            await repo.save_follow_up(closed)
