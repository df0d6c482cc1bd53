"""What the draws use cases and views need of a unit of work: the kernel's, with this service's
repositories (the SQL ones in ``adapters``, fakes in the tests)."""

from __future__ import annotations

from typing import Protocol

from draws.adapters.ledger import LedgerRepository
from draws.adapters.repository import DrawsRepository
from spotcheck_common.uow import UnitOfWorkPort


class DrawsUnitOfWork(UnitOfWorkPort, Protocol):
    @property
    def draws(self) -> DrawsRepository: ...

    @property
    def ledger(self) -> LedgerRepository: ...
