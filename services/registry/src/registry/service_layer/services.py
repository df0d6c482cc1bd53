"""Registry use cases. Plain functions; the unit of work and repository are injected."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any, Protocol

from registry.adapters.repository import RegistryRepository
from registry.domain import check_items, model
from spotcheck_common.clock import CHINA_TZ
from spotcheck_common.events.envelope import Event, new_id
from spotcheck_common.events.registry import (
    CheckItemListPublished,
    ConflictDeclared,
    EntitiesImported,
    EntityUpdated,
    ExpertsImported,
    InspectorPairConflictDeclared,
    InspectorsImported,
)
from spotcheck_common.events.types import EntityStatus, RiskClass

# Entities per event: keeps messages well under Kafka's default 1 MiB limit.
EVENT_CHUNK = 1000


class UnitOfWork(Protocol):
    district: str

    async def emit(self, event: Event, district: str | None = None) -> Any: ...

    async def commit(self) -> None: ...

    @property
    def context(self) -> Any: ...

    @property
    def clock(self) -> Any: ...


class NotFound(Exception):
    pass


class Invalid(Exception):
    pass


async def import_entities(
    uow: UnitOfWork, repo: RegistryRepository, data: bytes, filename: str
) -> dict[str, Any]:
    """All rows or none: a bad row raises ImportRejected before anything is written."""
    rows = model.parse_entities(data)
    batch_id, now = new_id(), uow.clock.now()
    await repo.upsert_entities(rows, batch_id, now)
    await repo.record_batch(
        batch_id=batch_id,
        kind="entities",
        filename=filename,
        rows=len(rows),
        sha256=hashlib.sha256(data).hexdigest(),
        imported_by=uow.context.actor,
        imported_at=now,
    )
    for start in range(0, len(rows), EVENT_CHUNK):
        chunk = rows[start : start + EVENT_CHUNK]
        await uow.emit(
            EntitiesImported(batch_id=f"{batch_id}:{start // EVENT_CHUNK}", entities=chunk)
        )
    await uow.commit()
    return {"batch_id": batch_id, "imported": len(rows)}


async def import_inspectors(
    uow: UnitOfWork, repo: RegistryRepository, data: bytes, filename: str
) -> dict[str, Any]:
    rows = model.parse_inspectors(data, await repo.expert_ids())
    batch_id, now = new_id(), uow.clock.now()
    await repo.upsert_inspectors(rows, batch_id, now)
    await repo.record_batch(
        batch_id=batch_id,
        kind="inspectors",
        filename=filename,
        rows=len(rows),
        sha256=hashlib.sha256(data).hexdigest(),
        imported_by=uow.context.actor,
        imported_at=now,
    )
    await uow.emit(InspectorsImported(batch_id=batch_id, inspectors=rows))
    await uow.commit()
    return {"batch_id": batch_id, "imported": len(rows)}


async def import_experts(
    uow: UnitOfWork, repo: RegistryRepository, data: bytes, filename: str
) -> dict[str, Any]:
    """The expert pool (专家库): all rows or none; ExpertsImported carries the batch."""
    rows = model.parse_experts(data, await repo.inspector_ids())
    batch_id, now = new_id(), uow.clock.now()
    await repo.upsert_experts(rows, batch_id, now)
    await repo.record_batch(
        batch_id=batch_id,
        kind="experts",
        filename=filename,
        rows=len(rows),
        sha256=hashlib.sha256(data).hexdigest(),
        imported_by=uow.context.actor,
        imported_at=now,
    )
    await uow.emit(ExpertsImported(batch_id=batch_id, experts=rows))
    await uow.commit()
    return {"batch_id": batch_id, "imported": len(rows)}


async def declare_pair_conflict(
    uow: UnitOfWork, repo: RegistryRepository, first: str, second: str, reason: str
) -> bool:
    """Two inspectors who may not serve on one team (e.g. close relatives, 近亲属); declaring
    the same pair again (in either order) changes nothing."""
    if first == second:
        raise Invalid("两名执法检查人员不能是同一人")
    if not reason.strip():
        raise Invalid("请填写理由")
    for inspector_id in (first, second):
        if await repo.get_inspector(inspector_id) is None:
            raise NotFound(f"执法人员 {inspector_id} 不存在")
    a, b = sorted((first, second))
    created = await repo.add_pair_conflict(a, b, reason.strip(), uow.context.actor, uow.clock.now())
    if created:
        await uow.emit(InspectorPairConflictDeclared(inspector_ids=[a, b], reason=reason.strip()))
    await uow.commit()
    return created


async def change_entity(
    uow: UnitOfWork,
    repo: Any,
    code: str,
    status: EntityStatus | None,
    risk_class: RiskClass | None,
) -> dict[str, Any]:
    entity = await repo.get_entity(code)
    if entity is None:
        raise NotFound(f"市场主体 {code} 不存在")
    changes: dict[str, Any] = {}
    if status is not None:
        changes["status"] = status
    if risk_class is not None:
        changes["risk_class"] = risk_class
    updated = entity.model_copy(update=changes)
    await repo.update_entity(updated, uow.clock.now())
    await uow.emit(EntityUpdated(entity=updated))
    await uow.commit()
    return updated.model_dump(mode="json")


async def declare_conflict(
    uow: UnitOfWork, repo: RegistryRepository, inspector_id: str, code: str, reason: str
) -> bool:
    """Record a conflict of interest (回避); declaring the same pair again changes nothing.
    ``inspector_id`` may name an inspector or an expert of the expert pool (ids are disjoint)."""
    if (
        await repo.get_inspector(inspector_id) is None
        and await repo.get_expert(inspector_id) is None
    ):
        raise NotFound(f"执法人员或专家 {inspector_id} 不存在")
    if await repo.get_entity(code) is None:
        raise NotFound(f"市场主体 {code} 不存在")
    created = await repo.add_conflict(
        inspector_id, code, reason, uow.context.actor, uow.clock.now()
    )
    if created:
        await uow.emit(ConflictDeclared(inspector_id=inspector_id, uscc=code, reason=reason))
    await uow.commit()
    return created


def list_id(district: str) -> str:
    """One item list per district; its versions share this id (the events' partition key)."""
    return f"{district}:check-items"


async def import_check_items(
    uow: UnitOfWork,
    repo: RegistryRepository,
    data: bytes,
    filename: str,
    reason: str,
    effective_from: date | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A new version of the item list (第四条): every row valid or nothing is written; older
    versions are kept. CheckItemListPublished carries the whole list."""
    now = now or uow.clock.now()
    items = model.parse_check_items(data)
    effective_from = effective_from or now.astimezone(CHINA_TZ).date()
    versions = await repo.list_versions()
    number = check_items.check_new_version(versions, effective_from, reason)
    version = check_items.ListVersion(
        version=number,
        list_id=list_id(uow.district),
        effective_from=effective_from,
        reason=reason.strip(),
        items=len(items),
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        imported_by=uow.context.actor,
        imported_at=now,
    )
    await repo.add_list_version(version, items)
    await uow.emit(
        CheckItemListPublished(
            list_id=version.list_id,
            list_version=number,
            effective_from=effective_from,
            items=items,
            reason=version.reason,
        )
    )
    await uow.commit()
    return {
        "list_id": version.list_id,
        "version": number,
        "effective_from": effective_from.isoformat(),
        "reason": version.reason,
        "imported": len(items),
    }
