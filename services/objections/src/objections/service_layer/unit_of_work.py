"""What the objections use cases need of a unit of work: the kernel's, with this service's
repository (the SQL one in ``adapters.unit_of_work``, a fake in the tests)."""

from __future__ import annotations

from typing import Protocol

from objections.adapters.repository import ObjectionsRepository
from spotcheck_common.uow import UnitOfWorkPort


class ObjectionsUnitOfWork(UnitOfWorkPort, Protocol):
    @property
    def objections(self) -> ObjectionsRepository: ...
