"""What the inspections use cases need of a unit of work: the kernel's, with this service's
repository (the SQL one in ``adapters.unit_of_work``, a fake in the tests)."""

from __future__ import annotations

from typing import Protocol

from inspections.adapters.repository import InspectionRepository
from spotcheck_common.uow import UnitOfWorkPort


class InspectionsUnitOfWork(UnitOfWorkPort, Protocol):
    @property
    def inspections(self) -> InspectionRepository: ...
