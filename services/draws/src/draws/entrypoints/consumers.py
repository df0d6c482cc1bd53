"""Event handlers: the draws service's own read model of the registry (co-organising
agencies' external rosters included) and of approved tasks, and what it reads from its
neighbours' topics for joint draws (issue 10).

Each runs inside the idempotent consumer's transaction (already claimed); none commits.
"""

from __future__ import annotations

from typing import Any, cast

from draws.adapters.unit_of_work import SqlDrawsUnitOfWork
from draws.service_layer import joint, services
from spotcheck_common.consumer import Subscription
from spotcheck_common.events.draws import (
    DrawCancelled,
    DrawCompleted,
    DrawManifestFrozen,
    DrawShareCommitted,
    InspectorRosterEntry,
    JointShareCommitted,
    JointShareRevealed,
)
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.events.registry import (
    ConflictDeclared,
    EntitiesImported,
    EntityUpdated,
    ExpertsImported,
    ExternalInspectorsImported,
    InspectorPairConflictDeclared,
    InspectorsImported,
)
from spotcheck_common.uow import UnitOfWork


def _uow(uow: UnitOfWork) -> SqlDrawsUnitOfWork:
    """The consumer's unit of work is this service's kind (``definition.unit_of_work``)."""
    return cast(SqlDrawsUnitOfWork, uow)


async def on_entities_imported(
    event: EntitiesImported, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.entities_imported(_uow(uow), event)


async def on_entity_updated(event: EntityUpdated, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    await services.entity_updated(_uow(uow), event)


async def on_inspectors_imported(
    event: InspectorsImported, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.inspectors_imported(_uow(uow), event, envelope.district)


async def on_external_inspectors_imported(
    event: ExternalInspectorsImported, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.external_inspectors_imported(_uow(uow), event)


async def on_conflict_declared(
    event: ConflictDeclared, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.conflict_declared(_uow(uow), event)


async def on_experts_imported(
    event: ExpertsImported, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.experts_imported(_uow(uow), event, envelope.district)


async def on_pair_conflict_declared(
    event: InspectorPairConflictDeclared, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.pair_conflict_declared(_uow(uow), event)


async def on_task_approved(event: TaskApproved, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    await services.task_approved(_uow(uow), event)


subscriptions = [
    Subscription(EntitiesImported, on_entities_imported),
    Subscription(EntityUpdated, on_entity_updated),
    Subscription(InspectorsImported, on_inspectors_imported),
    Subscription(ExternalInspectorsImported, on_external_inspectors_imported),
    Subscription(ConflictDeclared, on_conflict_declared),
    Subscription(TaskApproved, on_task_approved),
    Subscription(ExpertsImported, on_experts_imported),
    Subscription(InspectorPairConflictDeclared, on_pair_conflict_declared),
    # joint draws: from the neighbours' own topics
    Subscription.of_neighbours(InspectorRosterEntry, joint.neighbour_roster_entry),
    Subscription.of_neighbours(DrawManifestFrozen, joint.neighbour_manifest_frozen),
    Subscription.of_neighbours(DrawShareCommitted, joint.neighbour_share_committed),
    Subscription.of_neighbours(DrawCompleted, joint.neighbour_draw_completed),
    Subscription.of_neighbours(DrawCancelled, joint.neighbour_draw_cancelled),
    Subscription.of_neighbours(JointShareCommitted, joint.joint_share_committed),
    Subscription.of_neighbours(JointShareRevealed, joint.joint_share_revealed),
]
