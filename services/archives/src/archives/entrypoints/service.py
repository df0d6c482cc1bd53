"""The archives service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from archives.adapters import orm
from archives.adapters.unit_of_work import SqlArchivesUnitOfWork
from archives.bootstrap import bootstrap
from archives.entrypoints.consumers import subscriptions
from archives.entrypoints.periodic import refresh_gauges
from archives.entrypoints.routes import (
    accountability,
    dossiers,
    exemptions,
    parked_folds,
    plans,
)
from spotcheck_common.calendar_store import refresh_coverage
from spotcheck_common.service import ServiceDefinition

definition = ServiceDefinition(
    name="archives",
    title="抽查档案（每个任务一卷，哈希链防篡改，长期保存）",
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    routers=[
        dossiers.router,
        plans.router,
        accountability.router,
        exemptions.router,
        parked_folds.router,
    ],
    bootstrap=bootstrap,
    unit_of_work=SqlArchivesUnitOfWork,
    subscriptions=subscriptions(),
    periodic=[refresh_gauges, refresh_coverage],
    append_only=(
        "dossier_entries",
        "plan_versions",
        "dossier_plan_links",
        "joint_draws",
        "exemption_evidence",
        "exemption_proposals",
        "exemption_decisions",
    ),
)
