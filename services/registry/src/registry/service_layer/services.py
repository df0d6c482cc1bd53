"""Registry use cases. Plain functions; the unit of work carries the repository.

Imports (entities, inspectors, experts, the item list) are jobs: ``service_layer.imports``.
"""

from __future__ import annotations

from registry.service_layer.unit_of_work import RegistryUnitOfWork
from spotcheck_common.errors import Invalid, NotFound
from spotcheck_common.events.registry import (
    ConflictDeclared,
    EntitySnapshot,
    EntityUpdated,
    InspectorPairConflictDeclared,
)
from spotcheck_common.events.types import EntityStatus, RiskClass


async def declare_pair_conflict(
    uow: RegistryUnitOfWork, first: str, second: str, reason: str
) -> bool:
    """Two inspectors who may not serve on one team (e.g. close relatives, 近亲属); declaring
    the same pair again (in either order) changes nothing."""
    if first == second:
        raise Invalid("两名执法检查人员不能是同一人")
    if not reason.strip():
        raise Invalid("请填写理由")
    repo = uow.registry
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
    uow: RegistryUnitOfWork,
    code: str,
    status: EntityStatus | None,
    risk_class: RiskClass | None,
) -> EntitySnapshot:
    """At least one of ``status`` and ``risk_class`` changes (422 otherwise)."""
    if status is None and risk_class is None:
        raise Invalid("至少变更 status 或 risk_class 之一")
    entity = await uow.registry.get_entity(code)
    if entity is None:
        raise NotFound(f"市场主体 {code} 不存在")
    changes: dict[str, EntityStatus | RiskClass] = {}
    if status is not None:
        changes["status"] = status
    if risk_class is not None:
        changes["risk_class"] = risk_class
    updated = entity.model_copy(update=changes)
    await uow.registry.update_entity(updated, uow.clock.now())
    await uow.emit(EntityUpdated(entity=updated))
    await uow.commit()
    return updated


async def declare_conflict(
    uow: RegistryUnitOfWork, inspector_id: str, code: str, reason: str
) -> bool:
    """Record a conflict of interest (回避); declaring the same pair again changes nothing.
    ``inspector_id`` may name an inspector or an expert of the expert pool (ids are disjoint)."""
    repo = uow.registry
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
