"""Publication persistence behind a small interface, so the service layer runs on fakes too.

Insert-only: there is no update or delete of a record or a version here (and the database
refuses them, see migration 0002).
"""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from publication.adapters import orm
from publication.domain.model import ResultRecord, ResultVersion
from spotcheck_common.events.inspections import ItemResult


class PublicationRepository(Protocol):
    async def get_record(self, record_id: str, lock: bool = False) -> ResultRecord | None: ...

    async def get_record_by_inspection(self, inspection_id: str) -> ResultRecord | None: ...

    async def versions(self, record_id: str) -> list[ResultVersion]: ...

    async def version_for_objection(self, objection_id: str) -> ResultVersion | None: ...

    async def add_record(self, record: ResultRecord) -> None: ...

    async def add_version(self, version: ResultVersion) -> None: ...


def _record(row: Any) -> ResultRecord:
    return ResultRecord(
        record_id=row.record_id,
        inspection_id=row.inspection_id,
        task_id=row.task_id,
        task_no=row.task_no,
        task_title=row.task_title,
        plan_no=row.plan_no,
        plan_name=row.plan_name,
        check_type=row.check_type,
        inspecting_authority=row.inspecting_authority,
        uscc=row.uscc,
        entity_name=row.entity_name,
        completed_on=row.completed_on,
        publish_due_on=row.publish_due_on,
        published_at=row.published_at,
        published_by=row.published_by,
    )


def _version(row: Any) -> ResultVersion:
    return ResultVersion(
        record_id=row.record_id,
        version=row.version,
        results=[ItemResult.model_validate(r) for r in row.results],
        remark=row.remark,
        source=row.source,
        reason=row.reason,
        objection_id=row.objection_id,
        published_at=row.published_at,
        published_by=row.published_by,
    )


class SqlPublicationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_record(self, record_id: str, lock: bool = False) -> ResultRecord | None:
        t = orm.result_records
        query = sa.select(t).where(t.c.record_id == record_id)
        if lock:  # serialises concurrent corrections of one record (PostgreSQL)
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _record(row) if row else None

    async def get_record_by_inspection(self, inspection_id: str) -> ResultRecord | None:
        t = orm.result_records
        row = (
            await self.session.execute(sa.select(t).where(t.c.inspection_id == inspection_id))
        ).first()
        return _record(row) if row else None

    async def versions(self, record_id: str) -> list[ResultVersion]:
        t = orm.result_versions
        rows = await self.session.execute(
            sa.select(t).where(t.c.record_id == record_id).order_by(t.c.version)
        )
        return [_version(r) for r in rows]

    async def version_for_objection(self, objection_id: str) -> ResultVersion | None:
        t = orm.result_versions
        row = (
            await self.session.execute(sa.select(t).where(t.c.objection_id == objection_id))
        ).first()
        return _version(row) if row else None

    async def add_record(self, record: ResultRecord) -> None:
        await self.session.execute(sa.insert(orm.result_records).values(**record.__dict__))

    async def add_version(self, version: ResultVersion) -> None:
        values = {
            **version.__dict__,
            "results": [r.model_dump(mode="json") for r in version.results],
        }
        await self.session.execute(sa.insert(orm.result_versions).values(**values))

    async def search(
        self, uscc: str | None, task_no: str | None, q: str | None, limit: int, offset: int
    ) -> tuple[int, list[tuple[ResultRecord, ResultVersion]]]:
        """Records with their current (highest) version, newest first."""
        r, v = orm.result_records, orm.result_versions
        where: list[Any] = []
        if uscc:
            where.append(r.c.uscc == uscc.upper())
        if task_no:
            where.append(r.c.task_no == task_no)
        if q:
            where.append(
                sa.or_(
                    r.c.entity_name.contains(q, autoescape=True),
                    r.c.task_title.contains(q, autoescape=True),
                    r.c.uscc.startswith(q.upper(), autoescape=True),
                )
            )
        total = (
            await self.session.execute(sa.select(sa.func.count()).select_from(r).where(*where))
        ).scalar_one()
        latest = (
            sa.select(v.c.record_id, sa.func.max(v.c.version).label("version"))
            .group_by(v.c.record_id)
            .subquery()
        )
        query = (
            sa.select(r, *[c.label(f"v_{c.name}") for c in v.columns])
            .join(latest, latest.c.record_id == r.c.record_id)
            .join(v, sa.and_(v.c.record_id == r.c.record_id, v.c.version == latest.c.version))
            .where(*where)
            .order_by(r.c.published_at.desc(), r.c.record_id)
            .limit(limit)
            .offset(offset)
        )
        items: list[tuple[ResultRecord, ResultVersion]] = []
        for row in await self.session.execute(query):
            m = row._mapping
            version = ResultVersion(
                record_id=m["v_record_id"],
                version=m["v_version"],
                results=[ItemResult.model_validate(x) for x in m["v_results"]],
                remark=m["v_remark"],
                source=m["v_source"],
                reason=m["v_reason"],
                objection_id=m["v_objection_id"],
                published_at=m["v_published_at"],
                published_by=m["v_published_by"],
            )
            items.append((_record(row), version))
        return total, items
