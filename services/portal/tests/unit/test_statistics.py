"""Statistics: totals, trend, duties by kind, inspectors, and the page's assembly over a fake
Api (the same numbers in the charts as in the tables)."""

from __future__ import annotations

from datetime import date
from typing import Any

from portal.domain import statistics as figures
from portal.service_layer import statistics as service

DEPARTMENT = {
    "department": "市场规范管理科",
    "targets": 4,
    "submitted": 3,
    "results_formed": 3,
    "results_published": 2,
    "results_withheld": 1,
    "completion_rate": 0.75,
    "publication_rate": 1.0,
    "on_time_rate": 0.5,
}
STATS = {
    "as_of": "2026-03-16",
    "year": 2026,
    "department": None,
    "tasks": [{"task_no": "T1", "deadline": "2026-03-18", "completion_rate": 0.75}],
    "departments": [DEPARTMENT],
    "results_by_category": {"未发现问题": 5, "发现问题待后续处理": 1},
    "by_department": [],
    "by_inspector": [
        {"inspector_id": "LG0002", "name": "乙", "overdue_total": 0, "late_total": 1},
        {"inspector_id": "LG0001", "name": "甲", "overdue_total": 2, "late_total": 0},
    ],
}
ITEM = {
    "kind": "result_publication",
    "status": "overdue",
    "overdue_workdays": 3,
    "inspectors": [{"name": "甲", "inspector_id": "LG0001"}],
}
DUTY = {
    "kinds": {
        "task_not_run": "不执行或拖延执行抽查任务",
        "result_publication": "未按时公示检查结果",
    },
    "items": [
        ITEM,
        {**ITEM, "status": "late", "overdue_workdays": 1},
        {**ITEM, "accountability": "exempt", "exemption": {"status": "granted"}},
    ],
    "summary": {"overdue": 1, "late": 1, "pending_calendar": 0},
    "pending_calendar": [],
}
CALENDAR_2026 = {"year": 2026, "covered": True, "days_off": [], "make_up_workdays": []}


def test_totals_and_rates() -> None:
    totals = figures.totals(STATS)
    assert totals["completion_rate"] == 0.75
    assert totals["publication_rate"] == 1.0  # 2 published of 3 formed, 1 withheld by law
    assert figures.percent_text(None) == "—" and figures.percent_text(0.125) == "12.5%"


def test_month_ends_stop_at_the_day() -> None:
    assert figures.month_ends(2026, date(2026, 3, 16)) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 16),
    ]
    assert len(figures.month_ends(2025, date(2026, 3, 16))) == 12


def test_duties_by_kind_and_the_most_late_inspectors_first() -> None:
    rows, chart = figures.by_kind(DUTY["kinds"], DUTY["items"], {"task_not_run": 2})
    assert rows[1] == {
        "kind": "result_publication",
        "label": "未按时公示检查结果",
        "overdue": 1,  # 问责 only: the exempted one is counted apart
        "late": 1,
        "exempt": 1,
        "due_soon": 0,
    }
    assert chart.data()["series"][2]["data"] == [2, 0]
    assert chart.data()["series"][3] == {"name": "免责", "data": [0, 1]}
    people, people_chart = figures.inspectors(STATS["by_inspector"])
    assert [p["inspector_id"] for p in people] == ["LG0001", "LG0002"]
    assert people_chart.categories == ["甲 LG0001", "乙 LG0002"]
    failures = figures.accountability_rows(DUTY["items"])
    assert failures[0]["status_label"] == "逾期未完成" and failures[0]["who"] == "甲"
    assert [f["exemption_label"] for f in failures] == ["", "免责", ""]


class FakeApi:
    def __init__(self) -> None:
        self.as_of: list[str] = []

    async def get(self, path: str, **params: Any) -> Any:
        if path == "/api/archives/statistics":
            if params.get("as_of"):
                self.as_of.append(params["as_of"])
            return STATS
        if path == "/api/archives/accountability":
            return DUTY
        if path.startswith("/public/calendar/"):
            year = int(path.rsplit("/", 1)[1])
            return CALENDAR_2026 if year == 2026 else {"year": year, "covered": False}
        if path == "/api/objections/objections":
            return {"items": []}
        raise AssertionError(path)


async def test_overview_has_a_chart_and_a_table_of_the_same_numbers() -> None:
    api = FakeApi()
    found = await service.overview(api, None, None)  # type: ignore[arg-type]
    assert api.as_of == ["2026-01-31", "2026-02-28", "2026-03-16"]
    assert [r["month"] for r in found["trend"]] == ["1月", "2月", "3月"]
    departments = found["charts"]["departments"].data()
    assert departments["categories"] == ["市场规范管理科"]
    assert departments["series"][0]["data"] == [75.0]
    # T1's deadline (18 March) is two working days away and it is not complete: due soon.
    assert found["kinds"][0]["due_soon"] == 1
    assert found["charts"]["categories"].categories == ["未发现问题", "发现问题待后续处理"]


def test_inspectors_with_the_lowest_completion_come_first_in_the_chart() -> None:
    rows = [
        {"inspector_id": "LG0001", "name": "王强", "completion_rate": 1.0, "publication_rate": 1.0},
        {
            "inspector_id": "LG0002",
            "name": "李娜",
            "completion_rate": 0.5,
            "publication_rate": None,
        },
        {"inspector_id": "LG0003", "name": None, "completion_rate": None, "publication_rate": None},
    ]
    people, chart = figures.inspector_rates(rows)
    assert [p["label"] for p in people] == ["LG0003", "李娜 LG0002", "王强 LG0001"]
    assert chart.title == "各检查人员完成率与公示率"
    assert chart.categories == ["LG0003", "李娜 LG0002", "王强 LG0001"]
