"""Reads of the registry (the query side): the registers, the item list, import jobs and the
working-day calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from registry.domain import calendar, check_items
from registry.domain.check_items import ListVersion
from registry.service_layer.unit_of_work import RegistryUnitOfWork
from spotcheck_common.db import Page
from spotcheck_common.errors import NotFound
from spotcheck_common.events.registry import (
    CheckItem,
    EntitySnapshot,
    ExpertSnapshot,
    ExternalInspectorSnapshot,
    InspectorSnapshot,
)
from spotcheck_common.objects import ObjectKind


async def entity(uow: RegistryUnitOfWork, uscc: str) -> EntitySnapshot:
    found = await uow.registry.get_entity(uscc.upper())
    if found is None:
        raise NotFound(f"检查对象 {uscc} 不存在")
    return found


async def entities(
    uow: RegistryUnitOfWork,
    q: str | None,
    risk_class: str | None,
    status: str | None,
    limit: int,
    offset: int,
    kind: ObjectKind | None = None,
) -> Page[EntitySnapshot]:
    return await uow.registry.search_entities(q, risk_class, status, limit, offset, kind)


async def inspectors(uow: RegistryUnitOfWork, department: str | None) -> list[InspectorSnapshot]:
    return await uow.registry.list_inspectors(department)


async def external_inspectors(
    uow: RegistryUnitOfWork, agency: str | None
) -> list[ExternalInspectorSnapshot]:
    return await uow.registry.external_inspectors(agency)


async def experts(uow: RegistryUnitOfWork, field: str | None) -> list[ExpertSnapshot]:
    return await uow.registry.list_experts(field)


async def list_versions(uow: RegistryUnitOfWork) -> list[ListVersion]:
    return await uow.registry.list_versions()


@dataclass(frozen=True)
class ItemList:
    """One version of the item list, its items, and every version (for its status)."""

    version: ListVersion
    versions: list[ListVersion]
    items: list[CheckItem]


async def item_list(uow: RegistryUnitOfWork, version: int | None, today: date) -> ItemList:
    """The version in force ``today`` (404 when none is), or version ``version``."""
    versions = await uow.registry.list_versions()
    if version is None:
        chosen = check_items.current(versions, today)
        if chosen is None:
            raise NotFound("尚无生效的抽查事项清单")
    else:
        found = [v for v in versions if v.version == version]
        if not found:
            raise NotFound(f"抽查事项清单第 {version} 版不存在")
        chosen = found[0]
    return ItemList(chosen, versions, await uow.registry.check_items(chosen.version))


async def calendar_year(uow: RegistryUnitOfWork, year: int) -> dict[str, Any]:
    """A year's schedule in force, its source and every recorded version."""
    return calendar.view(year, await uow.calendar.versions(year))


async def calendar_years(uow: RegistryUnitOfWork, today: date) -> dict[str, Any]:
    """Which years are covered, and by what."""
    return calendar.overview(today, await uow.calendar.versions())


class ImportJobRows(Protocol):
    async def get(self, import_id: str) -> dict[str, Any] | None: ...

    async def recent(self, limit: int = 50) -> list[dict[str, Any]]: ...


async def import_job(jobs: ImportJobRows, import_id: str) -> dict[str, Any]:
    """An import job's row (jobs are kept in short transactions of their own)."""
    row = await jobs.get(import_id)
    if row is None:
        raise NotFound(f"导入任务 {import_id} 不存在")
    return row


async def import_jobs(jobs: ImportJobRows, limit: int) -> list[dict[str, Any]]:
    return await jobs.recent(limit)
