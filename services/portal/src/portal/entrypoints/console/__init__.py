"""The staff console (工作台): signed in, one module per workflow."""

from __future__ import annotations

from portal.entrypoints.console import (
    corrections,
    dossiers,
    draws,
    exemptions,
    inspections,
    joint,
    joint_inspections,
    not_inspected,
    objections,
    plans,
    publication,
    registry,
    session,
    statistics,
    tasks,
)

ROUTERS = [
    session.router,
    registry.router,
    plans.router,
    tasks.router,
    draws.router,
    joint.router,
    inspections.router,
    joint_inspections.router,
    publication.router,
    objections.router,
    corrections.router,
    dossiers.router,
    statistics.router,
    not_inspected.router,
    exemptions.router,
]
