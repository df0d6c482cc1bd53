"""In-memory doubles of the registry's repository, calendar, import job store and unit of work,
held to the same contract as the SQL ones (``test_repository_contract.py``) and type-checked
(``make lint``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from registry.adapters.repository import RegistryRepository
from registry.domain.check_items import ListVersion
from registry.service_layer.imports import ImportJobs, Registers
from registry.service_layer.unit_of_work import CalendarRecords, RegistryUnitOfWork
from spotcheck_common.clock import Clock
from spotcheck_common.db import Page
from spotcheck_common.events.calendar import CalendarYearRecorded
from spotcheck_common.events.registry import (
    CheckItem,
    EntitySnapshot,
    ExpertSnapshot,
    ExternalInspectorSnapshot,
    InspectorSnapshot,
)
from spotcheck_common.objects import ObjectKind, kind_of
from spotcheck_common.testing import FakeUnitOfWork


class FakeRegistryRepository:
    def __init__(self) -> None:
        self.entities: dict[str, EntitySnapshot] = {}
        self.inspectors: dict[str, InspectorSnapshot] = {}
        self.experts: dict[str, ExpertSnapshot] = {}
        self.external: dict[str, ExternalInspectorSnapshot] = {}
        self.conflicts: dict[tuple[str, str], str] = {}
        self.pair_conflicts: dict[tuple[str, str], str] = {}
        self.versions: list[ListVersion] = []
        self.items: dict[int, list[CheckItem]] = {}
        self.batches: list[dict[str, Any]] = []

    # -- the registers

    async def upsert_entities(
        self, rows: Sequence[EntitySnapshot], batch_id: str, now: datetime
    ) -> None:
        self.entities.update((r.uscc, r) for r in rows)

    async def upsert_inspectors(
        self, rows: Sequence[InspectorSnapshot], batch_id: str, now: datetime
    ) -> None:
        self.inspectors.update((r.inspector_id, r) for r in rows)

    async def upsert_experts(
        self, rows: Sequence[ExpertSnapshot], batch_id: str, now: datetime
    ) -> None:
        self.experts.update((r.expert_id, r) for r in rows)

    async def external_inspectors(
        self, agency: str | None = None
    ) -> list[ExternalInspectorSnapshot]:
        rows = sorted(self.external.values(), key=lambda r: (r.agency, r.agency_inspector_id))
        return [r for r in rows if not agency or r.agency == agency]

    async def upsert_external_inspectors(
        self, rows: Sequence[ExternalInspectorSnapshot], batch_id: str, now: datetime
    ) -> None:
        self.external.update((r.inspector_id, r) for r in rows)

    async def record_batch(self, **values: Any) -> None:
        self.batches.append(values)

    async def get_entity(self, code: str) -> EntitySnapshot | None:
        return self.entities.get(code)

    async def update_entity(self, entity: EntitySnapshot, now: datetime) -> None:
        if entity.uscc in self.entities:
            self.entities[entity.uscc] = entity

    async def search_entities(
        self,
        q: str | None,
        risk_class: str | None,
        status: str | None,
        limit: int,
        offset: int,
        kind: ObjectKind | None = None,
    ) -> Page[EntitySnapshot]:
        found = sorted(
            (
                e
                for e in self.entities.values()
                if (not q or q in e.name or e.uscc.startswith(q.upper()))
                and (not risk_class or e.risk_class == risk_class)
                and (not status or e.status == status)
                and (kind is None or kind_of(e.uscc) is kind)
            ),
            key=lambda e: e.uscc,
        )
        return Page(len(found), found[offset : offset + limit])

    async def count_entities(self) -> int:
        return len(self.entities)

    async def get_inspector(self, inspector_id: str) -> InspectorSnapshot | None:
        return self.inspectors.get(inspector_id)

    async def list_inspectors(self, department: str | None) -> list[InspectorSnapshot]:
        return [
            i
            for _, i in sorted(self.inspectors.items())
            if not department or i.department == department
        ]

    async def inspector_ids(self) -> set[str]:
        return set(self.inspectors)

    async def get_expert(self, expert_id: str) -> ExpertSnapshot | None:
        return self.experts.get(expert_id)

    async def list_experts(self, field: str | None = None) -> list[ExpertSnapshot]:
        return [e for _, e in sorted(self.experts.items()) if not field or e.field == field]

    async def expert_ids(self) -> set[str]:
        return set(self.experts)

    # -- conflicts of interest

    async def add_conflict(
        self, inspector_id: str, code: str, reason: str, by: str, now: datetime
    ) -> bool:
        if (inspector_id, code) in self.conflicts:
            return False
        self.conflicts[(inspector_id, code)] = reason
        return True

    async def add_pair_conflict(self, a: str, b: str, reason: str, by: str, now: datetime) -> bool:
        a, b = sorted((a, b))
        if (a, b) in self.pair_conflicts:
            return False
        self.pair_conflicts[(a, b)] = reason
        return True

    # -- the item list

    async def list_versions(self) -> list[ListVersion]:
        return sorted(self.versions, key=lambda v: v.version)

    async def add_list_version(self, version: ListVersion, items: Sequence[CheckItem]) -> None:
        self.versions.append(version)
        self.items[version.version] = list(items)

    async def check_items(self, version: int) -> list[CheckItem]:
        return list(self.items.get(version, []))


class FakeCalendar:
    """The recorded holiday schedules (one row per year and version)."""

    def __init__(self) -> None:
        self.recorded: list[CalendarYearRecorded] = []

    async def versions(self, year: int | None = None) -> list[CalendarYearRecorded]:
        return sorted(
            (e for e in self.recorded if year is None or e.year == year),
            key=lambda e: (e.year, e.schedule_version),
        )

    async def latest_version(self, year: int) -> int:
        return max((e.schedule_version for e in self.recorded if e.year == year), default=0)

    async def add(self, event: CalendarYearRecorded) -> bool:
        """False if the version is not newer than what is held."""
        if event.schedule_version <= await self.latest_version(event.year):
            return False
        self.recorded.append(event)
        return True


class FakeJobs:
    """Every call, in order: (method, import_id, values)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def last(self, method: str) -> dict[str, Any]:
        return [values for name, values in self.calls if name == method][-1]

    async def start(self, import_id: str, now: datetime) -> None:
        self.calls.append(("start", {"now": now}))

    async def opened(self, import_id: str, **values: Any) -> None:
        self.calls.append(("opened", values))

    async def progress(
        self,
        import_id: str,
        rows_read: int,
        rows_total: int | None,
        errors_total: int,
        now: datetime,
    ) -> None:
        self.calls.append(
            ("progress", {"rows_read": rows_read, "rows_total": rows_total, "now": now})
        )

    async def finish(self, import_id: str, now: datetime, **values: Any) -> None:
        self.calls.append(("finish", {"now": now, **values}))


class FakeRegistryUnitOfWork(FakeUnitOfWork):
    """The kernel's fake unit of work, carrying the fake repository and calendar."""

    def __init__(
        self,
        registry: FakeRegistryRepository | None = None,
        calendar: CalendarRecords | None = None,
        actor: str = "tester",
        clock: Clock | None = None,
    ) -> None:
        super().__init__(actor=actor, clock=clock)
        self.registry = registry or FakeRegistryRepository()
        self.calendar = calendar or FakeCalendar()


def _conforms() -> None:
    """Never called: mypy (``make lint``) checks the fakes against the protocols they stand in
    for, so a method added to one and not the other fails the lint."""
    repo: RegistryRepository = FakeRegistryRepository()
    registers: Registers = FakeRegistryRepository()
    calendar: CalendarRecords = FakeCalendar()
    jobs: ImportJobs = FakeJobs()
    uow: RegistryUnitOfWork = FakeRegistryUnitOfWork()
    del repo, registers, calendar, jobs, uow
