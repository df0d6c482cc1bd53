"""A draw's completion in parts (ADR 0012): a city's or a province's draw must reach the
consumers through a broker whose messages are limited to 1 MiB."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from spotcheck_common.events.draws import (
    PART_BYTES,
    DrawCompleted,
    DrawnTarget,
    ReserveEntry,
    TeamMember,
)
from spotcheck_common.events.types import TeamRole

KAFKA_DEFAULT_LIMIT = 1_048_576


def uscc(i: int) -> str:
    return f"91371000MA{i:07d}X"


def target(i: int) -> DrawnTarget:
    return DrawnTarget(
        uscc=uscc(i),
        entity_name=f"威海市临港区第{i:07d}号商贸有限公司",
        risk_class="C",
        area="草庙子镇",
        team=[
            TeamMember(
                inspector_id=f"LG-{i % 90:03d}",
                name="王强",
                department="信用监管科",
                role=TeamRole.LEADER,
            ),
            TeamMember(
                inspector_id=f"LG-{i % 89:03d}",
                name="陈静",
                department="市场监管所",
                role=TeamRole.MEMBER,
            ),
        ],
    )


def draw(targets: int, unstaffed: int = 0, reserve: int = 0) -> DrawCompleted:
    return DrawCompleted(
        draw_id="draw-city",
        task_id="task-city",
        task_no="LG-2026-900",
        algorithm="spotcheck-draw/3",
        seed_hex="ab" * 32,
        population_size=150_000,
        targets=[target(i) for i in range(targets)],
        unstaffed=[uscc(1_000_000 + i) for i in range(unstaffed)],
        reserve=[ReserveEntry(uscc=uscc(2_000_000 + i), stratum="C") for i in range(reserve)],
        manifest_sha256="11" * 32,
        result_sha256="22" * 32,
        bundle_url="https://spotcheck.example/public/draws/draw-city/bundle",
        countersigned_by="办公室",
    )


def test_a_city_draw_is_cut_into_parts_each_far_below_the_broker_limit() -> None:
    whole = draw(10_000, unstaffed=300, reserve=2_000)
    assert len(whole.model_dump_json().encode()) > KAFKA_DEFAULT_LIMIT  # what broke before
    parts = whole.split()
    assert len(parts) > 1
    assert [p.part for p in parts] == list(range(1, len(parts) + 1))
    assert {p.parts for p in parts} == {len(parts)}
    for p in parts:
        assert len(p.model_dump_json().encode()) <= PART_BYTES
        # Every part names the draw whole: a consumer needs no other part to act on it.
        assert (p.draw_id, p.task_id, p.result_sha256, p.bundle_url, p.countersigned_by) == (
            whole.draw_id,
            whole.task_id,
            whole.result_sha256,
            whole.bundle_url,
            "办公室",
        )
    # Nothing lost, nothing twice, order kept.
    assert [t for p in parts for t in p.targets] == whole.targets
    assert [u for p in parts for u in p.unstaffed] == whole.unstaffed
    assert [r for p in parts for r in p.reserve] == whole.reserve


def test_a_draw_that_fits_is_one_part_equal_to_itself() -> None:
    whole = draw(40, unstaffed=2, reserve=5)
    (only,) = whole.split()
    assert only == whole and (only.part, only.parts) == (1, 1)


def test_parts_fill_up_to_the_budget_and_an_oversized_item_stands_alone() -> None:
    whole = draw(30)
    one = len(whole.targets[0].model_dump_json().encode())
    parts = whole.split(
        budget_bytes=len(whole.model_copy(update={"targets": []}).model_dump_json().encode())
        + 3 * (one + 1)
    )
    assert [len(p.targets) for p in parts] == [3] * 10
    assert [len(p.targets) for p in whole.split(budget_bytes=10)] == [1] * 30


def test_a_part_beyond_its_parts_is_refused() -> None:
    with pytest.raises(ValidationError, match="part 3 of 2"):
        DrawCompleted.model_validate({**draw(1).model_dump(), "part": 3, "parts": 2})
