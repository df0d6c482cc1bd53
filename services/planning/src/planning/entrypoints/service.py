"""The planning service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from planning.adapters import orm
from planning.adapters.unit_of_work import SqlPlanningUnitOfWork
from planning.bootstrap import bootstrap
from planning.entrypoints.consumers import subscriptions
from planning.entrypoints.routes import plans, tasks
from spotcheck_common.events.planning import (
    AnnualPlanPublished,
    TaskApproved,
    TaskDrafted,
    TaskPublished,
)
from spotcheck_common.service import ServiceDefinition

definition = ServiceDefinition(
    name="planning",
    title="年度抽查计划与抽查任务（实施方案）",
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    routers=[tasks.router, plans.router],
    bootstrap=bootstrap,
    unit_of_work=SqlPlanningUnitOfWork,
    subscriptions=subscriptions,
    publishes=[TaskDrafted, TaskApproved, TaskPublished, AnnualPlanPublished],
    append_only=("plan_transitions",),
)
