"""The archives service's composition root: its dependencies, built once per app, handed to
the routes through FastAPI ``Depends`` (``Deps``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, cast

from fastapi import Depends

from archives.adapters.unit_of_work import SqlArchivesUnitOfWork
from spotcheck_common.service import ServiceRuntime, dependencies_of
from spotcheck_common.uow import Context

SERVICE = "archives"


@dataclass(frozen=True)
class Archives:
    runtime: ServiceRuntime

    def uow(self, context: Context) -> SqlArchivesUnitOfWork:
        """A unit of work acting as ``context`` (reads use one too, and leave it unchanged)."""
        return cast(SqlArchivesUnitOfWork, self.runtime.uow(context))

    @property
    def district(self) -> str:
        return self.runtime.district

    def today(self) -> date:
        return self.runtime.clock.today()

    def now(self) -> datetime:
        return self.runtime.clock.now()


def bootstrap(rt: ServiceRuntime) -> Archives:
    return Archives(rt)


Deps = Annotated[Archives, Depends(dependencies_of(SERVICE))]
