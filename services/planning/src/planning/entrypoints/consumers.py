"""Event handlers: planning's read model of registry's item list (for the coverage check).

Each runs inside the idempotent consumer's transaction (already claimed); none commits.
"""

from __future__ import annotations

from typing import Any, cast

from planning.adapters.unit_of_work import SqlPlanningUnitOfWork
from planning.service_layer import services
from spotcheck_common.consumer import Subscription
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.registry import CheckItemListPublished
from spotcheck_common.uow import UnitOfWork


async def on_check_item_list_published(
    event: CheckItemListPublished, envelope: Envelope[Any], uow: UnitOfWork
) -> None:
    await services.item_list_published(cast(SqlPlanningUnitOfWork, uow), event)


subscriptions = [Subscription(CheckItemListPublished, on_check_item_list_published)]
