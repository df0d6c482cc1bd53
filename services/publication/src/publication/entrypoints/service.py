"""The publication service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from publication.adapters import orm
from publication.adapters.unit_of_work import SqlPublicationUnitOfWork
from publication.bootstrap import bootstrap
from publication.entrypoints.consumers import subscriptions
from publication.entrypoints.periodic import refresh
from publication.entrypoints.routes import plans, results, staff, tasks
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
    routers=[results.public, plans.router, tasks.router, staff.router],
    bootstrap=bootstrap,
    fronts=[results.KeptAnswersFirst],
    unit_of_work=SqlPublicationUnitOfWork,
    subscriptions=subscriptions,
    publishes=[ResultPublished, ResultCorrected, ResultWithheld, PublishDueSet],
    periodic=[refresh, refresh_coverage],
    append_only=(
        "result_versions",
        "result_version_categories",
        "withheld_results",
        "published_plans",
    ),
)
