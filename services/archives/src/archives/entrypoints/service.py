"""The archives service as the runner sees it."""

from __future__ import annotations

from pathlib import Path

from archives.adapters import orm
from archives.entrypoints.api import build_router
from archives.entrypoints.background import refresh_gauges
from archives.entrypoints.consumers import subscriptions
from spotcheck_common.calendar_store import refresh_coverage
from spotcheck_common.service import ServiceDefinition

definition = ServiceDefinition(
    name="archives",
    title="抽查档案（每个任务一卷，哈希链防篡改，长期保存）",
    metadata=orm.metadata,
    migrations=Path(__file__).resolve().parent.parent / "adapters" / "migrations",
    build_router=build_router,
    subscriptions=subscriptions(),
    periodic=[refresh_gauges, refresh_coverage],
)
