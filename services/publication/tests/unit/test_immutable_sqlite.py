"""Embedded mode (SQLite): the migrations build the tables and the triggers that keep published
versions immutable, and the repository reads back what it wrote."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from publication.adapters import orm
from publication.adapters.repository import SqlPublicationRepository
from publication.domain.model import ResultQuery, ResultRecord, ResultVersion
from publication.entrypoints.service import definition
from spotcheck_common.db import Database
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.types import ResultCategory
from spotcheck_common.migrations import upgrade

NOW = datetime(2025, 9, 26, 1, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/publication.db", "publication")
    await upgrade(database, definition.migrations)
    yield database
    await database.dispose()


def version(n: int, objection_id: str | None = None) -> ResultVersion:
    return ResultVersion(
        record_id="rec-1",
        version=n,
        results=[
            ItemResult(
                check_item_code="A01",
                check_item_name="营业执照公示情况",
                category=ResultCategory.NO_PROBLEM,
            )
        ],
        remark="",
        source="inspection",
        reason=None,
        objection_id=objection_id,
        published_at=NOW,
        published_by="i1",
    )


async def seed(db: Database) -> None:
    async with db.sessions() as session:
        repo = SqlPublicationRepository(session)
        await repo.add_record(
            ResultRecord(
                record_id="rec-1",
                inspection_id="insp-1",
                task_id="task-1",
                task_no="LG-1",
                task_title="任务",
                plan_no="",
                plan_name="",
                check_type="",
                inspecting_authority="临港市场监管局",
                uscc="91371000MA3C000011",
                entity_name="某公司",
                completed_on=date(2025, 9, 25),
                publish_due_on=date(2025, 10, 29),
                published_at=NOW,
                published_by="i1",
            )
        )
        await repo.add_version(version(1))
        await session.commit()


# Every column of a published record but its clock (the deadline, recomputed when a year's
# holiday schedule is recorded).
CLOCK = {"publish_due_on", "publish_due_calendar", "publish_due_pending"}
GUARDED = [c.name for c in orm.result_records.columns if c.name not in CLOCK]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE result_versions SET remark = 'x'",
        "DELETE FROM result_versions",
        "DELETE FROM result_records",
        *(f"UPDATE result_records SET {column} = {column}" for column in GUARDED),
    ],
)
async def test_sqlite_refuses_edits_of_published_rows(db: Database, sql: str) -> None:
    await seed(db)
    with pytest.raises(DBAPIError, match="已公示的检查结果不得修改或删除"):
        async with db.engine.begin() as conn:
            await conn.execute(sa.text(sql))
    async with db.sessions() as session:
        (v1,) = await SqlPublicationRepository(session).versions("rec-1")
    assert v1.remark == "" and v1.results[0].category == ResultCategory.NO_PROBLEM


async def test_version_numbers_and_objections_are_unique(db: Database) -> None:
    await seed(db)
    async with db.sessions() as session:
        repo = SqlPublicationRepository(session)
        await repo.add_version(version(2, objection_id="obj-1"))
        await session.commit()
        with pytest.raises(IntegrityError):
            await repo.add_version(version(2))
        await session.rollback()
        with pytest.raises(IntegrityError):
            await repo.add_version(version(3, objection_id="obj-1"))
        await session.rollback()
        assert [v.version for v in await repo.versions("rec-1")] == [1, 2]
        assert (await repo.version_for_objection("obj-1")) is not None
        page = await repo.search(ResultQuery(uscc="91371000ma3c000011"), 10, 0)
        assert page.total == 1 and page.items[0][1].version == 2


async def test_only_the_publication_deadline_of_a_record_may_change(db: Database) -> None:
    await seed(db)
    async with db.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "UPDATE result_records SET publish_due_on = '2025-10-30', "
                "publish_due_calendar = '2025/v1', publish_due_pending = NULL"
            )
        )
    async with db.sessions() as session:
        record = await SqlPublicationRepository(session).get_record("rec-1")
    assert record is not None and record.publish_due_on == date(2025, 10, 30)
    assert record.publish_due_calendar == "2025/v1" and record.entity_name == "某公司"
