"""Archives subscribes to every event that names a task, including ones added later, and from
its neighbours to every shared one (joint draws, ADR 0010)."""

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
    "objections.objection-feedback-given",
    "inspections.attachment-added",
    "inspections.follow-up-opened",
    "inspections.follow-up-recorded",
    "publication.result-withheld",
    "planning.task-published",
}


def test_every_task_event_of_today_is_subscribed() -> None:
    subscribed = {s.event.event_type() for s in consumers.subscriptions()}
    assert subscribed >= TODAY
    by_consumer: dict[str, set[str]] = {}
    for s in consumers.subscriptions():
        if not s.neighbours:
            by_consumer.setdefault(s.consumer_name, set()).add(s.event.event_type())
    # Every task event through one handler (one idempotency key space); plans through another;
    # the working-day calendar kept by a third.
    assert not any(t.startswith("registry.") for t in by_consumer["file_event"])  # no task_id
    assert by_consumer["file_plan"] == {"planning.annual-plan-published"}
    assert by_consumer["calendar_year_recorded"] == {"registry.calendar-year-recorded"}
    # This district's own acts in a neighbour's draw name the draw, not a task.
    assert by_consumer["file_joint_act"] == {
        "draws.joint-share-committed",
        "draws.joint-share-revealed",
    }
    # Reports span tasks (第八条): filed in each dossier they name.
    assert by_consumer["file_report"] == {
        "inspections.not-inspected-report-submitted",
        "inspections.not-inspected-report-consolidated",
    }
    assert by_consumer["file_event"] == subscribed - {
        "planning.annual-plan-published",
        "registry.calendar-year-recorded",
        *by_consumer["file_joint_act"],
        *by_consumer["file_report"],
    }
    assert set(by_consumer) == {
        "file_event",
        "file_plan",
        "calendar_year_recorded",
        "file_joint_act",
        "file_report",
    }


def test_from_the_neighbours_every_shared_task_event_and_nothing_else() -> None:
    from_neighbours = {s.event.event_type(): s for s in consumers.subscriptions() if s.neighbours}
    assert set(from_neighbours) == {
        "draws.draw-manifest-frozen",
        "draws.draw-share-committed",
        "draws.draw-completed",
        "draws.draw-cancelled",
        "inspections.joint-inspection-state",
        "inspections.joint-inspection-recorded",
        "inspections.joint-inspection-signed",
        "inspections.joint-inspection-submitted",
    }
    assert {s.consumer_name for s in from_neighbours.values()} == {"file_neighbour_event"}


def test_definition_subscribes_as_built() -> None:
    from archives.entrypoints.periodic import refresh_gauges
    from archives.entrypoints.service import definition
    from spotcheck_common.events.calendar import CalendarYearRecorded
    from spotcheck_common.events.planning import AnnualPlanPublished

    assert {s.event for s in definition.subscriptions} == {
        *consumers.archived_events(),
        *consumers.JOINT_ACTS,
        *consumers.REPORTS,
        AnnualPlanPublished,
        CalendarYearRecorded,
    }
    assert {s.event for s in definition.subscriptions if s.neighbours} == set(
        consumers.neighbour_events()
    )
    assert refresh_gauges in definition.periodic  # the overdue gauge, refreshed by the runtime


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
    assert later_event not in consumers.neighbour_events()  # not shared: not read next door


def test_a_shared_event_added_later_is_read_from_the_neighbours(
    later_event: type[Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(later_event, "shared", True)
    assert later_event in {s.event for s in consumers.subscriptions() if s.neighbours}
