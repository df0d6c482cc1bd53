"""Targets not inspected yet counted as done (第八条), and withheld results (第九条)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from inspections.domain.model import (
    Inspection,
    NotInspected,
    NotInspectedReason,
    ResultsInvalid,
    Withhold,
)
from spotcheck_common.events.types import PendingReason, ResultCategory

from .factories import LEADER, MEMBER, NOW, all_clear, entry, inspection

DEADLINE = date(2026, 6, 30)


def _submitted(reason: NotInspected | None = None, withhold: Withhold | None = None) -> Inspection:
    i = inspection()
    i.record_results(LEADER, [] if reason else all_clear(), NOW, reason, withhold)
    i.sign(LEADER, NOW)
    i.sign(MEMBER, NOW)
    i.submit(LEADER, NOW)
    return i


@pytest.mark.parametrize(
    ("reason", "category", "pending"),
    [
        (NotInspectedReason.UNREACHABLE, ResultCategory.PROBLEM_PENDING, PendingReason.UNREACHABLE),
        (NotInspectedReason.SERIOUS_REFUSAL, ResultCategory.SERIOUS_REFUSAL, None),
        (NotInspectedReason.DEREGISTERED, ResultCategory.DEREGISTERED, None),
        (NotInspectedReason.REVOKED, ResultCategory.REVOKED, None),
        (NotInspectedReason.CANCELLED, ResultCategory.CANCELLED, None),
        (NotInspectedReason.MOVED_OUT, ResultCategory.MOVED_OUT, None),
    ],
)
def test_every_item_carries_the_reasons_national_category_and_it_counts_as_done(
    reason: NotInspectedReason, category: ResultCategory, pending: PendingReason | None
) -> None:
    occurred = date(2026, 3, 20)
    i = _submitted(NotInspected(reason=reason, occurred_on=occurred, remark="两次上门未见"))
    assert [(r.check_item_code, r.category, r.pending_reason) for r in i.results] == [
        ("SD-01", category, pending),
        ("SD-02", category, pending),
    ]
    assert all(r.remark == "两次上门未见" for r in i.results)
    event = i.submitted_event()
    assert event.not_inspected_reason == i.not_inspected_label != ""
    assert event.not_inspected_on == occurred


def test_registry_changes_must_be_dated_no_later_than_the_deadline() -> None:
    i = inspection()
    for outcome, field in [
        (NotInspected(reason=NotInspectedReason.DEREGISTERED), "not_inspected.occurred_on"),
        (
            NotInspected(
                reason=NotInspectedReason.MOVED_OUT, occurred_on=DEADLINE + timedelta(days=1)
            ),
            "not_inspected.occurred_on",
        ),
        (
            NotInspected(
                reason=NotInspectedReason.UNREACHABLE, occurred_on=date(2026, 4, 2)
            ),  # tomorrow
            "not_inspected.occurred_on",
        ),
    ]:
        with pytest.raises(ResultsInvalid) as refused:
            i.record_results(LEADER, [], NOW, outcome)
        assert field in {e.field for e in refused.value.errors}
    assert i.results == [] and i.not_inspected_reason is None and i.new_log[-1].action == "opened"
    # Unreachable and refusal need no date.
    i.record_results(LEADER, [], NOW, NotInspected(reason=NotInspectedReason.UNREACHABLE))
    assert i.not_inspected_reason is NotInspectedReason.UNREACHABLE


def test_results_given_with_a_reason_must_agree_with_it() -> None:
    i = inspection()
    with pytest.raises(ResultsInvalid, match="不配合检查情节严重"):
        i.record_results(
            LEADER,
            [entry("SD-01")],
            NOW,
            NotInspected(reason=NotInspectedReason.SERIOUS_REFUSAL),
        )
    with pytest.raises(ResultsInvalid, match="不属于本任务"):
        i.record_results(
            LEADER,
            [entry("XX-99", "不配合检查情节严重")],
            NOW,
            NotInspected(reason=NotInspectedReason.SERIOUS_REFUSAL),
        )
    # A remark per item is kept.
    i.record_results(
        LEADER,
        [entry("SD-02", "不配合检查情节严重", remark="拒绝提供账簿")],
        NOW,
        NotInspected(reason=NotInspectedReason.SERIOUS_REFUSAL, remark="拒绝检查"),
    )
    assert [r.remark for r in i.results] == ["拒绝检查", "拒绝提供账簿"]


def test_a_form_of_refusals_alone_is_recognised_as_not_inspected() -> None:
    i = inspection()
    i.record_results(
        LEADER, [entry("SD-01", "不配合检查情节严重"), entry("SD-02", "不配合检查情节严重")], NOW
    )
    assert i.not_inspected_reason is NotInspectedReason.SERIOUS_REFUSAL
    # Recording ordinary results afterwards clears the reason.
    i.record_results(LEADER, all_clear(), NOW)
    assert i.not_inspected_reason is None and i.not_inspected_label == ""


def test_an_empty_form_without_a_reason_is_refused() -> None:
    with pytest.raises(ResultsInvalid, match="未开展检查"):
        inspection().record_results(LEADER, [], NOW)


def test_the_leader_withholds_a_result_with_reason_and_legal_basis() -> None:
    withhold = Withhold(reason="涉及商业秘密", legal_basis="《政府信息公开条例》第十五条")
    i = _submitted(withhold=withhold)
    event = i.submitted_event()
    assert event.withhold_reason == "涉及商业秘密（依据：《政府信息公开条例》第十五条）"
    assert i.new_log[1].detail["withhold_reason"] == event.withhold_reason  # kept in the history
    # Re-recording without it publishes again (the flag belongs to the form).
    j = inspection()
    j.record_results(LEADER, all_clear(), NOW, None, withhold)
    assert j.withhold_reason
    j.record_results(LEADER, all_clear(), NOW)
    assert j.withhold_reason == ""
    with pytest.raises(ValueError):
        Withhold(reason="", legal_basis="x")
