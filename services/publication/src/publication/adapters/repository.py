"""Publication persistence behind a small interface, so the service layer runs on fakes too.

Insert-only: there is no update or delete of a record or a version here (and the database
refuses them, see migration 0002).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from publication.adapters import orm
from publication.domain.model import (
    ORGANISATIONS,
    ExportKind,
    PlanVersion,
    PublishedTask,
    ResultQuery,
    ResultRecord,
    ResultVersion,
    WithheldResult,
    published_late,
)
from spotcheck_common import objects
from spotcheck_common.calendar_store import CalendarStore
from spotcheck_common.db import Page, Paged, aware, paginate
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.workdays import CHINA_TZ, WorkCalendar


class PublicationRepository(Protocol):
    async def get_record(self, record_id: str, lock: bool = False) -> ResultRecord | None: ...

    async def get_record_by_inspection(self, inspection_id: str) -> ResultRecord | None: ...

    async def versions(self, record_id: str) -> list[ResultVersion]: ...

    async def version_for_objection(self, objection_id: str) -> ResultVersion | None: ...

    async def version_for_request(self, request_id: str) -> ResultVersion | None: ...

    async def add_record(self, record: ResultRecord) -> None: ...

    async def add_version(self, version: ResultVersion) -> None: ...

    async def get_withheld(self, inspection_id: str) -> WithheldResult | None: ...

    async def add_withheld(self, withheld: WithheldResult) -> None: ...

    async def get_task(self, task_id: str) -> PublishedTask | None: ...

    async def save_task(self, task: PublishedTask) -> bool: ...

    async def plan_version_exists(self, plan_id: str, plan_version: int) -> bool: ...

    async def add_plan_version(self, plan: PlanVersion) -> None: ...

    async def calendar(self) -> WorkCalendar: ...

    async def records_completed_since(self, day: date) -> list[ResultRecord]: ...

    async def set_deadline(self, record: ResultRecord) -> None: ...

    async def data_version(self) -> int:
        """The public data's version: it moves whenever what the public reads changes."""
        ...

    # reads (the views)
    async def search(
        self, query: ResultQuery, limit: int, offset: int
    ) -> Page[tuple[ResultRecord, ResultVersion]]: ...

    async def list_withheld(
        self, task_no: str | None, limit: int, offset: int
    ) -> Page[WithheldResult]: ...

    async def count_withheld(self, task_no: str | None) -> int: ...

    async def plan_versions(self, plan_id: str) -> list[PlanVersion]: ...

    async def current_plans(
        self, year: int | None, department: str | None
    ) -> list[PlanVersion]: ...

    async def search_tasks(
        self, plan_no: str | None, q: str | None, limit: int, offset: int
    ) -> Page[PublishedTask]: ...

    async def late_records(self, department: str | None = None) -> list[ResultRecord]: ...

    async def pending_deadlines(self) -> int: ...

    async def current_versions(
        self,
        task_no: str | None,
        published_from: date | None,
        published_to: date | None,
        kind: ExportKind = ORGANISATIONS,
    ) -> list[tuple[ResultRecord, ResultVersion]]: ...


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
        published_at=aware(row.published_at),
        published_by=row.published_by,
        lead_department=row.lead_department,
        publish_due_calendar=row.publish_due_calendar,
        publish_due_pending=row.publish_due_pending,
        area=row.area,
        details=dict(row.details or {}),
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
        published_at=aware(row.published_at),
        published_by=row.published_by,
        submitted_by=row.submitted_by,
        request_id=row.request_id,
        city_grant=row.city_grant,
    )


def _current(row: Any) -> tuple[ResultRecord, ResultVersion]:
    """A record joined with its current version (columns ``v_*``)."""
    m = row._mapping
    version = ResultVersion(
        record_id=m["v_record_id"],
        version=m["v_version"],
        results=[ItemResult.model_validate(x) for x in m["v_results"]],
        remark=m["v_remark"],
        source=m["v_source"],
        reason=m["v_reason"],
        objection_id=m["v_objection_id"],
        published_at=aware(m["v_published_at"]),
        published_by=m["v_published_by"],
        submitted_by=m["v_submitted_by"],
        request_id=m["v_request_id"],
        city_grant=m["v_city_grant"],
    )
    return _record(row), version


def _with_current_version() -> sa.Select[Any]:
    """Records joined with their current (highest) version."""
    r, v = orm.result_records, orm.result_versions
    latest = (
        sa.select(v.c.record_id, sa.func.max(v.c.version).label("version"))
        .group_by(v.c.record_id)
        .subquery()
    )
    return (
        sa.select(r, *[c.label(f"v_{c.name}") for c in v.columns])
        .join(latest, latest.c.record_id == r.c.record_id)
        .join(v, sa.and_(v.c.record_id == r.c.record_id, v.c.version == latest.c.version))
    )


def _withheld(row: Any) -> WithheldResult:
    values = {c.name: getattr(row, c.name) for c in orm.withheld_results.columns}
    values["results"] = [ItemResult.model_validate(r) for r in values["results"]]
    values["recorded_at"] = aware(values["recorded_at"])
    return WithheldResult(**values)


def _plan(row: Any) -> PlanVersion:
    values = {c.name: getattr(row, c.name) for c in orm.published_plans.columns if c.name != "id"}
    values["published_at"] = aware(values["published_at"])
    return PlanVersion(**values)


def _task(row: Any) -> PublishedTask:
    values = {c.name: getattr(row, c.name) for c in orm.published_tasks.columns}
    values["published_at"] = aware(values["published_at"])
    return PublishedTask(**values)


def _published() -> Any:
    """The record has a version (it always has, from its first publication)."""
    r, v = orm.result_records, orm.result_versions
    return sa.exists().where(v.c.record_id == r.c.record_id)


def categories_of(version: ResultVersion) -> list[dict[str, Any]]:
    """The rows of ``result_version_categories`` for ``version``: one per category it holds."""
    found = sorted({str(item.category) for item in version.results})
    return [
        {"record_id": version.record_id, "version": version.version, "category": c} for c in found
    ]


def _current_version_has(category: Any) -> Any:
    """The record's current (highest) version holds an item of ``category``."""
    r, c, later = orm.result_records, orm.result_version_categories, orm.result_versions
    newer = sa.exists().where(later.c.record_id == c.c.record_id, later.c.version > c.c.version)
    return sa.exists().where(c.c.record_id == r.c.record_id, c.c.category == category).where(~newer)


# What may begin a USCC or an object id (digits and capitals; ``Z`` ids too).
_CODE_PREFIX = re.compile("[0-9A-Z]+")


def _producer_uscc() -> Any:
    """``details ->> 'producer_uscc'``, as migration 0007's index on PostgreSQL reads it."""
    return orm.result_records.c.details.op("->>")(sa.literal_column("'producer_uscc'"))


class _SearchShape(NamedTuple):
    """Which of a public search's filters are set: its statement's shape (``_search``)."""

    category: bool
    completed_from: bool
    completed_to: bool
    uscc: str  # "" | "object": an assigned object id | "code": a USCC, its products' too
    task_no: bool
    area: bool
    q: str  # "" | "name": names and titles | "name_or_code": a code's beginning too


_LIKE_ESCAPE = "/"


def _like_escaped(text: str) -> str:
    """``text`` matched literally by LIKE with ``_LIKE_ESCAPE`` (SQLAlchemy's ``autoescape``
    escapes only a literal string, not a bound parameter)."""
    e = _LIKE_ESCAPE
    return text.replace(e, e + e).replace("%", e + "%").replace("_", e + "_")


def _search_of(query: ResultQuery) -> tuple[_SearchShape, dict[str, Any]]:
    """The shape of ``query``'s statement, and its bound parameters' values."""
    params: dict[str, Any] = {
        "category": query.category or None,
        "completed_from": query.completed_from,
        "completed_to": query.completed_to,
        "task_no": query.task_no or None,  # an empty filter filters nothing
        "area": query.area or None,
    }
    uscc = q = ""
    if query.uscc:
        params["uscc"] = query.uscc.upper()
        uscc = "object" if objects.is_assigned_id(params["uscc"]) else "code"
    if query.q:
        params["q"] = _like_escaped(query.q)
        q = "name"
        if _CODE_PREFIX.fullmatch(query.q.upper()):  # a name in Chinese begins no code
            params["code"] = _like_escaped(query.q.upper())
            q = "name_or_code"
    values = {name: value for name, value in params.items() if value is not None}
    shape = _SearchShape(
        category="category" in values,
        completed_from="completed_from" in values,
        completed_to="completed_to" in values,
        uscc=uscc,
        task_no="task_no" in values,
        area="area" in values,
        q=q,
    )
    return shape, values


@functools.lru_cache(maxsize=256)
def _search(shape: _SearchShape) -> Paged:
    """The public search of one shape, built once: its values are bound parameters."""
    r = orm.result_records
    category: Any = sa.bindparam("category")
    where: list[Any] = [_current_version_has(category) if shape.category else _published()]
    if shape.completed_from:
        where.append(r.c.completed_on >= sa.bindparam("completed_from"))
    if shape.completed_to:
        where.append(r.c.completed_on <= sa.bindparam("completed_to"))
    if shape.uscc:
        code = sa.bindparam("uscc", type_=sa.String)
        by_object = r.c.uscc == code
        where.append(
            by_object if shape.uscc == "object" else sa.or_(by_object, _producer_uscc() == code)
        )
    if shape.task_no:
        where.append(r.c.task_no == sa.bindparam("task_no"))
    if shape.area:
        where.append(r.c.area == sa.bindparam("area"))
    if shape.q:
        name = sa.bindparam("q", type_=sa.String)
        matches = [
            r.c.entity_name.contains(name, escape=_LIKE_ESCAPE),
            r.c.task_title.contains(name, escape=_LIKE_ESCAPE),
        ]
        if shape.q == "name_or_code":
            matches.append(
                r.c.uscc.startswith(sa.bindparam("code", type_=sa.String), escape=_LIKE_ESCAPE)
            )
        where.append(sa.or_(*matches))
    records = sa.select(r).where(*where)
    return Paged(records.order_by(r.c.published_at.desc(), r.c.record_id.desc()))


# The current versions of a page's records (an expanding IN, keyed and compiled once).
_VERSIONS_OF = (
    sa.select(orm.result_versions)
    .where(orm.result_versions.c.record_id.in_(sa.bindparam("record_ids", expanding=True)))
    .order_by(orm.result_versions.c.version)
)


def of_kind(kind: ExportKind) -> Any:
    """Records whose object is of ``kind``: every organisation, or one kind without a USCC
    (its ids start ``Z`` and the kind's letter)."""
    uscc = orm.result_records.c.uscc
    if kind == ORGANISATIONS:
        return ~uscc.startswith(objects.NAMESPACE)
    return uscc.startswith(objects.NAMESPACE + objects.LETTER[objects.ObjectKind(kind)])


def _day_start(d: date) -> datetime:
    """Midnight of a Beijing calendar day, as a UTC instant."""
    return datetime.combine(d, time(), CHINA_TZ).astimezone(UTC)


class SqlPublicationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Something the public reads was written: the unit of work raises the data version.
        self.changed = False

    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    async def data_version(self) -> int:
        t = orm.data_version
        return int((await self.session.execute(sa.select(t.c.version))).scalar_one())

    async def raise_data_version(self) -> None:
        """In the writing transaction: its row lock orders concurrent writers' commits."""
        t = orm.data_version
        await self.session.execute(sa.update(t).values(version=t.c.version + 1))

    async def calendar(self) -> WorkCalendar:
        return await CalendarStore(self.session).load()

    async def records_completed_since(self, day: date) -> list[ResultRecord]:
        t = orm.result_records
        rows = await self.session.execute(
            sa.select(t).where(t.c.completed_on >= day).order_by(t.c.completed_on, t.c.record_id)
        )
        return [_record(r) for r in rows]

    async def set_deadline(self, record: ResultRecord) -> None:
        self.changed = True
        t = orm.result_records
        await self.session.execute(
            sa.update(t)
            .where(t.c.record_id == record.record_id)
            .values(
                publish_due_on=record.publish_due_on,
                publish_due_calendar=record.publish_due_calendar,
                publish_due_pending=record.publish_due_pending,
            )
        )

    async def pending_deadlines(self) -> int:
        t = orm.result_records
        query = sa.select(sa.func.count()).where(t.c.publish_due_pending.is_not(None))
        return int((await self.session.execute(query)).scalar_one())

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

    async def version_for_request(self, request_id: str) -> ResultVersion | None:
        t = orm.result_versions
        row = (await self.session.execute(sa.select(t).where(t.c.request_id == request_id))).first()
        return _version(row) if row else None

    async def add_record(self, record: ResultRecord) -> None:
        self.changed = True
        await self.session.execute(sa.insert(orm.result_records).values(**record.__dict__))

    async def add_version(self, version: ResultVersion) -> None:
        self.changed = True
        values = {
            **version.__dict__,
            "results": [r.model_dump(mode="json") for r in version.results],
        }
        await self.session.execute(sa.insert(orm.result_versions).values(**values))
        await self.session.execute(sa.insert(orm.result_version_categories), categories_of(version))

    async def search(
        self, query: ResultQuery, limit: int, offset: int
    ) -> Page[tuple[ResultRecord, ResultVersion]]:
        """Records with their current (highest) version, newest first, as ``query`` asks."""
        shape, params = _search_of(query)
        if shape.q:
            await self._plan_for_this_pattern()
        else:
            await self._without_transaction()
        # One page of records read in the index's order; only its current versions fetched
        # (not every record joined with its current version and sorted, for twenty rows).
        page = await paginate(self.session, _search(shape), limit, offset, _record, params)
        versions = await self._current_versions([rec.record_id for rec in page.items])
        return Page(page.total, [(rec, versions[rec.record_id]) for rec in page.items])

    async def _plan_for_this_pattern(self) -> None:
        """PostgreSQL plans a prepared statement once for any value after a few runs: for
        ``LIKE '%' || $1 || '%'`` that plan walks the newest-first index through every record
        (it cannot know the pattern is rare) instead of reading the trigram indexes (0008):
        28 ms instead of 2. This transaction plans for each pattern."""
        if self._postgres():
            await self.session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))

    async def _without_transaction(self) -> None:
        """A search reads; at READ COMMITTED each of its statements has its own snapshot
        anyway, so BEGIN and ROLLBACK were two round trips for nothing. (A record is committed
        with its first version and never deleted: its page's versions are always found.)"""
        if self._postgres() and not self.session.in_transaction():
            await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

    async def _current_versions(self, record_ids: list[str]) -> dict[str, ResultVersion]:
        """Each record's current (highest) version."""
        rows = await self.session.execute(_VERSIONS_OF, {"record_ids": record_ids})
        return {row.record_id: _version(row) for row in rows}  # the highest wins

    # -- withheld results ------------------------------------------------------------------

    async def get_withheld(self, inspection_id: str) -> WithheldResult | None:
        t = orm.withheld_results
        row = (
            await self.session.execute(sa.select(t).where(t.c.inspection_id == inspection_id))
        ).first()
        return _withheld(row) if row else None

    async def add_withheld(self, withheld: WithheldResult) -> None:
        self.changed = True
        values = {
            **withheld.__dict__,
            "results": [r.model_dump(mode="json") for r in withheld.results],
        }
        await self.session.execute(sa.insert(orm.withheld_results).values(**values))

    async def list_withheld(
        self, task_no: str | None, limit: int, offset: int
    ) -> Page[WithheldResult]:
        t = orm.withheld_results
        query = (
            sa.select(t)
            .where(*([t.c.task_no == task_no] if task_no else []))
            .order_by(t.c.recorded_at.desc(), t.c.inspection_id)
        )
        return await paginate(self.session, query, limit, offset, _withheld)

    async def count_withheld(self, task_no: str | None) -> int:
        t = orm.withheld_results
        query = sa.select(sa.func.count()).select_from(t)
        if task_no:
            query = query.where(t.c.task_no == task_no)
        return int((await self.session.execute(query)).scalar_one())

    # -- plans and tasks -------------------------------------------------------------------

    async def plan_version_exists(self, plan_id: str, plan_version: int) -> bool:
        t = orm.published_plans
        found = await self.session.execute(
            sa.select(t.c.id).where(t.c.plan_id == plan_id, t.c.plan_version == plan_version)
        )
        return found.first() is not None

    async def add_plan_version(self, plan: PlanVersion) -> None:
        self.changed = True
        await self.session.execute(sa.insert(orm.published_plans).values(**plan.__dict__))

    async def plan_versions(self, plan_id: str) -> list[PlanVersion]:
        t = orm.published_plans
        rows = await self.session.execute(
            sa.select(t).where(t.c.plan_id == plan_id).order_by(t.c.plan_version)
        )
        return [_plan(r) for r in rows]

    async def current_plans(self, year: int | None, department: str | None) -> list[PlanVersion]:
        """The current (highest) version of each plan, by year, department and number."""
        t = orm.published_plans
        latest = (
            sa.select(t.c.plan_id, sa.func.max(t.c.plan_version).label("v"))
            .group_by(t.c.plan_id)
            .subquery()
        )
        query = sa.select(t).join(
            latest, sa.and_(latest.c.plan_id == t.c.plan_id, latest.c.v == t.c.plan_version)
        )
        if year is not None:
            query = query.where(t.c.year == year)
        if department:
            query = query.where(t.c.department == department)
        rows = await self.session.execute(
            query.order_by(t.c.year.desc(), t.c.department, t.c.plan_no)
        )
        return [_plan(r) for r in rows]

    async def get_task(self, task_id: str) -> PublishedTask | None:
        t = orm.published_tasks
        row = (await self.session.execute(sa.select(t).where(t.c.task_id == task_id))).first()
        return _task(row) if row else None

    async def save_task(self, task: PublishedTask) -> bool:
        self.changed = True
        """Insert, or replace with a later publication; an older or the same one is ignored."""
        t = orm.published_tasks
        existing = (
            await self.session.execute(
                sa.select(t.c.published_at).where(t.c.task_id == task.task_id)
            )
        ).scalar_one_or_none()
        if existing is None:
            await self.session.execute(sa.insert(t).values(**task.__dict__))
            return True
        if aware(existing) >= task.published_at:
            return False
        await self.session.execute(
            sa.update(t).where(t.c.task_id == task.task_id).values(**task.__dict__)
        )
        return True

    async def search_tasks(
        self, plan_no: str | None, q: str | None, limit: int, offset: int
    ) -> Page[PublishedTask]:
        t = orm.published_tasks
        where: list[Any] = []
        if plan_no:
            where.append(t.c.plan_no == plan_no)
        if q:
            where.append(
                sa.or_(
                    t.c.title.contains(q, autoescape=True),
                    t.c.task_no.contains(q, autoescape=True),
                    t.c.lead_department.contains(q, autoescape=True),
                )
            )
        query = sa.select(t).where(*where).order_by(t.c.published_at.desc(), t.c.task_id)
        return await paginate(self.session, query, limit, offset, _task)

    # -- the publication deadline ----------------------------------------------------------

    async def late_records(self, department: str | None = None) -> list[ResultRecord]:
        """Records first published after their publish_due_on, oldest due first (the
        Beijing-date comparison is the domain's, ``published_late``)."""
        t = orm.result_records
        query = sa.select(t).where(t.c.publish_due_on.is_not(None), self._published_after_due())
        if department is not None:
            query = query.where(t.c.lead_department == department)
        rows = await self.session.execute(query.order_by(t.c.publish_due_on, t.c.record_id))
        return [r for r in map(_record, rows) if published_late(r)]

    def _published_after_due(self) -> Any:
        """The database's side of ``published_late`` (first published on a Beijing day after
        the deadline), so only late records are read: the periodic gauge read every record of
        the year each minute (half a second of the public search's event loop)."""
        t = orm.result_records
        if self._postgres():
            published_on: Any = sa.cast(
                sa.func.timezone("Asia/Shanghai", t.c.published_at), sa.Date
            )
        else:  # SQLite keeps UTC as text; Beijing is UTC+8 all year
            published_on = sa.func.date(t.c.published_at, "+8 hours")
        return published_on > t.c.publish_due_on

    # -- export ----------------------------------------------------------------------------

    async def current_versions(
        self,
        task_no: str | None,
        published_from: date | None,
        published_to: date | None,
        kind: ExportKind = ORGANISATIONS,
    ) -> list[tuple[ResultRecord, ResultVersion]]:
        """Each record of objects of ``kind`` with its current version; the dates bound the
        current version's publication day (Beijing), both inclusive."""
        r, v = orm.result_records, orm.result_versions
        query = _with_current_version().where(of_kind(kind))
        if task_no:
            query = query.where(r.c.task_no == task_no)
        if published_from is not None:
            query = query.where(v.c.published_at >= _day_start(published_from))
        if published_to is not None:
            query = query.where(v.c.published_at < _day_start(published_to + timedelta(days=1)))
        query = query.order_by(r.c.task_no, r.c.completed_on, r.c.uscc, r.c.record_id)
        return [_current(row) for row in await self.session.execute(query)]
