"""The registry service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from registry.adapters import orm
from registry.adapters.unit_of_work import SqlRegistryUnitOfWork
from registry.bootstrap import bootstrap
from registry.entrypoints.importer import fail_abandoned_imports
from registry.entrypoints.routes import calendar, check_items, imports, registers
from registry.entrypoints.startup import load_demo
from spotcheck_common.events.calendar import CalendarYearRecorded
from spotcheck_common.events.registry import (
    CheckItemListPublished,
    ConflictDeclared,
    EntitiesImported,
    EntityUpdated,
    ExpertsImported,
    ExternalInspectorsImported,
    InspectorPairConflictDeclared,
    InspectorsImported,
)
from spotcheck_common.service import ServiceDefinition

definition = ServiceDefinition(
    name="registry",
    title="市场主体、执法检查人员、回避名录与抽查事项清单",
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    routers=[registers.router, imports.router, check_items.router, calendar.router],
    bootstrap=bootstrap,
    unit_of_work=SqlRegistryUnitOfWork,
    publishes=[
        EntitiesImported,
        EntityUpdated,
        InspectorsImported,
        ConflictDeclared,
        CheckItemListPublished,
        ExpertsImported,
        ExternalInspectorsImported,
        InspectorPairConflictDeclared,
        CalendarYearRecorded,
    ],
    on_startup=[fail_abandoned_imports, load_demo],
)
