"""The draws service's composition root: its dependencies, built once per app, handed to the
routes through FastAPI ``Depends`` (``Deps``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends

from draws.adapters.snapshot import SnapshotStore
from draws.adapters.unit_of_work import SqlDrawsUnitOfWork
from spotcheck_common.service import ServiceRuntime, dependencies_of
from spotcheck_common.uow import Context

SERVICE = "draws"
PUBLIC = Context(actor="public")
"""Who reads the public pages (no token): reads only, nothing is written as them."""


@dataclass(frozen=True)
class Draws:
    runtime: ServiceRuntime
    snapshots: SnapshotStore
    """The columnar population snapshot, brought up to date from the events at each draw."""

    @property
    def district(self) -> str:
        return self.runtime.district

    @property
    def neighbours(self) -> list[str]:
        """The neighbouring districts whose inspectors a joint draw may use."""
        return list(self.runtime.settings.neighbour_districts)

    def uow(self, context: Context) -> SqlDrawsUnitOfWork:
        """A unit of work acting as ``context`` (reads use one too, and leave it unchanged)."""
        return cast(SqlDrawsUnitOfWork, self.runtime.uow(context))


def bootstrap(rt: ServiceRuntime) -> Draws:
    return Draws(rt, SnapshotStore(rt.settings.data_dir / f"{rt.district}-draws-snapshot"))


Deps = Annotated[Draws, Depends(dependencies_of(SERVICE))]
