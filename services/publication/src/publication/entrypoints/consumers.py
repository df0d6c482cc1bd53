"""Event handlers of the publication service (run inside the idempotent consumer)."""

from __future__ import annotations

from typing import Any

from publication.adapters.repository import SqlPublicationRepository
from publication.service_layer import services
from spotcheck_common.consumer import Subscription
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.inspections import InspectionSubmitted
from spotcheck_common.events.objections import ObjectionDecided
from spotcheck_common.uow import UnitOfWork


async def on_inspection_submitted(
    event: InspectionSubmitted, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.publish_inspection(uow, SqlPublicationRepository(uow.session), event)


async def on_objection_decided(
    event: ObjectionDecided, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.correct_from_objection(uow, SqlPublicationRepository(uow.session), event)


subscriptions = [
    Subscription(InspectionSubmitted, on_inspection_submitted),
    Subscription(ObjectionDecided, on_objection_decided),
]
