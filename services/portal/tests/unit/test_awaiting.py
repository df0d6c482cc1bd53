"""What awaits a person: the steps of each of their roles, from the services' own lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from portal.adapters.api import Api, ApiError
from portal.service_layer import awaiting

from .fakes import FakeApi


def _plans(query: dict[str, Any]) -> dict[str, Any]:
    plans = {
        "signed": [{"plan_id": "p1", "plan_no": "LG-2027-01", "plan_name": "规范科计划"}],
        "submitted": [{"plan_id": "p2", "plan_no": "LG-2027-02", "plan_name": "质量科计划"}],
        "filed": [{"plan_id": "p3", "plan_no": "LG-2027-03", "plan_name": "汇总计划"}],
    }
    found = plans.get(query["status"], [])
    return {"items": found, "total": len(found)}


def _objections(query: dict[str, Any]) -> dict[str, Any]:
    corrected = [
        {"objection_id": "o1", "uscc": "91371071MA00000001", "awaiting_credit_department": True},
        {"objection_id": "o2", "uscc": "91371071MA00000002", "awaiting_credit_department": False},
    ]
    return {"items": corrected if query["status"] == "corrected" else []}


def _draws(query: dict[str, Any]) -> dict[str, Any]:
    draws = [
        {
            "draw_id": f"d-{task}",
            "task_no": f"LG-T-{n}",
            "task_title": title,
            "status": status,
            "status_label": status,
        }
        for n, (task, status, title) in enumerate(
            [("t1", "frozen", "公示信息抽查"), ("t2", "drawn", "价格行为抽查")], start=1
        )
    ]
    return {"items": draws, "total": len(draws)}  # the API's DrawList, every task's


TASKS = {
    "items": [
        {"task_id": "t1", "task_no": "LG-T-1", "title": "公示信息抽查"},
        {"task_id": "t2", "task_no": "LG-T-2", "title": "价格行为抽查"},
    ]
}


def _api(**overrides: Any) -> Api:
    answers = {
        "/api/planning/plans": _plans,
        "/api/planning/tasks": TASKS,
        "/api/draws/draws": _draws,
        "/api/objections/objections": _objections,
        "/api/inspections/follow-ups": {"items": [], "total": 0},
        "/api/inspections/inspections": {"items": []},
        **overrides,
    }
    return cast(Api, FakeApi(answers))


async def test_the_credit_department_sees_plans_to_consolidate_and_draws_to_commit() -> None:
    found = {w.title: w for w in await awaiting.of(_api(), ["credit_dept"])}
    assert [i[1] for i in found["年度计划待汇总"].items] == ["/console/plans/p1"]
    assert [i[1] for i in found["抽取待提交或揭示种子"].items] == ["/console/draws/d-t1"]
    assert found["异议待复查"].count == 0
    assert found["年度计划待汇总"].items[0][0] == "LG-2027-01 规范科计划"
    # a correction reviewed as due, not one already asked for
    assert [i[1] for i in found["更正待报请"].items] == ["/console/objections/o1"]
    assert [i[1] for i in found["年度计划待公示"].items] == ["/console/plans/p3"]


async def test_the_office_sees_the_drawn_draw_to_countersign_not_the_frozen_one() -> None:
    found = {w.title: w for w in await awaiting.of(_api(), ["general_office"])}
    assert [i[1] for i in found["抽取待监督会签"].items] == ["/console/draws/d-t2"]


async def test_the_deputy_director_sees_plans_to_sign() -> None:
    found = {w.title: w for w in await awaiting.of(_api(), ["deputy_director"])}
    assert [i[1] for i in found["年度计划待签字"].items] == ["/console/plans/p2"]


async def test_a_list_the_role_may_not_read_is_left_out_but_other_failures_are_not() -> None:
    forbidden = _api(**{"/api/objections/objections": ApiError(403, "缺少角色")})
    titles = [w.title for w in await awaiting.of(forbidden, ["credit_dept", "director_meeting"])]
    assert "异议待复查" not in titles  # refused to this person: left out, the rest shown
    assert {"年度计划待汇总", "抽取待提交或揭示种子", "年度计划待局长办公会批准"} <= set(titles)
    broken = _api(**{"/api/planning/plans": ApiError(502, "服务暂时无法办理")})
    try:
        await awaiting.of(broken, ["director_meeting"])
    except ApiError as exc:
        assert exc.status == 502
    else:
        raise AssertionError("a failing service must not read as 'nothing awaits you'")


async def test_an_entity_has_no_console_steps() -> None:
    assert await awaiting.of(_api(), ["entity"]) == []


REPORTS = "/api/inspections/not-inspected-reports/department-draft"


def _draft(current: Any) -> Any:
    def answer(query: dict[str, Any]) -> dict[str, Any]:
        assert query["period_start"] == "2026-10-01" and query["period_end"] == "2026-10-31"
        return {"current": current, "total": 3, "items": []}

    return answer


async def test_a_department_is_reminded_of_last_months_list_until_it_is_submitted() -> None:
    person = awaiting.Person("lingang", "", "市场规范管理科")
    today = {"/public/calendar": {"today": "2026-11-16"}}
    due = _api(**today, **{REPORTS: _draft(None)})
    found = {w.title: w for w in await awaiting.of(due, ["supervising_dept"], person)}
    (item,) = found["上月视为完成抽查名单待报送（第八条）"].items
    assert item[0] == "2026-10-01 至 2026-10-31（3 个检查对象）"
    assert item[1] == "/console/not-inspected-reports"
    done = _api(**today, **{REPORTS: _draft({"report_id": "d1"})})
    found = {w.title: w for w in await awaiting.of(done, ["station"], person)}
    assert found["上月视为完成抽查名单待报送（第八条）"].count == 0
    # a token naming no department cannot report: nothing asked of the service
    nobody = _api(**today, **{REPORTS: ApiError(500, "must not be asked")})
    titles = [w.title for w in await awaiting.of(nobody, ["credit_dept"])]
    assert "上月视为完成抽查名单待报送（第八条）" not in titles


async def test_the_directors_meeting_sees_the_exemptions_awaiting_its_decision() -> None:
    proposed = {
        "exemption_id": "x1",
        "department": "市场规范管理科",
        "item": {"kind_label": "不执行或拖延执行抽查任务"},
        "proposed_at": "2026-11-16T02:00:00+00:00",
    }
    api = _api(**{"/api/archives/exemptions": {"total": 1, "items": [proposed]}})
    found = {w.title: w for w in await awaiting.of(api, ["director_meeting"])}
    waiting = found["免责申请待局长办公会决定"]
    assert waiting.link == "/console/exemptions?status=proposed"
    assert waiting.items == [
        (
            "不执行或拖延执行抽查任务（市场规范管理科）",
            "/console/exemptions/x1",
            "申请于 2026-11-16 10:00",
        )
    ]
    assert ("GET", "/api/archives/exemptions", {"status": "proposed"}) in api.calls  # type: ignore[attr-defined]


def test_the_fake_draw_list_sends_only_what_the_draws_api_documents() -> None:
    """The fake once carried each draw's manifest, which the list never sends: the 待办 page
    passed here and was a 500 for the office and the credit department during every
    ceremony."""
    documents = Path(__file__).resolve().parents[4] / "docs/api/draws.openapi.json"
    summary = json.loads(documents.read_text())["components"]["schemas"]["DrawSummary"]
    for item in _draws({})["items"]:
        assert set(item) <= set(summary["properties"])
