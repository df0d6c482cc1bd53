"""What the archives use cases need of a unit of work: the kernel's, with this service's
repository (the SQL one in ``adapters.unit_of_work``, a fake in the tests)."""

from __future__ import annotations

from typing import Protocol

from archives.adapters.repository import ArchiveRepository
from spotcheck_common.uow import UnitOfWorkPort


class ArchivesUnitOfWork(UnitOfWorkPort, Protocol):
    @property
    def archives(self) -> ArchiveRepository: ...
