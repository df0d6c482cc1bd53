"""A correction the bureau requests of the city bureau, as the credit department's form gives
it: only the changed items, the service's reasons back on the form's rows."""

from __future__ import annotations

from typing import Any, cast

from portal.adapters.api import Api, ApiError
from portal.domain import publication as rules
from portal.service_layer import publication

from .fakes import FakeApi

CURRENT = [
    {
        "check_item_code": "GS-01",
        "check_item_name": "企业公示信息抽查",
        "category": "发现问题待后续处理",
        "pending_reason": "未按规定公示应当公示的信息",
        "remark": "年报未公示",
    },
    {
        "check_item_code": "DJ-01",
        "check_item_name": "登记事项检查",
        "category": "未发现问题",
        "pending_reason": None,
        "remark": "",
    },
]
UNCHANGED = {
    "category.0": "发现问题待后续处理",
    "pending_reason.0": "未按规定公示应当公示的信息",
    "remark.0": "年报未公示",
    "category.1": "未发现问题",
    "pending_reason.1": "",
    "remark.1": "",
}


def test_only_the_changed_items_are_sent() -> None:
    sent = UNCHANGED | {
        "category.1": "发现问题经责令已改正",
        "remark.1": "已改正",
        "reason": " 误选 ",
    }
    body, rows = rules.correction_body(sent, CURRENT)
    assert body == {
        "reason": "误选",
        "corrected_results": [
            {
                "check_item_code": "DJ-01",
                "check_item_name": "登记事项检查",
                "category": "发现问题经责令已改正",
                "pending_reason": None,
                "remark": "已改正",
            }
        ],
    }
    assert rows == [1]


def test_nothing_changed_sends_every_item_for_the_service_to_say_so() -> None:
    body, rows = rules.correction_body(UNCHANGED | {"reason": "核对"}, CURRENT)
    assert len(body["corrected_results"]) == 2 and rows == [0, 1]


def test_the_services_reasons_land_on_the_forms_rows() -> None:
    fields = {"corrected_results[0].pending_reason": "必填", "reason": "不能为空"}
    assert rules.renumbered(fields, [1]) == {
        "results[1].pending_reason": "必填",
        "reason": "不能为空",
    }


def test_the_current_version() -> None:
    record = {
        "results": [],
        "versions": [{"version": 1, "status": "superseded"}, {"version": 2, "status": "current"}],
    }
    assert rules.current_version(record)["version"] == 2
    assert rules.current_version({"results": [1]}) == {"results": [1]}


async def test_a_role_that_may_not_read_withheld_results_sees_the_reason() -> None:
    fake = FakeApi(
        {
            "/api/publication/overdue": {
                "total": 0,
                "items": [],
                "limit_workdays": 20,
                "pending_calendar": 0,
            },
            "/api/publication/withheld": ApiError(
                403, "缺少角色：需要 信用监管科(credit_dept) 之一"
            ),
            "/public/results": {"total": 1, "items": [{"record_id": "r1"}]},
        }
    )
    page = await publication.overview(cast(Api, fake), {"task_no": "T-1"})
    assert page["withheld"] is None and "信用监管科" in page["withheld_refusal"]
    assert page["found"]["items"] == [{"record_id": "r1"}]
    empty = await publication.overview(cast(Api, FakeApi(fake.answers)), {})
    assert empty["found"] is None  # nothing asked, nothing searched


async def test_the_record_page_takes_the_current_versions_lines_and_its_requests() -> None:
    record: dict[str, Any] = {"versions": [{"status": "current", "results": CURRENT}]}
    asked = {"total": 1, "items": [{"request_id": "q1", "status": "requested"}]}
    fake = FakeApi({"/public/results/r1": record, "/api/objections/corrections": asked})
    page = await publication.record(cast(Api, fake), "r1")
    assert page["current"] == CURRENT
    assert page["requests"] == asked["items"]
    assert ("GET", "/api/objections/corrections", {"record_id": "r1", "limit": 50}) in fake.calls
    # a person who may not read the requests still sees the result
    fake.answers["/api/objections/corrections"] = ApiError(403, "缺少角色")
    assert (await publication.record(cast(Api, fake), "r1"))["requests"] == []
