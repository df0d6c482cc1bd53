"""The registry service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from registry.adapters import demo, files, orm
from registry.adapters.repository import SqlRegistryRepository
from registry.entrypoints import api, calendar_api
from registry.entrypoints.imports_api import fail_abandoned_imports, importer
from registry.service_layer import imports
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


async def _demo_import(
    rt: ServiceRuntime,
    kind: str,
    data: bytes,
    filename: str,
    params: imports.ImportParams | None = None,
) -> None:
    imp = importer(rt)
    spooled = files.spool_bytes(data, imp.spool_dir)
    task = await imp.start(
        Context(actor="demo-loader"), kind, spooled, filename, params or imports.ImportParams()
    )
    await task


async def load_demo(rt: ServiceRuntime) -> None:
    """With SPOTCHECK_DEMO=true, load the demo district once (an empty registry only), through
    the same import jobs as an upload."""
    if not rt.settings.demo:
        return
    async with rt.db.sessions() as session:
        repo = SqlRegistryRepository(session, rt.db.postgres)
        has_list = bool(await repo.list_versions())
        has_entities = bool(await repo.count_entities())
        has_experts = bool(await repo.expert_ids())
    if not has_list:
        await _demo_import(
            rt,
            "check-items",
            demo.demo_check_items(),
            "demo-check-items.csv",
            imports.ImportParams(
                reason="演示：临港区市场监管局随机抽查事项清单",
                effective_from=demo.DEMO_LIST_EFFECTIVE_FROM,
            ),
        )
    if has_entities:
        return
    await _demo_import(rt, "entities", demo.demo_entities(), "demo-entities.csv")
    await _demo_import(rt, "inspectors", demo.demo_inspectors(), "demo-inspectors.csv")
    if not has_experts:
        await _demo_import(rt, "experts", demo.demo_experts(), "demo-experts.csv")


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
    on_startup=[fail_abandoned_imports, load_demo],
)
