"""The registry service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from registry.adapters import demo, orm
from registry.adapters.repository import SqlRegistryRepository
from registry.entrypoints import api, calendar_api
from registry.service_layer import services
from spotcheck_common.events.calendar import CalendarYearRecorded
from spotcheck_common.events.registry import (
    CheckItemListPublished,
    ConflictDeclared,
    EntitiesImported,
    EntityUpdated,
    ExpertsImported,
    InspectorPairConflictDeclared,
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
        if not await repo.list_versions():
            await services.import_check_items(
                uow,
                repo,
                demo.demo_check_items(),
                "demo-check-items.csv",
                reason="演示：临港区市场监管局随机抽查事项清单",
                effective_from=demo.DEMO_LIST_EFFECTIVE_FROM,
            )
    async with rt.uow(Context(actor="demo-loader")) as uow:
        repo = SqlRegistryRepository(uow.session, rt.db.postgres)
        if await repo.count_entities():
            return
        await services.import_entities(uow, repo, demo.demo_entities(), "demo-entities.csv")
    async with rt.uow(Context(actor="demo-loader")) as uow:
        repo = SqlRegistryRepository(uow.session, rt.db.postgres)
        await services.import_inspectors(uow, repo, demo.demo_inspectors(), "demo-inspectors.csv")
    async with rt.uow(Context(actor="demo-loader")) as uow:
        repo = SqlRegistryRepository(uow.session, rt.db.postgres)
        if not await repo.expert_ids():
            await services.import_experts(uow, repo, demo.demo_experts(), "demo-experts.csv")


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter()
    router.include_router(api.build_router(rt))
    router.include_router(calendar_api.build_router(rt))
    return router


definition = ServiceDefinition(
    name="registry",
    title="市场主体、执法检查人员、回避名录与抽查事项清单",
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    build_router=build_router,
    publishes=[
        EntitiesImported,
        EntityUpdated,
        InspectorsImported,
        ConflictDeclared,
        CheckItemListPublished,
        ExpertsImported,
        InspectorPairConflictDeclared,
        CalendarYearRecorded,
    ],
    on_startup=[load_demo],
)
