"""The objections service's composition root: its dependencies, built once per app, handed to
the routes through FastAPI ``Depends`` (``Deps``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, cast

from fastapi import Depends

from objections.adapters.unit_of_work import SqlObjectionsUnitOfWork
from objections.service_layer.config import ObjectionsSettings, get_objections_settings
from spotcheck_common.service import ServiceRuntime, dependencies_of
from spotcheck_common.uow import Context

SERVICE = "objections"


@dataclass(frozen=True)
class Objections:
    runtime: ServiceRuntime

    def uow(self, context: Context) -> SqlObjectionsUnitOfWork:
        """A unit of work acting as ``context`` (reads use one too, and leave it unchanged)."""
        return cast(SqlObjectionsUnitOfWork, self.runtime.uow(context))

    def today(self) -> date:
        return self.runtime.clock.today()

    @property
    def settings(self) -> ObjectionsSettings:
        """The service's own settings (environment ``SPOTCHECK_OBJECTIONS_*``)."""
        return get_objections_settings()


def bootstrap(rt: ServiceRuntime) -> Objections:
    return Objections(rt)


Deps = Annotated[Objections, Depends(dependencies_of(SERVICE))]
