"""A draw completed in parts (ADR 0012) folds into the task's facts as the whole draw would:
every part's targets and unstaffed join the others', in whatever order they are folded, and
a part folded twice changes nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from archives.domain import folds
from archives.domain.accountability import TASK
from spotcheck_common.events.draws import DrawCompleted, DrawnTarget, TeamMember
from spotcheck_common.events.types import TeamRole

AT = datetime(2026, 11, 18, 2, tzinfo=UTC)
TEAM = [TeamMember(inspector_id="L01", name="王强", department="信用监管科", role=TeamRole.LEADER)]


def whole() -> DrawCompleted:
    return DrawCompleted(
        draw_id="draw-1",
        task_id="task-1",
        task_no="LG-2026-201",
        algorithm="spotcheck-draw/3",
        seed_hex="ab" * 32,
        population_size=120,
        targets=[
            DrawnTarget(
                uscc=f"91371000MA3C{i:05d}Y", entity_name=f"商贸{i}", risk_class="C", team=TEAM
            )
            for i in range(7)
        ],
        unstaffed=[f"91371000MA3D{i:05d}Y" for i in range(3)],
    )


def folded(events: list[DrawCompleted]) -> dict[str, Any]:
    current: dict[Any, Any] = {}
    for event in events:
        for fact in folds.apply(event, AT, current):
            current[(fact.kind, fact.key)] = fact
    return dict(current[(TASK, "task-1")].data["draws"]["draw-1"])


def test_parts_in_any_order_fold_into_the_whole_draw() -> None:
    expected = folded([whole()])
    parts = whole().split(budget_bytes=900)
    assert len(parts) >= 3
    for order in itertools.permutations(parts):
        got = folded([*order, order[0]])  # and one part delivered again
        assert got["targets"] == expected["targets"]
        assert sorted(got["unstaffed"]) == sorted(expected["unstaffed"])
        assert got["drawn_on"] == expected["drawn_on"] == "2026-11-18"
