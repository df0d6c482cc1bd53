"""One target's inspection: the record form, sign-off and submission (第六条, 第八条, 第九条)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from inspections.domain.model import (
    Inspection,
    InspectionStatus,
    NotAllowed,
    ResultsInvalid,
    StateRefused,
    TeamInvalid,
)
from spotcheck_common.events.types import PendingReason, ResultCategory, TeamRole
from spotcheck_common.http import status_of

from .factories import (
    EXPERT,
    LEADER,
    MEMBER,
    NOW,
    USCC_1,
    all_clear,
    entry,
    inspection,
    member,
    target,
    task_info,
)


def fields(exc: pytest.ExceptionInfo[ResultsInvalid]) -> list[str]:
    return [f"{e.field}: {e.reason}" for e in exc.value.errors]


# -- opening --------------------------------------------------------------------------------


def test_open_takes_the_task_items_lead_department_and_the_drawn_team() -> None:
    i = inspection()
    assert i.status is InspectionStatus.PENDING
    assert i.uscc == USCC_1 and i.task_no == "LG-2026-001"
    assert i.inspecting_authority == "信用监管科"
    assert [c.code for c in i.check_items] == ["SD-01", "SD-02"]
    assert i.leader.inspector_id == LEADER
    assert i.signers == [LEADER, MEMBER]
    assert [e.action for e in i.new_log] == ["opened"]


@pytest.mark.parametrize(
    ("roles", "reason"),
    [
        ([TeamRole.MEMBER, TeamRole.MEMBER], "有且仅有 1 名组长"),
        ([TeamRole.LEADER, TeamRole.LEADER], "有且仅有 1 名组长"),
        ([TeamRole.LEADER, TeamRole.EXPERT], "不少于 2 名"),
    ],
)
def test_a_team_against_the_rules_is_refused(roles: list[TeamRole], reason: str) -> None:
    people = [member(f"P{n}", role) for n, role in enumerate(roles)]
    with pytest.raises(TeamInvalid, match=reason):
        Inspection.open(task_info(), "d", target(people=people), "i", NOW)


# -- recording ------------------------------------------------------------------------------


def test_the_leader_records_one_result_per_item_with_the_item_names() -> None:
    i = inspection()
    cleared = i.record_results(
        LEADER,
        [
            entry("SD-02", "发现问题待后续处理", pending_reason="未按规定公示应当公示的信息"),
            entry("SD-01", remark="现场核对一致"),
        ],
        NOW,
    )
    assert cleared is False
    assert i.status is InspectionStatus.RECORDED
    assert [(r.check_item_code, r.check_item_name, r.category) for r in i.results] == [
        ("SD-01", "企业公示信息检查", ResultCategory.NO_PROBLEM),
        ("SD-02", "登记事项检查", ResultCategory.PROBLEM_PENDING),
    ]
    assert i.results[1].pending_reason is PendingReason.NOT_DISCLOSED
    assert i.results[0].remark == "现场核对一致"
    assert (i.recorded_by, i.recorded_at) == (LEADER, NOW)


def test_members_who_are_not_the_leader_and_outsiders_cannot_record() -> None:
    i = inspection()
    with pytest.raises(NotAllowed, match="只有检查组长"):
        i.record_results(MEMBER, all_clear(), NOW)
    with pytest.raises(NotAllowed, match="不是该检查对象的检查组成员") as exc:
        i.record_results("LG-999", all_clear(), NOW)
    assert status_of(exc.value) == 403
    assert i.results == [] and i.status is InspectionStatus.PENDING


def test_every_item_exactly_once_and_nothing_else() -> None:
    i = inspection()
    with pytest.raises(ResultsInvalid) as exc:
        i.record_results(LEADER, [entry("SD-01"), entry("SD-01"), entry("XX-99")], NOW)
    found = fields(exc)
    assert "results: 检查事项「SD-01」有 2 条结果，应恰好 1 条" in found
    assert "results: 检查事项「XX-99」不属于本任务" in found
    assert "results: 缺少检查事项「SD-02 登记事项检查」的结果" in found
    assert status_of(exc.value) == 422
    assert i.results == []


def test_pending_reason_is_required_exactly_when_problems_await_follow_up() -> None:
    i = inspection()
    with pytest.raises(ResultsInvalid) as exc:
        i.record_results(
            LEADER,
            [
                entry("SD-01", "发现问题待后续处理"),
                entry("SD-02", "未发现问题", pending_reason="其他"),
            ],
            NOW,
        )
    assert fields(exc) == [
        "results[0].pending_reason: 检查结果为「发现问题待后续处理」时必填",
        "results[1].pending_reason: 仅检查结果为「发现问题待后续处理」时填写具体情形",
    ]


def test_other_pending_reason_needs_a_remark() -> None:
    i = inspection()
    with pytest.raises(ResultsInvalid, match="备注"):
        i.record_results(
            LEADER,
            [entry("SD-01", "发现问题待后续处理", pending_reason="其他"), entry("SD-02")],
            NOW,
        )


def test_an_entity_level_outcome_applies_to_every_item() -> None:
    i = inspection()
    with pytest.raises(ResultsInvalid, match="各检查事项的结果应一致"):
        i.record_results(LEADER, [entry("SD-01", "注销"), entry("SD-02")], NOW)
    # Deregistered before the deadline: not inspected, counts as done (第八条).
    i.record_results(LEADER, [entry("SD-01", "注销"), entry("SD-02", "注销")], NOW)
    assert {r.category for r in i.results} == {ResultCategory.DEREGISTERED}


# -- signing --------------------------------------------------------------------------------


def test_nobody_signs_an_empty_form() -> None:
    with pytest.raises(StateRefused, match="尚未录入"):
        inspection().sign(LEADER, NOW)


def test_every_inspector_signs_then_the_form_is_signed_experts_optional() -> None:
    i = inspection(expert=True)
    i.record_results(LEADER, all_clear(), NOW)
    i.sign(MEMBER, NOW)
    assert i.status is InspectionStatus.RECORDED and i.unsigned == [LEADER]
    i.sign(EXPERT, NOW)  # an expert may sign, but is not waited for
    assert i.status is InspectionStatus.RECORDED
    i.sign(LEADER, NOW)
    assert i.status is InspectionStatus.SIGNED and i.unsigned == []
    assert set(i.signatures) == {LEADER, MEMBER, EXPERT}


def test_signing_twice_changes_nothing_and_outsiders_cannot_sign() -> None:
    i = inspection()
    i.record_results(LEADER, all_clear(), NOW)
    i.sign(MEMBER, NOW)
    i.new_log.clear()
    i.sign(MEMBER, NOW + timedelta(hours=1))
    assert i.signatures[MEMBER] == NOW and i.new_log == []
    with pytest.raises(NotAllowed):
        i.sign("LG-999", NOW)


def test_changing_results_clears_every_signature() -> None:
    i = inspection()
    i.record_results(LEADER, all_clear(), NOW)
    i.sign(LEADER, NOW)
    i.sign(MEMBER, NOW)
    assert i.status is InspectionStatus.SIGNED
    cleared = i.record_results(
        LEADER, [entry("SD-01"), entry("SD-02", "发现问题经责令已改正")], NOW
    )
    assert cleared is True
    assert i.signatures == {} and i.status is InspectionStatus.RECORDED
    assert i.new_log[-1].detail["signatures_cleared"] == [LEADER, MEMBER]


# -- submitting -----------------------------------------------------------------------------


def signed() -> Inspection:
    i = inspection()
    i.record_results(LEADER, all_clear(), NOW)
    i.sign(LEADER, NOW)
    i.sign(MEMBER, NOW)
    return i


def test_submit_needs_results_and_every_signature_and_the_leader() -> None:
    i = inspection()
    with pytest.raises(StateRefused, match="尚未录入"):
        i.submit(LEADER, NOW)
    i.record_results(LEADER, all_clear(), NOW)
    i.sign(LEADER, NOW)
    with pytest.raises(StateRefused, match=f"尚未全部签名：{MEMBER}") as exc:
        i.submit(LEADER, NOW)
    assert exc.value.details["unsigned"] == [MEMBER]
    i.sign(MEMBER, NOW)
    with pytest.raises(NotAllowed, match="只有检查组长"):
        i.submit(MEMBER, NOW)
    i.submit(LEADER, NOW)
    assert i.status is InspectionStatus.SUBMITTED
    assert (i.submitted_by, i.submitted_at) == (LEADER, NOW)
    assert i.completed_on == date(2026, 4, 1)  # the day in China


def test_the_submitted_event_carries_what_publication_shows() -> None:
    i = inspection()
    i.record_results(
        LEADER,
        [
            entry("SD-01"),
            entry("SD-02", "发现问题待后续处理", pending_reason="公示信息隐瞒真实情况弄虚作假"),
        ],
        NOW,
    )
    i.sign(LEADER, NOW)
    i.sign(MEMBER, NOW)
    i.submit(LEADER, NOW, completed_on=date(2026, 3, 31) + timedelta(days=1))
    event = i.submitted_event()
    assert event.inspection_id == "i-1" and event.task_id == "task-1"
    assert event.task_no == "LG-2026-001" and event.task_title == "2026年企业公示信息抽查"
    assert event.draw_id == "draw-1" and event.uscc == USCC_1
    assert event.entity_name == "威海临港某某商贸有限公司"
    assert event.inspecting_authority == "信用监管科"
    assert [m.inspector_id for m in event.team] == [LEADER, MEMBER]
    assert [r.category for r in event.results] == [
        ResultCategory.NO_PROBLEM,
        ResultCategory.PROBLEM_PENDING,
    ]
    assert event.results[1].pending_reason is PendingReason.FALSE_DISCLOSURE
    assert event.completed_on == date(2026, 4, 1)
    assert event.submitted_by == LEADER
    assert event.check_type == "定向抽查"
    assert event.aggregate_id() == "task-1"


def test_completion_date_cannot_be_in_the_future_or_before_the_draw() -> None:
    i = signed()
    with pytest.raises(ResultsInvalid, match="不能晚于今天"):
        i.submit(LEADER, NOW, completed_on=date(2026, 4, 2))
    with pytest.raises(ResultsInvalid, match="不能早于"):
        i.submit(LEADER, NOW, completed_on=date(2026, 3, 31))
    assert i.status is InspectionStatus.SIGNED


def test_a_submitted_inspection_cannot_change() -> None:
    i = signed()
    i.submit(LEADER, NOW)
    with pytest.raises(StateRefused, match="已提交") as exc:
        i.record_results(LEADER, all_clear(), NOW)
    assert status_of(exc.value) == 409
    with pytest.raises(StateRefused):
        i.sign(MEMBER, NOW)
    with pytest.raises(StateRefused):
        i.submit(LEADER, NOW)


def test_an_unsubmitted_inspection_has_no_submitted_event() -> None:
    with pytest.raises(StateRefused):
        signed().submitted_event()
