"""Registry persistence behind a small interface, so the service layer runs on fakes too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from registry.adapters import orm
from registry.domain.check_items import ListVersion
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
