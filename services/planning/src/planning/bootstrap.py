"""The planning service's composition root: its dependencies, built once per app, handed to
the routes through FastAPI ``Depends`` (``Deps``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, cast

from fastapi import Depends

from planning.adapters.unit_of_work import SqlPlanningUnitOfWork
from planning.settings import PlanningSettings
from spotcheck_common.events.types import RiskClass
from spotcheck_common.service import ServiceRuntime, dependencies_of
from spotcheck_common.uow import Context

SERVICE = "planning"


@dataclass
class Planning:
    runtime: ServiceRuntime
    # 第五条: how often a year an entity of each risk class may be drawn
    # (SPOTCHECK_PLANNING_YEARLY_CAP, read once per app); a test may replace it.
    yearly_caps: dict[RiskClass, int]

    def uow(self, context: Context) -> SqlPlanningUnitOfWork:
        """A unit of work acting as ``context`` (reads use one too, and leave it unchanged)."""
        return cast(SqlPlanningUnitOfWork, self.runtime.uow(context))

    def today(self) -> date:
        return self.runtime.clock.today()

    @property
    def neighbours(self) -> frozenset[str]:
        """Districts whose inspectors a joint draw here may hold: no agency is named so."""
        return frozenset(self.runtime.settings.neighbour_districts)


def bootstrap(rt: ServiceRuntime) -> Planning:
    return Planning(rt, PlanningSettings().caps())


Deps = Annotated[Planning, Depends(dependencies_of(SERVICE))]
