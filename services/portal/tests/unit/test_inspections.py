"""The record form read from a phone's post, the signature block, the deadline notes, and the
pages made of the inspections service's answers."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from portal.adapters.api import Api, ApiError
from portal.domain import inspections as form
from portal.service_layer import inspections

from .fakes import FakeApi

ROWS = [form.Row("GS-01", "企业公示信息抽查"), form.Row("DJ-01", "登记事项检查")]
INSPECTION: dict[str, Any] = {
    "inspection_id": "i1",
    "uscc": "91371000MA3C000017",
    "deadline": "2026-11-20",
    "done": False,
    "status": "recorded",
    "check_items": [
        {"code": "GS-01", "name": "企业公示信息抽查"},
        {"code": "DJ-01", "name": "登记事项检查"},
    ],
    "team": [
        {"inspector_id": "LG0022", "name": "张涛刚", "role": "leader"},
        {"inspector_id": "LG0027", "name": "罗勇丽", "role": "member"},
        {"inspector_id": "ZJ0001", "name": "专家甲", "role": "expert"},
    ],
    "signatures": {"LG0027": "2026-11-16T01:00:00+00:00"},
    "results": [
        {
            "check_item_code": "GS-01",
            "category": "发现问题待后续处理",
            "pending_reason": "其他",
            "remark": "x",
        }
    ],
    "visit_leader_id": None,
}


def test_the_form_becomes_one_line_per_item_the_sub_reason_only_where_it_belongs() -> None:
    sent = {
        "category.0": "发现问题待后续处理",
        "pending_reason.0": "未按规定公示应当公示的信息",
        "remark.0": " 年报未公示 ",
        "category.1": "未发现问题",
        "pending_reason.1": "其他",  # left over in a hidden select: not sent
    }
    assert form.results_body(sent, ROWS) == {
        "results": [
            {
                "check_item_code": "GS-01",
                "category": "发现问题待后续处理",
                "remark": "年报未公示",
                "pending_reason": "未按规定公示应当公示的信息",
            },
            {"check_item_code": "DJ-01", "category": "未发现问题", "remark": ""},
        ]
    }


def test_a_target_not_inspected_sends_the_reason_and_no_lines() -> None:
    sent = {
        "not_inspected": "deregistered",
        "not_inspected_on": "2026-11-10",
        "category.0": "未发现问题",
    }
    body = form.results_body(sent, ROWS)
    assert body["results"] == []
    assert body["not_inspected"] == {
        "reason": "deregistered",
        "occurred_on": "2026-11-10",
        "remark": "",
    }
    assert (
        form.results_body({"not_inspected": "unreachable"}, ROWS)["not_inspected"]["occurred_on"]
        is None
    )


def test_a_visit_form_names_each_lines_task_and_withholding_goes_with_its_basis() -> None:
    rows = [
        form.Row("GS-01", "企业公示信息抽查", "t1", "T-1"),
        form.Row("ZL-01", "产品质量", "t2", "T-2"),
    ]
    sent = {
        "category.0": "未发现问题",
        "category.1": "未发现问题",
        "withhold_reason": "涉及商业秘密",
    }
    body = form.results_body(sent, rows)
    assert [e["task_id"] for e in body["results"]] == ["t1", "t2"]
    assert body["withhold"] == {
        "reason": "涉及商业秘密",
        "legal_basis": "",
    }  # the service says what is missing


def test_a_refused_form_keeps_what_was_sent_else_shows_what_was_recorded() -> None:
    recorded = form.form_values(ROWS, INSPECTION["results"])
    assert recorded[0] == {
        "category": "发现问题待后续处理",
        "pending_reason": "其他",
        "remark": "x",
    }
    assert recorded[1] == {"category": "", "pending_reason": "", "remark": ""}
    kept = form.form_values(ROWS, INSPECTION["results"], {"category.0": "未发现问题"})
    assert kept[0]["category"] == "未发现问题"


def test_deadline_notes_count_from_the_services_today() -> None:
    today = date(2026, 11, 16)
    assert form.deadline_note("2026-11-20", today, False) == ("剩 4 天", "warn")
    assert form.deadline_note("2026-11-16", today, False) == ("今日到期", "warn")
    assert form.deadline_note("2026-11-10", today, False) == ("已逾期 6 天", "bad")
    assert form.deadline_note("2026-11-10", today, True) == ("", "")
    assert form.deadline_note("2027-01-15", today, False) == ("剩 60 天", "")


def test_the_signature_block_and_what_each_person_may_do() -> None:
    assert [(s.inspector_id, bool(s.signed_at)) for s in form.signers(INSPECTION)] == [
        ("LG0022", False),
        ("LG0027", True),
    ]  # the expert advises and does not sign
    leader = form.standing(INSPECTION, "LG0022")
    assert leader.leader and leader.can_sign
    member = form.standing(INSPECTION, "LG0027")
    assert not member.leader and not member.can_sign
    assert not form.standing(INSPECTION, "ZJ0001").member
    assert form.standing(INSPECTION | {"visit_leader_id": "LG0099"}, "LG0099").leader
    assert form.standing(INSPECTION, "") == form.Standing(False, False, False)


def test_an_outcome_body() -> None:
    body = form.outcome_body(
        {
            "action": "case_filed",
            "outcome": " 立案 ",
            "case_no": "临市监立〔2026〕1号",
            "suspected_crime": "on",
        }
    )
    assert body == {
        "action": "case_filed",
        "outcome": "立案",
        "case_no": "临市监立〔2026〕1号",
        "suspected_crime": True,
    }
    assert (
        form.outcome_body({"action": "closed", "outcome": "办结", "recorded_on": "2026-11-16"})[
            "recorded_on"
        ]
        == "2026-11-16"
    )


async def test_the_record_page_combines_inspection_attachments_and_today() -> None:
    fake = FakeApi(
        {
            "/api/inspections/inspections/i1": INSPECTION,
            "/api/inspections/inspections/i1/attachments": {
                "total": 1,
                "items": [{"sha256": "ab"}],
            },
            "/public/calendar": {"today": "2026-11-16"},
        }
    )
    page = await inspections.record(cast(Api, fake), "i1", "LG0022")
    assert page["deadline_note"] == ("剩 4 天", "warn")
    assert page["attachments"] == [{"sha256": "ab"}]
    assert page["standing"].leader
    assert page["values"][0]["pending_reason"] == "其他"


async def test_the_listing_for_field_staff_has_no_task_filter() -> None:
    seen: dict[str, Any] = {}

    def listing(query: dict[str, Any]) -> dict[str, Any]:
        seen.update(query)
        return {"total": 1, "items": [INSPECTION]}

    fake = FakeApi(
        {
            "/api/inspections/inspections": listing,
            "/public/calendar": {"today": "2026-11-16"},
            "/api/planning/tasks": ApiError(403, "缺少角色"),
        }
    )
    page = await inspections.listing(
        cast(Api, fake), {"status": "recorded", "not_inspected": "1"}, 50
    )
    assert page["tasks"] == []
    assert page["items"][0]["deadline_note"] == ("剩 4 天", "warn")
    assert (seen["status"], seen["not_inspected"], seen["offset"]) == ("recorded", "true", 50)
