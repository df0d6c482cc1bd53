"""Each version's result categories as rows (migration 0004): filled for the versions already
published, written with every new version, never changed; the public search filters by them."""

from __future__ import annotations

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
from spotcheck_common.events.types import PendingReason, ResultCategory
from spotcheck_common.migrations import upgrade

NOW = datetime(2026, 11, 16, 1, tzinfo=UTC)
PENDING = ResultCategory.PROBLEM_PENDING


def record(n: int) -> ResultRecord:
    return ResultRecord(
        record_id=f"rec-{n}",
        inspection_id=f"insp-{n}",
        task_id="task-1",
        task_no="LG-1",
        task_title="任务",
        plan_no="",
        plan_name="",
        check_type="",
        inspecting_authority="临港区市场监管局",
        uscc=f"91371071MA3C0000{n:02d}",
        entity_name=f"某公司{n}",
        completed_on=date(2026, 11, 13),
        publish_due_on=date(2026, 12, 11),
        published_at=NOW,
        published_by="i1",
    )


def version(record_id: str, n: int, category: ResultCategory) -> ResultVersion:
    reason = PendingReason.OTHER if category is PENDING else None
    return ResultVersion(
        record_id=record_id,
        version=n,
        results=[
            ItemResult(
                check_item_code="A01",
                check_item_name="营业执照公示情况",
                category=category,
                pending_reason=reason,
                remark="未按规定" if reason else "",
            )
        ],
        remark="",
        source="inspection" if n == 1 else "credit_department",
        reason=None if n == 1 else "录入有误",
        objection_id=None,
        published_at=NOW,
        published_by="i1",
    )


async def test_versions_published_before_the_migration_are_found_by_category(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/publication.db", "publication")
    await upgrade(db, definition.migrations, "0003")
    async with db.sessions() as session:  # written as the release before 0004 wrote them
        later = ("area", "details")  # 0005's, 0007's
        old_record = {k: v for k, v in record(1).__dict__.items() if k not in later}
        await session.execute(sa.insert(orm.result_records), [old_record])
        old = version("rec-1", 1, PENDING)
        row = {**old.__dict__, "results": [r.model_dump(mode="json") for r in old.results]}
        del row["request_id"], row["city_grant"]  # 0006's
        await session.execute(sa.insert(orm.result_versions), [row])
        await session.commit()
    await upgrade(db, definition.migrations)
    async with db.sessions() as session:
        repo = SqlPublicationRepository(session)
        found = await repo.search(ResultQuery(category=PENDING), 20, 0)
        assert [rec.record_id for rec, _ in found.items] == ["rec-1"]
        with pytest.raises((DBAPIError, IntegrityError)):  # written once, never changed
            await session.execute(sa.delete(orm.result_version_categories))
    await db.dispose()


async def test_the_current_version_decides_the_category(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/publication.db", "publication")
    await upgrade(db, definition.migrations)
    async with db.sessions() as session:
        repo = SqlPublicationRepository(session)
        for n in (1, 2):
            await repo.add_record(record(n))
            await repo.add_version(version(f"rec-{n}", 1, PENDING))
        await repo.add_version(version("rec-2", 2, ResultCategory.NO_PROBLEM))  # corrected
        await session.commit()
        pending = await repo.search(ResultQuery(category=PENDING), 20, 0)
        fine = await repo.search(ResultQuery(category=ResultCategory.NO_PROBLEM), 20, 0)
    assert [rec.record_id for rec, _ in pending.items] == ["rec-1"] and pending.total == 1
    assert [(rec.record_id, v.version) for rec, v in fine.items] == [("rec-2", 2)]
    await db.dispose()
