"""The inspections service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from inspections.adapters import orm
from inspections.entrypoints.api import build_router
from inspections.entrypoints.consumers import subscriptions
from spotcheck_common.events.inspections import InspectionSubmitted
from spotcheck_common.service import ServiceDefinition

definition = ServiceDefinition(
    name="inspections",
    title="检查实施：检查记录表、检查结果、签名与提交",
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    build_router=build_router,
    subscriptions=subscriptions,
    publishes=[InspectionSubmitted],
)
