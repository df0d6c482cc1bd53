"""The fake repository the unit tests use behaves as the SQL one (on SQLite, the embedded
database; the integration suite runs the SQL one on PostgreSQL): same answers to the same
calls, so a use case tested on the fake holds on the real thing."""

from __future__ import annotations

import copy
import inspect
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from inspections.adapters.repository import InspectionRepository, SqlInspectionRepository
from inspections.domain.attachments import new_attachment
from inspections.domain.follow_ups import FollowUp, FollowUpStatus, OutcomeIn
from inspections.domain.model import Inspection, InspectionStatus, NotInspected, NotInspectedReason
from inspections.domain.visits import Visit
from inspections.entrypoints.service import definition
from spotcheck_common.errors import StaleWrite
from spotcheck_common.events.inspections import AttachmentKind, FollowUpKind
from spotcheck_common.testing import migrated_session
from spotcheck_common.workdays import WorkCalendar

from .factories import LEADER, MEMBER, NOW, USCC_1, USCC_2, all_clear, inspection, task_info
from .fakes import FakeInspectionRepository


@pytest.fixture(params=["fake", "sql"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "fake":
        yield FakeInspectionRepository()
        return
    async with migrated_session(definition, tmp_path) as session:
        yield SqlInspectionRepository(session)


def another(inspection_id: str, task_id: str, task_no: str, uscc: str = USCC_1) -> Inspection:
    other = inspection()
    other.inspection_id, other.task_id, other.task_no, other.uscc = (
        inspection_id,
        task_id,
        task_no,
        uscc,
    )
    other.created_at = NOW + timedelta(minutes=int(inspection_id[-1]))
    return other


async def test_tasks_and_inspections_round_trip_with_their_history(repo: Any) -> None:
    assert await repo.get_task("task-1") is None
    await repo.put_task(task_info(), NOW)
    await repo.put_task(task_info(), NOW)  # again: an update
    assert await repo.get_task("task-1") == task_info()
    await repo.add(inspection())
    assert await repo.exists("task-1", USCC_1) and not await repo.exists("task-1", USCC_2)
    loaded = await repo.get("i-1")
    assert loaded is not None and loaded.created_at == NOW and loaded.version == 0
    assert loaded.area == "草庙子镇"  # the target's area, kept with the inspection
    loaded.record_results(LEADER, all_clear(), NOW)
    loaded.sign(MEMBER, NOW + timedelta(minutes=1))
    await repo.save(loaded)
    assert loaded.version == 1
    again = await repo.get("i-1")
    assert again is not None and again.status is InspectionStatus.RECORDED
    assert again.signatures == {MEMBER: NOW + timedelta(minutes=1)} and again.version == 1
    found = await repo.find("task-1", USCC_1)
    assert found is not None and found.inspection_id == "i-1"
    assert await repo.find("task-1", USCC_2) is None
    history = await repo.history("i-1")
    assert [(h["action"], h["actor"]) for h in history] == [
        ("opened", "system"),
        ("results_recorded", LEADER),
        ("signed", MEMBER),
    ]
    assert history[0]["at"] == NOW.isoformat() and history[2]["detail"] == {}
    assert await repo.history("nope") == []


async def test_a_stale_save_is_refused_and_changes_nothing(repo: Any) -> None:
    await repo.add(inspection())
    first = await repo.get("i-1")
    second = copy.deepcopy(first)
    first.record_results(LEADER, all_clear(), NOW)
    await repo.save(first)
    second.record_results(LEADER, all_clear(), NOW)
    with pytest.raises(StaleWrite, match="同时修改"):
        await repo.save(second)
    assert (await repo.get("i-1")).version == 1


async def test_search_filters_and_pages_by_task_then_target(repo: Any) -> None:
    await repo.add(another("i-3", "task-2", "LG-2026-002"))
    await repo.add(another("i-1", "task-1", "LG-2026-001", USCC_2))
    await repo.add(another("i-2", "task-1", "LG-2026-001", USCC_1))
    page = await repo.search(None, None, None, 10, 0)
    assert page.total == 3 and [i.inspection_id for i in page.items] == ["i-2", "i-1", "i-3"]
    second = await repo.search(None, None, None, 1, 1)
    assert second.total == 3 and [i.inspection_id for i in second.items] == ["i-1"]
    by_task = await repo.search("task-1", USCC_2, InspectionStatus.PENDING, 10, 0)
    assert [i.inspection_id for i in by_task.items] == ["i-1"]
    none = await repo.search(None, None, InspectionStatus.SUBMITTED, 10, 0)
    assert (none.total, none.items) == (0, [])
    not_inspected = await repo.get("i-3")
    not_inspected.record_results(
        LEADER, [], NOW, NotInspected(reason=NotInspectedReason.SERIOUS_REFUSAL)
    )
    await repo.save(not_inspected)
    only = await repo.search(None, None, None, 10, 0, not_inspected=True)
    assert [i.inspection_id for i in only.items] == ["i-3"]
    rest = await repo.search(None, None, None, 10, 0, not_inspected=False)
    assert [i.inspection_id for i in rest.items] == ["i-2", "i-1"]


async def test_visits_group_open_inspections_of_one_target(repo: Any) -> None:
    first, second = another("i-1", "task-1", "LG-2026-001"), another("i-2", "task-2", "LG-2026-002")
    await repo.add(first)
    await repo.add(second)
    await repo.lock_target(USCC_1)
    assert [i.inspection_id for i in await repo.open_for_uscc(USCC_1)] == ["i-1", "i-2"]
    visit = Visit.form([first, second], NOW)
    await repo.add_visit(visit)
    await repo.save(first)
    await repo.save(second)
    loaded = await repo.get_visit(visit.visit_id)
    assert loaded is not None and loaded.inspection_ids == ["i-1", "i-2"] and loaded.version == 0
    assert [i.inspection_id for i in await repo.of_visit(visit.visit_id)] == ["i-1", "i-2"]
    found = await repo.search_visits(USCC_1, 10, 0)
    assert [v.visit_id for v in found.items] == [visit.visit_id] and found.total == 1
    beyond = await repo.search_visits(USCC_1, 10, 1)  # a later page still says how many in all
    assert (beyond.items, beyond.total) == ([], 1)
    assert (await repo.search_visits(USCC_2, 10, 0)).total == 0
    assert [h["action"] for h in await repo.visit_history(visit.visit_id)] == ["visit_formed"]
    await repo.save_visit(loaded)
    assert loaded.version == 1
    loaded.version = 0
    with pytest.raises(StaleWrite):
        await repo.save_visit(loaded)
    assert await repo.get_visit("nope") is None


async def test_follow_ups_and_attachments(repo: Any) -> None:
    done = inspection()
    done.record_results(LEADER, [], NOW, NotInspected(reason=NotInspectedReason.SERIOUS_REFUSAL))
    done.sign(LEADER, NOW)
    done.sign(MEMBER, NOW)
    done.submit(LEADER, NOW)
    await repo.add(done)
    follow_up = FollowUp.open_for(done, NOW)
    assert follow_up is not None and follow_up.kind is FollowUpKind.REFUSAL
    await repo.add_follow_up(follow_up)
    assert await repo.follow_up_of("i-1") == follow_up
    assert await repo.follow_up_of("nope") is None
    stored = await repo.get_follow_up(follow_up.follow_up_id)
    assert stored == follow_up
    listed = await repo.search_follow_ups(None, follow_up.lead_department, "task-1", USCC_1)
    assert [f.follow_up_id for f in listed] == [follow_up.follow_up_id]
    assert await repo.search_follow_ups(FollowUpStatus.CLOSED, None, None) == []
    assert await repo.pending_transfer_deadlines() == 0
    assert await repo.suspected_since(NOW.date()) == []
    stored.record(
        OutcomeIn(action="closed", outcome="已采取后续监管措施"), "k", NOW, WorkCalendar()
    )
    await repo.save_follow_up(stored)
    closed = await repo.get_follow_up(follow_up.follow_up_id)
    assert closed is not None and closed.status is FollowUpStatus.CLOSED and closed.version == 1
    closed.version = 0
    with pytest.raises(StaleWrite, match="后续处理"):
        await repo.save_follow_up(closed)

    content = b"\x00\x01binary\xff"
    attachment = new_attachment(
        done, AttachmentKind.SERVICE_RECEIPT, "送达回证.jpg", "image/jpeg", content, LEADER, NOW
    )
    await repo.add_attachment(attachment, content)
    assert await repo.attachments_of("i-1") == [attachment]
    assert await repo.attachments_of("i-2") == []
    assert await repo.get_attachment(attachment.attachment_id) == (attachment, content)
    assert await repo.get_attachment("nope") is None


def _methods(cls: type) -> set[str]:
    return {n for n, _ in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


def test_the_protocol_the_sql_repository_and_the_fake_have_the_same_methods() -> None:
    """A method added to the SQL repository is added to the protocol (so ``_conforms()`` makes
    mypy demand it of the fake) and to the fake."""
    assert (
        _methods(SqlInspectionRepository)
        == _methods(InspectionRepository)
        == _methods(FakeInspectionRepository)
    )


async def test_joint_inspections_kept_and_listed_by_member_and_year(repo: Any) -> None:
    from inspections.domain import joint
    from inspections.domain.joint import JointInspection

    mine = inspection()
    mine.team = [mine.team[0], mine.team[1].model_copy(update={"inspector_id": "huancui:HC1"})]
    state = joint.state_of(mine)
    kept = JointInspection("i-1", "lingang", state, NOW, {"sign:HC1": {"form_sha256": "x"}})
    await repo.put_joint(kept, ["HC1"])
    await repo.put_joint(kept, ["HC1"])  # again: replaced, not doubled
    assert await repo.get_joint("i-1") == kept
    assert (await repo.search_joint("HC1", 10, 0)).total == 1
    assert (await repo.search_joint("HC2", 10, 0)).total == 0
    assert (await repo.search_joint(None, 10, 0)).items == [kept]
    year = mine.deadline.year
    assert await repo.joint_due_in(year) == [kept] and await repo.joint_due_in(year + 1) == []
    await repo.add(inspection())
    [(team, status)] = await repo.teams_due_in(year)
    assert [m.inspector_id for m in team] == [LEADER, MEMBER]
    assert status is InspectionStatus.PENDING and await repo.teams_due_in(year - 1) == []
