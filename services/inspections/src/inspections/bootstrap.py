"""The inspections service's composition root: its dependencies, built once per app, handed to
the routes through FastAPI ``Depends`` (``Deps``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, cast

from fastapi import Depends

from inspections.adapters.unit_of_work import SqlInspectionsUnitOfWork
from inspections.service_layer.config import InspectionsSettings, get_inspections_settings
from spotcheck_common.service import ServiceRuntime, dependencies_of
from spotcheck_common.uow import Context

SERVICE = "inspections"


@dataclass(frozen=True)
class Inspections:
    runtime: ServiceRuntime

    def uow(self, context: Context) -> SqlInspectionsUnitOfWork:
        """A unit of work acting as ``context`` (reads use one too, and leave it unchanged)."""
        return cast(SqlInspectionsUnitOfWork, self.runtime.uow(context))

    @property
    def district(self) -> str:
        return self.runtime.district

    def today(self) -> date:
        return self.runtime.clock.today()

    @property
    def settings(self) -> InspectionsSettings:
        """The service's own settings (environment ``SPOTCHECK_INSPECTIONS_*``)."""
        return get_inspections_settings()


def bootstrap(rt: ServiceRuntime) -> Inspections:
    return Inspections(rt)


Deps = Annotated[Inspections, Depends(dependencies_of(SERVICE))]
