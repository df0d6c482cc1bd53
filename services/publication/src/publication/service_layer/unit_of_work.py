"""What the publication use cases and views need of a unit of work: the kernel's, with this
service's repository (the SQL one in ``adapters.unit_of_work``, a fake in the tests)."""

from __future__ import annotations

from typing import Protocol

from publication.adapters.repository import PublicationRepository
from spotcheck_common.uow import UnitOfWorkPort


class PublicationUnitOfWork(UnitOfWorkPort, Protocol):
    @property
    def publication(self) -> PublicationRepository: ...
