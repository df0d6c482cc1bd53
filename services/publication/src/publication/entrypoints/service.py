"""The publication service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from publication.adapters import orm
from publication.entrypoints.api import build_router
from publication.entrypoints.consumers import subscriptions
from publication.entrypoints.overdue import refresh
from spotcheck_common.calendar_store import refresh_coverage
from spotcheck_common.events.publication import (
    PublishDueSet,
    ResultCorrected,
    ResultPublished,
    ResultWithheld,
)
from spotcheck_common.service import ServiceDefinition

definition = ServiceDefinition(
    name="publication",
    title="公示：抽查计划、抽查任务、检查结果与更正",
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    build_router=build_router,
    subscriptions=subscriptions,
    publishes=[ResultPublished, ResultCorrected, ResultWithheld, PublishDueSet],
    periodic=[refresh, refresh_coverage],
)
