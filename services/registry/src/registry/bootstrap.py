"""The registry's composition root: its dependencies, built once per app, handed to the routes
through FastAPI ``Depends`` (``Deps``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, cast

from fastapi import Depends

from registry.adapters.unit_of_work import SqlRegistryUnitOfWork
from registry.entrypoints.importer import Importer
from spotcheck_common.service import ServiceRuntime, dependencies_of
from spotcheck_common.settings import Settings
from spotcheck_common.uow import Context

SERVICE = "registry"


@dataclass(frozen=True)
class Registry:
    runtime: ServiceRuntime
    importer: Importer  # the import jobs of this app

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def uow(self, context: Context) -> SqlRegistryUnitOfWork:
        """A unit of work acting as ``context`` (reads use one too, and leave it unchanged)."""
        return cast(SqlRegistryUnitOfWork, self.runtime.uow(context))

    def today(self) -> date:
        return self.runtime.clock.today()


def bootstrap(rt: ServiceRuntime) -> Registry:
    return Registry(rt, Importer(rt))


Deps = Annotated[Registry, Depends(dependencies_of(SERVICE))]
