"""The objections service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from objections.adapters import orm
from objections.adapters.unit_of_work import SqlObjectionsUnitOfWork
from objections.bootstrap import bootstrap
from objections.entrypoints import corrections, paper, routes
from objections.entrypoints.consumers import subscriptions
from objections.entrypoints.periodic import refresh
from spotcheck_common.calendar_store import refresh_coverage
from spotcheck_common.events.objections import (
    CorrectionGranted,
    CorrectionRefused,
    CorrectionRequested,
    ObjectionDeadlinesSet,
    ObjectionDecided,
    ObjectionFeedbackGiven,
    ObjectionFiled,
)
from spotcheck_common.service import ServiceDefinition

definition = ServiceDefinition(
    name="objections",
    title="异议受理、复查与更正期限",
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    routers=[routes.router, paper.router, corrections.router],
    bootstrap=bootstrap,
    unit_of_work=SqlObjectionsUnitOfWork,
    subscriptions=subscriptions,
    publishes=[
        ObjectionFiled,
        ObjectionDecided,
        ObjectionFeedbackGiven,
        ObjectionDeadlinesSet,
        CorrectionRequested,
        CorrectionGranted,
        CorrectionRefused,
    ],
    periodic=[refresh, refresh_coverage],
    # Evidence: a paper application's scan and a city reply's are written once (guarded in the
    # database, 0003, 0004).
    append_only=("objection_scans", "correction_reply_documents"),
)
