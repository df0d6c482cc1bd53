"""Registry use cases. Plain functions; the unit of work and repository are injected.

Imports (entities, inspectors, experts, the item list) are jobs: ``service_layer.imports``.
"""

from __future__ import annotations

from typing import Any, Protocol

from registry.adapters.repository import RegistryRepository
from spotcheck_common.clock import Clock
from spotcheck_common.errors import Invalid, NotFound
from spotcheck_common.events.envelope import Event
from spotcheck_common.events.registry import (
    ConflictDeclared,
    EntityUpdated,
    InspectorPairConflictDeclared,
)
from spotcheck_common.events.types import EntityStatus, RiskClass


class UnitOfWork(Protocol):
    district: str
    clock: Clock

    async def emit(self, event: Event, district: str | None = None) -> Any: ...

    async def commit(self) -> None: ...

    @property
    def context(self) -> Any: ...


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
