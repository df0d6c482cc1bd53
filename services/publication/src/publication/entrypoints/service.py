"""The publication service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from publication.adapters import orm
from publication.entrypoints.api import build_router
from publication.entrypoints.consumers import subscriptions
from spotcheck_common.events.publication import ResultCorrected, ResultPublished
from spotcheck_common.service import ServiceDefinition

definition = ServiceDefinition(
    name="publication",
    title="检查结果公示与更正",
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    build_router=build_router,
    subscriptions=subscriptions,
    publishes=[ResultPublished, ResultCorrected],
)
