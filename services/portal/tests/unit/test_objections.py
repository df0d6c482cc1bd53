"""Objections' clocks and review form (pure), and the service layer over a fake Api."""

from __future__ import annotations

from datetime import date
from typing import Any

from portal.domain import objections as rules
from portal.service_layer import objections as service

TODAY = date(2026, 11, 16)  # a Monday
YEAR_2026 = {
    "year": 2026,
    "covered": True,
    "calendar_version": "2026/holidays-0.109",
    "days_off": [{"date": "2026-10-01", "name": "National Day"}],
    "make_up_workdays": [{"date": "2026-10-10", "name": "调休上班"}],
}
UNCOVERED = {"covered": False, "days_off": [], "make_up_workdays": []}
CALENDAR = rules.calendar_of([YEAR_2026, {"year": 2027, **UNCOVERED}])


def objection(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "objection_id": "o1",
        "record_id": "r1",
        "received_on": "2026-11-16",
        "review_due_on": "2026-12-14",
        "feedback_due_on": None,
        "correction_due_on": None,
        "decided_on": None,
        "feedback_given_on": None,
        "correction_published_on": None,
        "deadlines": {
            "review": {"due_on": "2026-12-14", "due_status": "set", "pending_reason": None},
            "feedback": None,
            "correction": None,
        },
        "overdue": {"review": False, "feedback": False, "correction": False, "any": False},
    }
    return base | fields


def test_a_running_clock_counts_working_days_left() -> None:
    review = rules.clock_of(objection(), "review", TODAY, CALENDAR)
    assert (review.tone, review.text) == ("ok", "剩余 20 个工作日")
    soon = rules.clock_of(objection(review_due_on="2026-11-19"), "review", TODAY, CALENDAR)
    assert (soon.tone, soon.text) == ("warn", "剩余 3 个工作日")
    today = rules.clock_of(objection(review_due_on="2026-11-16"), "review", TODAY, CALENDAR)
    assert today.text == "今天到期"


def test_an_overdue_clock_says_by_how_many_working_days() -> None:
    late = objection(review_due_on="2026-11-10", overdue={"review": True})
    clock = rules.clock_of(late, "review", TODAY, CALENDAR)
    assert (clock.tone, clock.text) == ("bad", "已逾期 4 个工作日")  # 11, 12, 13, 16


def test_clocks_not_started_done_late_and_pending() -> None:
    feedback = rules.clock_of(objection(), "feedback", TODAY, CALENDAR)
    assert (feedback.tone, feedback.text) == ("", "未开始")
    done_late = objection(decided_on="2026-12-20", overdue={"review": True})
    assert rules.clock_of(done_late, "review", TODAY, CALENDAR).text == "逾期完成（2026-12-20）"
    done = objection(decided_on="2026-11-20")
    assert rules.clock_of(done, "review", TODAY, CALENDAR).tone == "ok"
    pending = objection(
        review_due_on=None,
        deadlines={"review": {"due_status": "pending_calendar", "pending_reason": "2027 年未录入"}},
    )
    assert rules.clock_of(pending, "review", TODAY, CALENDAR).text == "期限待定：2027 年未录入"


def test_a_due_date_in_an_uncovered_year_shows_the_date_only() -> None:
    far = objection(review_due_on="2027-01-15")
    assert rules.clock_of(far, "review", TODAY, CALENDAR).text == "2027-01-15 到期"


def test_corrected_results_are_the_items_the_form_changes() -> None:
    current = [
        {
            "check_item_code": "A",
            "check_item_name": "企业公示信息抽查",
            "category": "发现问题待后续处理",
            "pending_reason": "未按规定公示应当公示的信息",
            "remark": "",
        },
        {"check_item_code": "B", "check_item_name": "登记事项检查", "category": "未发现问题"},
    ]
    form = {
        "category_A": "未发现问题",
        "pending_reason_A": "未按规定公示应当公示的信息",
        "category_B": "未发现问题",
    }
    assert rules.corrected_results(current, form) == [
        {
            "check_item_code": "A",
            "check_item_name": "企业公示信息抽查",
            "category": "未发现问题",
            "remark": "",
        }
    ]
    assert rules.corrected_results(current, {}) == []


class FakeApi:
    """Canned answers by path; records the calls."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def get(self, path: str, **params: Any) -> Any:
        self.calls.append((path, params))
        return self.answers[path]


async def test_listing_adds_the_clocks_on_the_bureaus_calendar() -> None:
    api = FakeApi(
        {
            "/api/objections/objections": {
                "total": 1,
                "today": "2026-11-16",
                "items": [objection()],
            },
            "/public/calendar/2026": YEAR_2026,
        }
    )
    page = await service.listing(api, status="pending")  # type: ignore[arg-type]
    [item] = page["items"]
    assert [c.text for c in item["clocks"]] == ["剩余 20 个工作日", "未开始", "未开始"]
    assert api.calls[0] == (
        "/api/objections/objections",
        {"status": "pending", "overdue": None, "limit": 50, "offset": 0},
    )
