"""Archives subscribes to every event that names a task, including ones added later."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from archives.entrypoints import consumers
from spotcheck_common.events import Event, envelope

TODAY = {
    "planning.task-approved",
    "draws.draw-completed",
    "inspections.inspection-submitted",
    "publication.result-published",
    "publication.result-corrected",
    "objections.objection-filed",
    "objections.objection-decided",
}


def test_every_task_event_of_today_is_subscribed() -> None:
    subscribed = {s.event.event_type() for s in consumers.subscriptions()}
    assert subscribed >= TODAY
    assert not any(t.startswith("registry.") for t in subscribed)  # no task_id in those
    assert len({s.consumer_name for s in consumers.subscriptions()}) == 1


def test_definition_subscribes_as_built() -> None:
    from archives.entrypoints.service import definition

    assert {s.event for s in definition.subscriptions} == set(consumers.archived_events())


@pytest.fixture
def later_event() -> Iterator[type[Event]]:
    class CountersignRecorded(Event):
        """Stands for an event another engineer adds later."""

        service = "archivestest"
        name = "countersign-recorded"

        task_id: str
        draw_id: str

        def aggregate_id(self) -> str:
            return self.task_id

    yield CountersignRecorded
    envelope._REGISTRY.pop((CountersignRecorded.event_type(), 1), None)


def test_an_event_added_later_is_filed_without_a_change_here(later_event: type[Event]) -> None:
    assert later_event in {s.event for s in consumers.subscriptions()}
