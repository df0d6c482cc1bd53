"""The registry service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from registry.adapters import demo, orm
from registry.adapters.repository import SqlRegistryRepository
from registry.entrypoints.api import build_router
from registry.service_layer import services
from spotcheck_common.events.registry import (
    ConflictDeclared,
    EntitiesImported,
    EntityUpdated,
    InspectorsImported,
)
from spotcheck_common.service import ServiceDefinition, ServiceRuntime
from spotcheck_common.uow import Context


async def load_demo(rt: ServiceRuntime) -> None:
    """With SPOTCHECK_DEMO=true, load the demo district once (an empty registry only)."""
    if not rt.settings.demo:
        return
    async with rt.uow(Context(actor="demo-loader")) as uow:
        repo = SqlRegistryRepository(uow.session, rt.db.postgres)
        if await repo.count_entities():
            return
        await services.import_entities(uow, repo, demo.demo_entities(), "demo-entities.csv")
    async with rt.uow(Context(actor="demo-loader")) as uow:
        repo = SqlRegistryRepository(uow.session, rt.db.postgres)
        await services.import_inspectors(uow, repo, demo.demo_inspectors(), "demo-inspectors.csv")


definition = ServiceDefinition(
    name="registry",
    title="市场主体、执法检查人员与回避名录",
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    build_router=build_router,
    publishes=[EntitiesImported, EntityUpdated, InspectorsImported, ConflictDeclared],
    on_startup=[load_demo],
)
