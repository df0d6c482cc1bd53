"""What the planning use cases need of a unit of work: the kernel's, with this service's
repositories (the SQL ones in ``adapters.unit_of_work``, fakes in the tests)."""

from __future__ import annotations

from typing import Protocol

from planning.adapters.repository import ItemListRepository, PlanRepository, TaskRepository
from spotcheck_common.uow import UnitOfWorkPort


class PlanningUnitOfWork(UnitOfWorkPort, Protocol):
    @property
    def tasks(self) -> TaskRepository: ...

    @property
    def plans(self) -> PlanRepository: ...

    @property
    def item_lists(self) -> ItemListRepository: ...
