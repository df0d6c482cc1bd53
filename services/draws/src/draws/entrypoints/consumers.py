"""Event handlers: the draws service's own read model of the registry and of approved tasks.

Each runs inside the idempotent consumer's transaction (already claimed); none commits.
"""

from __future__ import annotations

from typing import Any

from draws.adapters.repository import SqlDrawsRepository
from draws.service_layer import services
from spotcheck_common.consumer import Subscription
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.events.registry import (
    ConflictDeclared,
    EntitiesImported,
    EntityUpdated,
    ExpertsImported,
    InspectorPairConflictDeclared,
    InspectorsImported,
)
from spotcheck_common.uow import UnitOfWork


def _repo(uow: UnitOfWork) -> SqlDrawsRepository:
    return SqlDrawsRepository(uow.session, uow.db.postgres)


async def on_entities_imported(
    event: EntitiesImported, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.entities_imported(_repo(uow), event, uow.clock.now())


async def on_entity_updated(event: EntityUpdated, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    await services.entity_updated(_repo(uow), event, uow.clock.now())


async def on_inspectors_imported(
    event: InspectorsImported, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.inspectors_imported(_repo(uow), event, envelope.district, uow.clock.now())


async def on_conflict_declared(
    event: ConflictDeclared, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.conflict_declared(_repo(uow), event, uow.clock.now())


async def on_experts_imported(
    event: ExpertsImported, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.experts_imported(_repo(uow), event, envelope.district, uow.clock.now())


async def on_pair_conflict_declared(
    event: InspectorPairConflictDeclared, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.pair_conflict_declared(_repo(uow), event, uow.clock.now())


async def on_task_approved(event: TaskApproved, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    await services.task_approved(_repo(uow), event, uow.clock.now())


subscriptions = [
    Subscription(EntitiesImported, on_entities_imported),
    Subscription(EntityUpdated, on_entity_updated),
    Subscription(InspectorsImported, on_inspectors_imported),
    Subscription(ConflictDeclared, on_conflict_declared),
    Subscription(TaskApproved, on_task_approved),
    Subscription(ExpertsImported, on_experts_imported),
    Subscription(InspectorPairConflictDeclared, on_pair_conflict_declared),
]
