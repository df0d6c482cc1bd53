"""Event handlers: every event of a task goes into the task's dossier."""

from __future__ import annotations

from typing import Any

import spotcheck_common.events  # noqa: F401  (imports every schema module: registers the events)
from archives.adapters.repository import SqlArchiveRepository
from archives.service_layer import services
from spotcheck_common.consumer import Subscription
from spotcheck_common.events import Event, registered_events
from spotcheck_common.events.envelope import Envelope, utcnow
from spotcheck_common.uow import UnitOfWork

SERVICE = "archives"


def archived_events() -> list[type[Event]]:
    """Every registered event type whose payload names a task (a ``task_id`` field).

    Read from the schema registry when the definition is built, so an event another service
    adds later is filed without a change here.
    """
    return [
        cls
        for cls in registered_events()
        if "task_id" in cls.model_fields and cls.service != SERVICE
    ]


async def file_event(event: Event, envelope: Envelope[Any], uow: UnitOfWork) -> None:
    """File the whole envelope. Runs in the idempotent consumer's transaction; no commit."""
    repo = SqlArchiveRepository(uow.session, uow.db.postgres)
    await services.file_event(repo, envelope.model_dump(mode="json"), utcnow())


def subscriptions() -> list[Subscription]:
    return [Subscription(cls, file_event, name="file_event") for cls in archived_events()]
