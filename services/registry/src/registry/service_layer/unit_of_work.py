"""What the registry's use cases need of a unit of work: the kernel's (with events whose
payloads are JSON already, for the imports), this service's repository and its copy of the
calendar (the SQL ones in ``adapters.unit_of_work``, fakes in the tests)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from registry.adapters.repository import RegistryRepository
from spotcheck_common.events.calendar import CalendarYearRecorded
from spotcheck_common.events.envelope import Event
from spotcheck_common.uow import UnitOfWorkPort


class CalendarRecords(Protocol):
    """The recorded holiday schedules (``spotcheck_common.calendar_store.CalendarStore``)."""

    async def versions(self, year: int | None = None) -> list[CalendarYearRecorded]: ...

    async def latest_version(self, year: int) -> int: ...

    async def add(self, event: CalendarYearRecorded) -> bool: ...


class RegistryUnitOfWork(UnitOfWorkPort, Protocol):
    async def emit_json(
        self, event: type[Event], payloads: Sequence[tuple[str, str]], district: str | None = None
    ) -> None: ...

    @property
    def registry(self) -> RegistryRepository: ...

    @property
    def calendar(self) -> CalendarRecords: ...
