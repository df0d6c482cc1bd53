"""The publication service's periodic work (run by the runtime): the publication deadline as a
Prometheus gauge, ``spotcheck_overdue_items`` with
``kind="result_publication"`` and the responsible (lead) department.

A result is overdue when it was first published after its ``publish_due_on`` (20 working days
after it was formed, 第九条). The gauge is the count of such results per department. It is
refreshed by the runtime's periodic work (``Settings.periodic_interval_s``), so an alert sees a
late result within a minute; a read never writes it. The
metric object is shared (``spotcheck_common.metrics.OVERDUE_ITEMS``): this module sets only its
own kind's series; a series once set drops to 0 (not absent) when nothing is overdue any more.
The same pass counts deadlines pending a year's holiday schedule
(``spotcheck_deadlines_pending_calendar``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import cast

from publication.adapters.unit_of_work import SqlPublicationUnitOfWork
from publication.domain.model import ResultRecord
from spotcheck_common.calendar_store import set_pending_gauge
from spotcheck_common.metrics import OVERDUE_ITEMS
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.uow import Context

KIND = "result_publication"
UNASSIGNED = "未指定"

_series: set[str] = set()


def set_gauge(records: Iterable[ResultRecord]) -> dict[str, int]:
    """Set one series per department with overdue results; a department that has none any
    more keeps its series at 0 (only this kind's series are touched)."""
    counts = Counter(r.lead_department or UNASSIGNED for r in records)
    for department in _series - set(counts):  # no longer overdue: 0, not absent
        OVERDUE_ITEMS.labels(source="publication", kind=KIND, department=department).set(0)
    for department, n in counts.items():
        OVERDUE_ITEMS.labels(source="publication", kind=KIND, department=department).set(n)
    _series.update(counts)
    return dict(counts)


async def refresh(rt: ServiceRuntime) -> dict[str, int]:
    """Periodic hook: late results per department, and deadlines pending a calendar year."""
    async with rt.uow(Context(actor="periodic")) as uow:
        repo = cast(SqlPublicationUnitOfWork, uow).publication
        records = await repo.late_records()
        pending = await repo.pending_deadlines()
    set_pending_gauge("publication", {KIND: pending}, [KIND])
    return set_gauge(records)
