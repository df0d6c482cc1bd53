"""Registry persistence behind a small interface, so the service layer runs on fakes too."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from registry.adapters import orm
from registry.domain.check_items import ListVersion
from registry.domain.imports import MergeCounts
from spotcheck_common.events.registry import (
    CheckItem,
    EntitySnapshot,
    ExpertSnapshot,
    InspectorSnapshot,
)

CHUNK = 1000


class RegistryRepository(Protocol):
    async def upsert_entities(
        self, rows: Sequence[EntitySnapshot], batch_id: str, now: datetime
    ) -> None: ...

    async def upsert_inspectors(
        self, rows: Sequence[InspectorSnapshot], batch_id: str, now: datetime
    ) -> None: ...

    async def record_batch(self, **values: Any) -> None: ...

    async def get_entity(self, code: str) -> EntitySnapshot | None: ...

    async def get_inspector(self, inspector_id: str) -> InspectorSnapshot | None: ...

    async def add_conflict(
        self, inspector_id: str, code: str, reason: str, by: str, now: datetime
    ) -> bool: ...

    async def list_versions(self) -> list[ListVersion]: ...

    async def upsert_experts(
        self, rows: Sequence[ExpertSnapshot], batch_id: str, now: datetime
    ) -> None: ...

    async def get_expert(self, expert_id: str) -> ExpertSnapshot | None: ...

    async def inspector_ids(self) -> set[str]: ...

    async def expert_ids(self) -> set[str]: ...

    async def add_pair_conflict(
        self, a: str, b: str, reason: str, by: str, now: datetime
    ) -> bool: ...

    async def add_list_version(self, version: ListVersion, items: Sequence[CheckItem]) -> None: ...

    async def check_items(self, version: int) -> list[CheckItem]: ...


def _entity(row: Any) -> EntitySnapshot:
    return EntitySnapshot(
        uscc=row.uscc,
        name=row.name,
        entity_type=row.entity_type,
        industry=row.industry,
        area=row.area,
        risk_class=row.risk_class,
        status=row.status,
        address=row.address,
    )


def _list_version(row: Any) -> ListVersion:
    return ListVersion(
        version=row.version,
        list_id=row.list_id,
        effective_from=row.effective_from,
        reason=row.reason,
        items=row.items,
        filename=row.filename,
        sha256=row.sha256,
        imported_by=row.imported_by,
        imported_at=row.imported_at,
    )


CHECK_ITEM_FIELDS = list(CheckItem.model_fields)


def _inspector(row: Any) -> InspectorSnapshot:
    return InspectorSnapshot(
        inspector_id=row.inspector_id,
        name=row.name,
        department=row.department,
        qualifications=list(row.qualifications),
        leader_qualified=row.leader_qualified,
        certificate_expires_on=row.certificate_expires_on,
        active=row.active,
    )


def _expert(row: Any) -> ExpertSnapshot:
    return ExpertSnapshot(
        expert_id=row.expert_id,
        name=row.name,
        field=row.field,
        organization=row.organization,
        active=row.active,
    )


class SqlRegistryRepository:
    def __init__(self, session: AsyncSession, postgres: bool) -> None:
        self.session = session
        self._insert = postgresql.insert if postgres else sqlite.insert

    async def _upsert(self, table: sa.Table, key: str, values: list[dict[str, Any]]) -> None:
        for start in range(0, len(values), CHUNK):
            stmt = self._insert(table).values(values[start : start + CHUNK])
            update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != key}
            await self.session.execute(
                stmt.on_conflict_do_update(index_elements=[key], set_=update)
            )

    async def upsert_entities(
        self, rows: Sequence[EntitySnapshot], batch_id: str, now: datetime
    ) -> None:
        values = [
            {**r.model_dump(mode="json"), "batch_id": batch_id, "updated_at": now} for r in rows
        ]
        await self._upsert(orm.entities, "uscc", values)

    async def upsert_inspectors(
        self, rows: Sequence[InspectorSnapshot], batch_id: str, now: datetime
    ) -> None:
        values = [{**r.model_dump(), "batch_id": batch_id, "updated_at": now} for r in rows]
        await self._upsert(orm.inspectors, "inspector_id", values)

    async def record_batch(self, **values: Any) -> None:
        await self.session.execute(sa.insert(orm.import_batches).values(**values))

    async def get_entity(self, code: str) -> EntitySnapshot | None:
        row = (
            await self.session.execute(sa.select(orm.entities).where(orm.entities.c.uscc == code))
        ).first()
        return _entity(row) if row else None

    async def get_inspector(self, inspector_id: str) -> InspectorSnapshot | None:
        t = orm.inspectors
        row = (
            await self.session.execute(sa.select(t).where(t.c.inspector_id == inspector_id))
        ).first()
        return _inspector(row) if row else None

    async def update_entity(self, entity: EntitySnapshot, now: datetime) -> None:
        await self.session.execute(
            sa.update(orm.entities)
            .where(orm.entities.c.uscc == entity.uscc)
            .values(**entity.model_dump(mode="json"), updated_at=now)
        )

    async def add_conflict(
        self, inspector_id: str, code: str, reason: str, by: str, now: datetime
    ) -> bool:
        stmt = (
            self._insert(orm.conflicts)
            .values(
                inspector_id=inspector_id, uscc=code, reason=reason, declared_by=by, declared_at=now
            )
            .on_conflict_do_nothing(index_elements=["inspector_id", "uscc"])
        )
        return bool((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def search_entities(
        self, q: str | None, risk_class: str | None, status: str | None, limit: int, offset: int
    ) -> tuple[int, list[EntitySnapshot]]:
        t = orm.entities
        where = []
        if q:
            where.append(
                sa.or_(
                    t.c.name.contains(q, autoescape=True),
                    t.c.uscc.startswith(q.upper(), autoescape=True),
                )
            )
        if risk_class:
            where.append(t.c.risk_class == risk_class)
        if status:
            where.append(t.c.status == status)
        total = (
            await self.session.execute(sa.select(sa.func.count()).select_from(t).where(*where))
        ).scalar_one()
        rows = await self.session.execute(
            sa.select(t).where(*where).order_by(t.c.uscc).limit(limit).offset(offset)
        )
        return total, [_entity(r) for r in rows]

    async def list_inspectors(self, department: str | None) -> list[InspectorSnapshot]:
        t = orm.inspectors
        query = sa.select(t).order_by(t.c.inspector_id)
        if department:
            query = query.where(t.c.department == department)
        return [_inspector(r) for r in await self.session.execute(query)]

    async def count_entities(self) -> int:
        return (
            await self.session.execute(sa.select(sa.func.count()).select_from(orm.entities))
        ).scalar_one()

    async def list_versions(self) -> list[ListVersion]:
        t = orm.check_item_lists
        rows = await self.session.execute(sa.select(t).order_by(t.c.version))
        return [_list_version(r) for r in rows]

    async def add_list_version(self, version: ListVersion, items: Sequence[CheckItem]) -> None:
        await self.session.execute(
            sa.insert(orm.check_item_lists).values(
                version=version.version,
                list_id=version.list_id,
                effective_from=version.effective_from,
                reason=version.reason,
                items=version.items,
                filename=version.filename,
                sha256=version.sha256,
                imported_by=version.imported_by,
                imported_at=version.imported_at,
            )
        )
        await self.session.execute(
            sa.insert(orm.check_items),
            [
                {**item.model_dump(), "list_version": version.version, "position": n}
                for n, item in enumerate(items)
            ],
        )

    async def check_items(self, version: int) -> list[CheckItem]:
        t = orm.check_items
        rows = await self.session.execute(
            sa.select(t).where(t.c.list_version == version).order_by(t.c.position)
        )
        return [CheckItem(**{f: getattr(r, f) for f in CHECK_ITEM_FIELDS}) for r in rows]

    async def upsert_experts(
        self, rows: Sequence[ExpertSnapshot], batch_id: str, now: datetime
    ) -> None:
        values = [{**r.model_dump(), "batch_id": batch_id, "updated_at": now} for r in rows]
        await self._upsert(orm.experts, "expert_id", values)

    async def get_expert(self, expert_id: str) -> ExpertSnapshot | None:
        t = orm.experts
        row = (await self.session.execute(sa.select(t).where(t.c.expert_id == expert_id))).first()
        return _expert(row) if row else None

    async def list_experts(self, field: str | None = None) -> list[ExpertSnapshot]:
        t = orm.experts
        query = sa.select(t).order_by(t.c.expert_id)
        if field:
            query = query.where(t.c.field == field)
        return [_expert(r) for r in await self.session.execute(query)]

    async def inspector_ids(self) -> set[str]:
        t = orm.inspectors
        return set((await self.session.execute(sa.select(t.c.inspector_id))).scalars())

    async def expert_ids(self) -> set[str]:
        t = orm.experts
        return set((await self.session.execute(sa.select(t.c.expert_id))).scalars())

    async def add_pair_conflict(self, a: str, b: str, reason: str, by: str, now: datetime) -> bool:
        a, b = sorted((a, b))
        stmt = (
            self._insert(orm.inspector_pair_conflicts)
            .values(inspector_a=a, inspector_b=b, reason=reason, declared_by=by, declared_at=now)
            .on_conflict_do_nothing(index_elements=["inspector_a", "inspector_b"])
        )
        return bool((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- staged imports


@dataclass(frozen=True)
class Register:
    """A register that imports merge into: its table, key and the fields a file sets."""

    table: sa.Table
    key: str
    fields: tuple[str, ...]  # in the order the domain's validated rows hold them
    json_fields: frozenset[str] = frozenset()
    date_fields: frozenset[str] = frozenset()
    bool_fields: frozenset[str] = frozenset()

    @property
    def compared(self) -> tuple[str, ...]:
        return tuple(f for f in self.fields if f != self.key)


REGISTERS = {
    "entities": Register(
        orm.entities,
        "uscc",
        ("uscc", "name", "entity_type", "industry", "area", "risk_class", "status", "address"),
    ),
    "inspectors": Register(
        orm.inspectors,
        "inspector_id",
        (
            "inspector_id",
            "name",
            "department",
            "qualifications",
            "leader_qualified",
            "certificate_expires_on",
            "active",
        ),
        json_fields=frozenset({"qualifications"}),
        date_fields=frozenset({"certificate_expires_on"}),
        bool_fields=frozenset({"leader_qualified", "active"}),
    ),
    "experts": Register(
        orm.experts,
        "expert_id",
        ("expert_id", "name", "field", "organization", "active"),
        bool_fields=frozenset({"active"}),
    ),
}

STAGE = "import_stage"
CLASSIFIED = "import_classified"
# One import of a kind at a time across replicas (PostgreSQL advisory lock, per kind).
_IMPORT_LOCK = {"entities": 0x5C071, "inspectors": 0x5C072, "experts": 0x5C073}


class StagedImport:
    """Rows of one import, loaded into a temporary table of the import's own transaction and
    merged into the register with set-based SQL: COPY on PostgreSQL, executemany on SQLite.
    Nothing reaches the register before :meth:`merge`; a rollback leaves it as it was."""

    def __init__(self, session: AsyncSession, postgres: bool, register: Register) -> None:
        self.session = session
        self.postgres = postgres
        self.register = register

    def _type(self, name: str) -> str:
        r = self.register
        if name in r.bool_fields:
            return "BOOLEAN" if self.postgres else "INTEGER"
        if name in r.date_fields:
            return "DATE" if self.postgres else "TEXT"
        return "TEXT"

    async def _sql(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return await self.session.execute(sa.text(sql), params or {})

    async def lock(self, kind: str) -> None:
        if self.postgres:
            await self._sql("SELECT pg_advisory_xact_lock(:k)", {"k": _IMPORT_LOCK[kind]})

    async def create(self) -> None:
        columns = ", ".join(f"{f} {self._type(f)}" for f in self.register.fields)
        if self.postgres:
            await self._sql(
                f"CREATE TEMP TABLE {STAGE} (line INTEGER NOT NULL, {columns}) ON COMMIT DROP"
            )
        else:
            await self.drop()
            await self._sql(f"CREATE TEMP TABLE {STAGE} (line INTEGER NOT NULL, {columns})")

    async def drop(self) -> None:
        """SQLite keeps temporary tables for the connection's life; PostgreSQL drops them at
        the commit (ON COMMIT DROP)."""
        if self.postgres:
            return
        for name in (CLASSIFIED, STAGE):
            await self._sql(f"DROP TABLE IF EXISTS temp.{name}")

    def _record(self, line: int, values: Sequence[Any]) -> tuple[Any, ...]:
        out: list[Any] = [line]
        r = self.register
        for name, value in zip(r.fields, values, strict=True):
            if name in r.json_fields:
                value = json.dumps(value)
            elif not self.postgres and isinstance(value, bool):
                value = int(value)
            elif not self.postgres and isinstance(value, date):
                value = value.isoformat()
            out.append(value)
        return tuple(out)

    async def load(self, rows: Sequence[tuple[int, Sequence[Any]]]) -> None:
        """Append ``(line, values)`` rows (values in the register's field order)."""
        records = [self._record(line, values) for line, values in rows]
        if not records:
            return
        conn = await self.session.connection()
        if self.postgres:
            raw = await conn.get_raw_connection()
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                STAGE, records=records, columns=["line", *self.register.fields]
            )
        else:
            marks = ", ".join("?" * (len(self.register.fields) + 1))
            await conn.exec_driver_sql(f"INSERT INTO {STAGE} VALUES ({marks})", records)

    def _distinct(self, name: str) -> str:
        s, t = f"s.{name}", f"t.{name}"
        if name in self.register.json_fields:
            if self.postgres:
                return f"CAST({s} AS JSONB) IS DISTINCT FROM CAST({t} AS JSONB)"
            return f"json({s}) IS NOT json({t})"
        return f"{s} IS DISTINCT FROM {t}" if self.postgres else f"{s} IS NOT {t}"

    def _changed(self) -> str:
        return "(is_new = 1 OR " + " + ".join(f"d_{f}" for f in self.register.compared) + " > 0)"

    async def merge(self, batch_id: str, now: datetime) -> MergeCounts:
        """Classify every staged row (new / updated, per field / unchanged), write the new and
        updated ones into the register, and count."""
        r = self.register
        table = r.table.name
        flags = ", ".join(
            f"CASE WHEN t.{r.key} IS NOT NULL AND {self._distinct(f)} THEN 1 ELSE 0 END AS d_{f}"
            for f in r.compared
        )
        fields = ", ".join(f"s.{f}" for f in r.fields)
        on_commit = " ON COMMIT DROP" if self.postgres else ""
        await self._sql(
            f"CREATE TEMP TABLE {CLASSIFIED}{on_commit} AS "
            f"SELECT s.line, {fields}, CASE WHEN t.{r.key} IS NULL THEN 1 ELSE 0 END AS is_new, "
            f"{flags} FROM {STAGE} s LEFT JOIN {table} t ON t.{r.key} = s.{r.key}"
        )
        sums = ", ".join(f"COALESCE(SUM(d_{f}), 0)" for f in r.compared)
        row = (
            await self._sql(
                f"SELECT COUNT(*), COALESCE(SUM(is_new), 0), "
                f"COALESCE(SUM(CASE WHEN is_new = 0 AND {self._changed()} THEN 1 ELSE 0 END), 0), "
                f"{sums} FROM {CLASSIFIED}"
            )
        ).one()
        total, new, updated = int(row[0]), int(row[1]), int(row[2])
        per_field = {f: int(n) for f, n in zip(r.compared, row[3:], strict=True) if n}
        if new or updated:
            select = ", ".join(
                f"CAST({f} AS JSON)" if self.postgres and f in r.json_fields else f
                for f in r.fields
            )
            updates = ", ".join(
                f"{f} = excluded.{f}" for f in (*r.compared, "batch_id", "updated_at")
            )
            await self._sql(
                f"INSERT INTO {table} ({', '.join(r.fields)}, batch_id, updated_at) "
                f"SELECT {select}, :batch_id, :now FROM {CLASSIFIED} WHERE {self._changed()} "
                f"ON CONFLICT ({r.key}) DO UPDATE SET {updates}",
                {"batch_id": batch_id, "now": now},
            )
        return MergeCounts(new, updated, total - new - updated, per_field)

    async def changed(self, size: int = 1000) -> AsyncIterator[list[dict[str, Any]]]:
        """The new and updated rows, in file order, ``size`` at a time."""
        r = self.register
        types = {c.name: sa.Text() if c.name in r.json_fields else c.type for c in r.table.columns}
        query = sa.text(
            f"SELECT {', '.join(r.fields)} FROM {CLASSIFIED} WHERE {self._changed()} ORDER BY line"
        ).columns(*(sa.column(f, types[f]) for f in r.fields))
        result = await self.session.stream(query)
        try:
            async for partition in result.mappings().partitions(size):
                rows = [dict(row) for row in partition]
                for name in r.json_fields:
                    for row in rows:
                        row[name] = json.loads(row[name])
                yield rows
        finally:
            await result.close()


class SqlImportJobs:
    """Import jobs' rows, each change in a short transaction of its own (visible at once to
    every replica, whatever the import's own transaction does)."""

    def __init__(self, sessions: Any) -> None:
        self.sessions = sessions

    async def _update(self, import_id: str, **values: Any) -> None:
        async with self.sessions() as session:
            t = orm.import_jobs
            await session.execute(sa.update(t).where(t.c.import_id == import_id).values(**values))
            await session.commit()

    async def create(self, **values: Any) -> None:
        async with self.sessions() as session:
            await session.execute(sa.insert(orm.import_jobs).values(**values))
            await session.commit()

    async def start(self, import_id: str, now: datetime) -> None:
        await self._update(import_id, state="running", started_at=now, heartbeat_at=now)

    async def opened(self, import_id: str, **values: Any) -> None:
        """How the file was read: format, encoding, sheet, rows_total."""
        await self._update(import_id, **values)

    async def progress(
        self,
        import_id: str,
        rows_read: int,
        rows_total: int | None,
        errors_total: int,
        now: datetime,
    ) -> None:
        await self._update(
            import_id,
            rows_read=rows_read,
            rows_total=rows_total,
            errors_total=errors_total,
            heartbeat_at=now,
        )

    async def finish(self, import_id: str, now: datetime, **values: Any) -> None:
        await self._update(import_id, finished_at=now, heartbeat_at=now, **values)

    async def get(self, import_id: str) -> dict[str, Any] | None:
        async with self.sessions() as session:
            t = orm.import_jobs
            row = (await session.execute(sa.select(t).where(t.c.import_id == import_id))).first()
        return dict(row._mapping) if row else None

    async def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            t = orm.import_jobs
            rows = await session.execute(sa.select(t).order_by(t.c.created_at.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]

    async def fail_abandoned(self, now: datetime, before: datetime | None, failure: str) -> int:
        """Mark failed the jobs left queued or running by a process that died: all of them
        (``before`` None: this process is the only one), or those not heard of since
        ``before``."""
        async with self.sessions() as session:
            t = orm.import_jobs
            query = sa.update(t).where(t.c.state.in_(("queued", "running")))
            if before is not None:
                query = query.where(sa.func.coalesce(t.c.heartbeat_at, t.c.created_at) < before)
            result = await session.execute(
                query.values(state="failed", failure=failure, finished_at=now)
            )
            await session.commit()
        return int(result.rowcount)
