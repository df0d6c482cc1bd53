"""A fold that fails is counted and parked, never dropped; a fixed fold takes it later (the
event delivered again, or the operator's refold), and the parked folds are read over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY

from archives.domain import folds
from archives.domain.accountability import TASK
from archives.domain.folds import Fold, Folding
from archives.entrypoints import consumers
from archives.service_layer import accountability, views
from spotcheck_common.bus import InProcessBus
from spotcheck_common.clock import FixedClock
from spotcheck_common.events import Envelope, Event
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_NOW, TEST_SECRET, auth_headers

from .fakes import FakeArchivesUnitOfWork

APPROVED = "planning.task-approved"


def parked_count(event_type: str = APPROVED) -> float:
    value = REGISTRY.get_sample_value(
        "spotcheck_archives_folds_parked_total", {"event_type": event_type}
    )
    return value or 0.0


@pytest.fixture
def broken_fold() -> Iterator[Callable[[bool], None]]:
    """Break (True) or fix (False) the fold of ``TaskApproved``, as a bug and its fix would."""
    real = folds.FOLDS[TaskApproved]

    def fail(event: TaskApproved, folding: Folding) -> None:
        folding.fact(TASK, event.task_id).data["half"] = "written"  # then fails: undone
        raise KeyError("lead_department")

    def set_broken(broken: bool) -> None:
        folds.FOLDS[TaskApproved] = Fold(real.keys, fail) if broken else real

    yield set_broken
    folds.FOLDS[TaskApproved] = real


async def test_a_poisoned_event_is_parked_and_counted_and_folds_when_delivered_after_the_fix(
    task_cycle: Callable[[str], list[Event]],
    envelope: Callable[..., Envelope[Any]],
    broken_fold: Callable[[bool], None],
) -> None:
    uow = FakeArchivesUnitOfWork()
    approved = task_cycle("T1")[0]
    env = envelope(approved)
    before = parked_count()

    broken_fold(True)
    await consumers.file_event(approved, env, uow)
    # Filed in the dossier all the same; no fact half-written; parked whole, and counted.
    assert (await uow.archives.get_dossier("T1")).entry_count == 1  # type: ignore[union-attr]
    assert await uow.archives.get_facts([(TASK, "T1")]) == {}
    page = await views.parked_folds(uow, 10, 0)
    assert page.total == 1
    (parked,) = page.items
    assert parked.event_id == env.event_id and parked.event_type == APPROVED
    assert parked.envelope == env.model_dump(mode="json")  # the payload, nothing lost
    assert parked.error == "KeyError: 'lead_department'" and parked.attempts == 1
    assert parked_count() == before + 1

    # Delivered again while still broken: parked once more (one row, two attempts), counted.
    await consumers.file_event(approved, env, uow)
    assert [p.attempts for p in (await views.parked_folds(uow, 10, 0)).items] == [2]
    assert parked_count() == before + 2
    assert (await uow.archives.get_dossier("T1")).entry_count == 1  # type: ignore[union-attr]

    # Fixed, then delivered again: it folds, and is no longer parked.
    broken_fold(False)
    await consumers.file_event(approved, env, uow)
    facts = await uow.archives.get_facts([(TASK, "T1")])
    assert facts[(TASK, "T1")].data["approved"] is True
    assert "half" not in facts[(TASK, "T1")].data
    assert (await views.parked_folds(uow, 10, 0)).total == 0
    assert parked_count() == before + 2
    assert (await uow.archives.get_dossier("T1")).entry_count == 1  # type: ignore[union-attr]


async def test_a_payload_that_does_not_fit_its_schema_is_parked_and_refolded_once_fixed(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    uow = FakeArchivesUnitOfWork()
    document = envelope(task_cycle("T2")[0]).model_dump(mode="json")
    poisoned = {**document, "payload": {**document["payload"], "deadline": "not a date"}}
    before = parked_count()

    assert await accountability.fold(uow, poisoned, uow.clock.now()) is False
    (parked,) = (await views.parked_folds(uow, 10, 0)).items
    assert parked.error.startswith("ValidationError") and "deadline" in parked.error
    assert parked_count() == before + 1
    assert await uow.archives.get_facts([(TASK, "T2")]) == {}

    # Refolding changes nothing while the payload still does not fit; counted again.
    refolded = await accountability.refold_parked(uow, 100)
    assert (refolded.refolded, refolded.still_parked) == (0, 1)
    assert parked_count() == before + 2

    # The stored envelope repaired (as an operator would, from the producer's corrected
    # event): the refold takes it.
    uow.archives.parked_rows[parked.event_id] = type(parked)(
        **{**parked.__dict__, "envelope": document}
    )
    refolded = await accountability.refold_parked(uow, 100)
    assert (refolded.refolded, refolded.still_parked) == (1, 0) and uow.committed
    assert (await uow.archives.get_facts([(TASK, "T2")]))[(TASK, "T2")].data["approved"]
    assert (await views.parked_folds(uow, 10, 0)).total == 0


async def test_parked_folds_over_http_on_sqlite(
    tmp_path: Path,
    task_cycle: Callable[[str], list[Event]],
    envelope: Callable[..., Envelope[Any]],
    broken_fold: Callable[[bool], None],
) -> None:
    bus = InProcessBus()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/archives.db", auth_secret=TEST_SECRET
    )
    auditor = auth_headers("audit", "general_office", district=settings.district)
    inspector = auth_headers("i1", "inspector", district=settings.district)
    reader = auth_headers("reader", "credit_dept", district=settings.district)
    (rt,) = build_runtimes([load("archives")], settings, bus=bus, clock=FixedClock(TEST_NOW))
    app = build_app([rt], title="archives")
    before = parked_count()
    async with LifespanManager(app):
        broken_fold(True)
        approved = task_cycle("T3")[0]
        env = envelope(approved)
        await bus.publish(approved.topic(settings.district), "T3", env.to_bytes(), {})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            url = "/api/archives/parked-folds"
            assert (await client.get(url)).status_code == 401
            assert (await client.get(url, headers=inspector)).status_code == 403
            body = (await client.get(url, headers=auditor)).json()
            assert body["total"] == 1
            (item,) = body["items"]
            assert item["event_id"] == env.event_id and item["event_type"] == APPROVED
            assert item["error"] == "KeyError: 'lead_department'" and item["attempts"] == 1
            assert item["envelope"]["payload"]["task_id"] == "T3"
            assert parked_count() == before + 1
            dossier = (await client.get("/api/archives/dossiers/T3", headers=reader)).json()
            assert dossier["dossier"]["entry_count"] == 1

            broken_fold(False)
            refold = await client.post(f"{url}/refold", headers=auditor)
            assert refold.status_code == 200, refold.text
            assert refold.json() == {"refolded": 1, "still_parked": 0}
            assert (await client.get(url, headers=auditor)).json() == {"total": 0, "items": []}
            stats = await client.get(
                "/api/archives/statistics", headers=reader, params={"year": 2026}
            )
            assert [t["task_id"] for t in stats.json()["tasks"]] == ["T3"]
