"""Publication of the rules on real PostgreSQL, through the consumers and HTTP: withheld results
never public (第九条), annual plans with every version (第四条), tasks (第六条), the
20-working-day publication deadline (list and gauge), and the export in the national publicity
system's fields."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from publication.adapters import orm
from publication.domain.model import EXPORT_COLUMNS
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import InspectionSubmitted, ItemResult
from spotcheck_common.events.objections import CorrectionGranted
from spotcheck_common.events.planning import AnnualPlanPublished, TaskPublished
from spotcheck_common.events.types import PendingReason, ResultCategory, TeamRole
from spotcheck_common.settings import Settings
from spotcheck_common.testing import (
    TEST_SECRET,
    ServiceHarness,
    auth_headers,
    calendar_event,
    running,
)

pytestmark = pytest.mark.integration

DISTRICT = "lingang"
USCC = "91371000MA3C000011"
USCC2 = "91371000MA3C000029"
NAMES = {"A01": "营业执照公示情况", "A02": "年度报告公示情况"}
CREDIT = auth_headers("xinyong-1", "credit_dept", district=DISTRICT, department="信用监管科")
SUPERVISOR = auth_headers("keyuan", "supervising_dept", department="食品经营监管科")
LEAD = "食品经营监管科"
WITHHOLD = "涉及国家秘密，依法不予公开"


@pytest.fixture
async def env(pg_url: str) -> AsyncIterator[ServiceHarness]:
    settings = Settings(database_url=pg_url, district=DISTRICT, auth_secret=TEST_SECRET)
    async with running("publication", settings) as harness:
        yield harness


def item(code: str, category: ResultCategory = ResultCategory.NO_PROBLEM, **kw: Any) -> ItemResult:
    return ItemResult(check_item_code=code, check_item_name=NAMES[code], category=category, **kw)


def submitted(
    inspection_id: str = "insp-1",
    uscc: str = USCC,
    completed_on: date = date(2025, 9, 25),
    task_id: str = "task-1",
    task_no: str = "LG-2025-007",
    **kw: Any,
) -> InspectionSubmitted:
    values: dict[str, Any] = {
        "inspection_id": inspection_id,
        "task_id": task_id,
        "task_no": task_no,
        "task_title": "2025年食品经营者双随机抽查",
        "draw_id": "draw-1",
        "uscc": uscc,
        "entity_name": "威海临港某某食品有限公司",
        "inspecting_authority": "威海临港经济技术开发区市场监督管理局",
        "team": [
            TeamMember(inspector_id="i1", name="张三", department="草庙子所", role=TeamRole.LEADER),
            TeamMember(inspector_id="i2", name="李四", department="草庙子所", role=TeamRole.MEMBER),
        ],
        "results": [
            item("A01"),
            item(
                "A02",
                ResultCategory.PROBLEM_PENDING,
                pending_reason=PendingReason.NOT_DISCLOSED,
                remark="已下达责令整改通知书",
            ),
        ],
        "completed_on": completed_on,
        "submitted_by": "i1",
        "plan_no": "LG-JH-2025-01",
        "plan_name": "2025年度食品经营监管科随机抽查工作计划",
        "check_type": "定向抽查",
    }
    values.update(kw)
    return InspectionSubmitted.model_validate(values)


def plan(version: int, **kw: Any) -> AnnualPlanPublished:
    values: dict[str, Any] = {
        "plan_id": "plan-1",
        "plan_no": "LG-JH-2025-01",
        "plan_name": "2025年度食品经营监管科随机抽查工作计划",
        "department": LEAD,
        "year": 2025,
        "plan_version": version,
        "supersedes_version": version - 1 if version > 1 else None,
        "adjustment_reason": "市局新增抽查事项" if version > 1 else "",
        "items": [
            {
                "check_item_code": "A01",
                "check_item_name": NAMES["A01"],
                "scope": "辖区食品经营者",
                "period_from": "2025-03-01",
                "period_to": "2025-11-30",
                "ratio_bp": {"A": 300, "E": 5000},
            }
        ],
        "signed_by": "fuju",
        "consolidated_by": "xinyong-1",
        "approved_by": "juzhang-bangonghui",
        "filed_on": "2025-02-20",
        "published_at": f"2025-0{2 + version}-01T02:00:00+00:00",
    }
    values.update(kw)
    return AnnualPlanPublished.model_validate(values)


def task(**kw: Any) -> TaskPublished:
    values: dict[str, Any] = {
        "task_id": "task-1",
        "task_no": "LG-2025-007",
        "title": "2025年食品经营者双随机抽查",
        "plan_no": "LG-JH-2025-01",
        "plan_name": "2025年度食品经营监管科随机抽查工作计划",
        "lead_department": LEAD,
        "assisting_departments": ["草庙子所"],
        "check_items": [{"code": "A01", "name": NAMES["A01"]}],
        "target_filter": {"industries": ["餐饮业"]},
        "ratio_bp": {"A": 250, "E": 5000},
        "methods": ["现场检查", "书面检查"],
        "deadline": "2025-11-30",
        "source": "city",
        "published_at": "2025-04-01T02:00:00+00:00",
    }
    values.update(kw)
    return TaskPublished.model_validate(values)


async def test_withheld_result_is_never_public_and_listed_for_the_credit_department(
    env: ServiceHarness,
) -> None:
    await env.deliver(submitted(withhold_reason=WITHHOLD))
    await env.deliver(submitted(withhold_reason=WITHHOLD))  # resubmitted: still one
    await env.deliver(submitted("insp-2", USCC2))  # an ordinary result beside it

    (withheld,) = await env.outbox("publication.result-withheld")
    assert withheld["payload"]["reason"] == WITHHOLD and withheld["aggregate_id"] == "task-1"
    assert len(await env.outbox("publication.result-published")) == 1

    assert (await env.client.get("/public/results", params={"uscc": USCC})).json() == {
        "total": 0,
        "items": [],
    }
    for query in ({"task_no": "LG-2025-007"}, {"q": "某某食品"}):
        body = (await env.client.get("/public/results", params=query)).json()
        assert [i["uscc"] for i in body["items"]] == [USCC2], query
    export = await env.client.get("/api/publication/export?format=json", headers=CREDIT)
    assert {r["统一社会信用代码"] for r in export.json()["rows"]} == {USCC2}

    listed = await env.client.get("/api/publication/withheld", headers=CREDIT)
    assert listed.status_code == 200
    (entry,) = listed.json()["items"]
    assert entry["withhold_reason"] == WITHHOLD and entry["uscc"] == USCC
    assert entry["results"][1]["category"] == "发现问题待后续处理"
    refused = await env.client.get("/api/publication/withheld", headers=SUPERVISOR)
    assert refused.status_code == 403 and "信用监管科" in refused.json()["detail"]
    assert (await env.client.get("/api/publication/withheld")).status_code == 401


async def test_annual_plan_versions_current_marked_superseded_kept(env: ServiceHarness) -> None:
    await env.deliver(plan(1))
    await env.deliver(plan(2))
    await env.deliver(plan(1))  # a late redelivery of version 1 changes nothing
    await env.deliver(
        plan(1, plan_id="plan-2", plan_no="LG-JH-2025-02", department="市场规范管理科")
    )
    await env.deliver(plan(1, plan_id="plan-3", plan_no="LG-JH-2024-01", year=2024))

    body = (await env.client.get("/public/plans", params={"year": 2025})).json()
    # One entry per plan, at its current version; 2024's plan is not in 2025's list.
    assert sorted((p["plan_no"], p["plan_version"]) for p in body["items"]) == [
        ("LG-JH-2025-01", 2),
        ("LG-JH-2025-02", 1),
    ]
    assert (
        body["labels"]["plan_no"] == "计划编号" and body["labels"]["filed_on"] == "报市局备案日期"
    )
    only = (await env.client.get("/public/plans", params={"year": 2025, "department": LEAD})).json()
    (current,) = only["items"]
    assert current["status_label"] == "现行" and current["items"][0]["ratio"] == "A类 3%；E类 50%"

    detail = (await env.client.get("/public/plans/plan-1")).json()
    assert detail["current_version"] == 2
    assert [(v["plan_version"], v["status"]) for v in detail["versions"]] == [
        (1, "superseded"),
        (2, "current"),
    ]
    assert detail["versions"][1]["adjustment_reason"] == "市局新增抽查事项"
    assert detail["versions"][0]["adjustment_reason"] == ""
    missing = await env.client.get("/public/plans/nope")
    assert missing.status_code == 404 and "不存在" in missing.json()["detail"]


async def test_tasks_are_public_and_name_the_lead_department_of_results(
    env: ServiceHarness,
) -> None:
    await env.deliver(task())
    await env.deliver(task(task_id="task-2", task_no="LG-2025-008", plan_no="", title="特种设备"))
    by_plan = (await env.client.get("/public/tasks", params={"plan_no": "LG-JH-2025-01"})).json()
    (found,) = by_plan["items"]
    assert found["task_no"] == "LG-2025-007" and found["source_label"] == "市局下派"
    assert found["target_scope"] == "行业：餐饮业" and found["ratio"] == "A类 2.5%；E类 50%"
    assert by_plan["labels"]["lead_department"] == "主办科室"
    assert (await env.client.get("/public/tasks", params={"q": "特种"})).json()["total"] == 1
    detail = (await env.client.get("/public/tasks/task-1")).json()
    assert detail["methods"] == ["现场检查", "书面检查"] and detail["deadline"] == "2025-11-30"
    assert (await env.client.get("/public/tasks/nope")).status_code == 404

    await env.deliver(submitted())  # the task is known: its lead department answers for it
    (published,) = await env.outbox("publication.result-published")
    assert published["payload"]["lead_department"] == LEAD


async def test_overdue_list_and_gauge_across_national_day(env: ServiceHarness) -> None:
    # Formed Thu 2025-09-25 -> due Wed 2025-10-29 (Oct 1-8 off, Sep 28 / Oct 11 worked); it
    # is published only now, long after: overdue. One formed today is not.
    await env.deliver(task())
    await env.deliver(submitted())
    await env.deliver(submitted("insp-2", USCC2, completed_on=env.rt.clock.today()))
    await env.deliver(
        submitted("insp-3", USCC2, task_id="task-9", completed_on=date(2025, 9, 25))
    )  # no published task: the team leader's department answers

    response = await env.client.get("/api/publication/overdue", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2 and body["limit_workdays"] == 20
    first = next(i for i in body["items"] if i["inspection_id"] == "insp-1")
    assert first["publish_due_on"] == "2025-10-29" and first["completed_on"] == "2025-09-25"
    # Published on the test clock's day, Mon 2026-03-16: 93 working days after the due date.
    assert first["department"] == LEAD and first["workdays_late"] == 93
    assert first["published_on"] == env.rt.clock.today().isoformat() == "2026-03-16"
    assert {i["inspection_id"] for i in body["items"]} == {"insp-1", "insp-3"}

    def gauge(department: str) -> float | None:
        return REGISTRY.get_sample_value(
            "spotcheck_overdue_items",
            {"source": "publication", "kind": "result_publication", "department": department},
        )

    await env.rt.run_periodic()  # the runtime's periodic work refreshes the gauge, not a read
    assert gauge(LEAD) == 1 and gauge("草庙子所") == 1
    filtered = await env.client.get(
        "/api/publication/overdue", params={"department": LEAD}, headers=SUPERVISOR
    )
    assert [i["inspection_id"] for i in filtered.json()["items"]] == ["insp-1"]
    entity = auth_headers("qiye", "entity", uscc=USCC)
    assert (await env.client.get("/api/publication/overdue", headers=entity)).status_code == 403


async def test_export_in_the_national_fields_with_bom_and_corrections(env: ServiceHarness) -> None:
    await env.deliver(submitted())
    await env.deliver(submitted("insp-2", USCC2, task_no="LG-2025-099"))
    (published,) = [
        e
        for e in await env.outbox("publication.result-published")
        if e["payload"]["inspection_id"] == "insp-1"
    ]
    record_id = published["payload"]["record_id"]
    # Corrected on the city bureau's grant of the credit department's request (第九条).
    await env.deliver(
        CorrectionGranted(
            request_id="req-1",
            record_id=record_id,
            task_id="task-1",
            uscc=USCC,
            source="credit_department",
            corrected_results=[item("A01", ResultCategory.NO_ACTIVITY)],
            reason="录入错误",
            request_no="临市监信〔2025〕20号",
            requested_on=date(2025, 11, 3),
            requested_by="xinyong-1",
            reply_no="威市监函〔2025〕95号",
            replied_on=date(2025, 11, 10),
            recorded_by="xinyong-2",
        )
    )

    response = await env.client.get(
        "/api/publication/export", params={"task_no": "LG-2025-007"}, headers=CREDIT
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_COLUMNS
    assert rows[0] == [
        "抽查计划编号",
        "抽查计划名称",
        "抽查任务编号",
        "抽查任务名称",
        "抽查类型",
        "检查实施机关",
        "完成日期",
        "检查事项",
        "检查结果",
        "备注",
        "统一社会信用代码",
    ]
    assert len(rows) == 3  # one row per item result of the current version, one task
    a01, a02 = (dict(zip(rows[0], r, strict=True)) for r in rows[1:])
    assert a01["检查事项"] == NAMES["A01"] and a01["检查结果"] == "未发现开展本次抽查涉及的经营活动"
    grant = "经市局 2025-11-10 批复同意更正，威市监函〔2025〕95号"
    assert a01["备注"].startswith(f"更正（第2版，更正第1版，{grant}）：录入错误")
    assert a02["检查结果"] == "发现问题待后续处理（未按规定公示应当公示的信息）"
    assert a02["备注"].endswith("已下达责令整改通知书")
    assert a01["抽查计划编号"] == "LG-JH-2025-01" and a01["抽查类型"] == "定向抽查"
    assert a01["完成日期"] == "2025-09-25" and a01["统一社会信用代码"] == USCC
    assert a01["检查实施机关"] == "威海临港经济技术开发区市场监督管理局"

    as_json = await env.client.get("/api/publication/export?format=json", headers=CREDIT)
    body = as_json.json()
    assert body["columns"] == EXPORT_COLUMNS and len(body["rows"]) == 4

    now = env.rt.clock.today()
    window = {"from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()}
    recent = await env.client.get(
        "/api/publication/export", params={**window, "format": "json"}, headers=CREDIT
    )
    assert len(recent.json()["rows"]) == 4
    past = {"from": "2025-01-01", "to": "2025-12-31", "format": "json"}
    assert (await env.client.get("/api/publication/export", params=past, headers=CREDIT)).json()[
        "rows"
    ] == []
    backwards = {"from": "2025-12-31", "to": "2025-01-01"}
    bad = await env.client.get("/api/publication/export", params=backwards, headers=CREDIT)
    assert bad.status_code == 422 and "起始日期" in bad.json()["detail"]
    wrong = await env.client.get("/api/publication/export?format=xlsx", headers=CREDIT)
    assert wrong.status_code == 422
    refused = await env.client.get("/api/publication/export", headers=SUPERVISOR)
    assert refused.status_code == 403


CLOCK = {"publish_due_on", "publish_due_calendar", "publish_due_pending"}


@pytest.mark.parametrize(
    "column", [c.name for c in orm.result_records.columns if c.name not in CLOCK]
)
async def test_every_published_column_but_the_clock_is_immutable(
    env: ServiceHarness, column: str
) -> None:
    await env.deliver(submitted())
    with pytest.raises(sa.exc.DBAPIError, match="已公示的检查结果不得修改或删除"):
        async with env.rt.db.engine.begin() as conn:
            await conn.execute(sa.text(f"UPDATE result_records SET {column} = {column}"))
    with pytest.raises(sa.exc.DBAPIError, match="已公示的检查结果不得修改或删除"):
        async with env.rt.db.engine.begin() as conn:
            await conn.execute(sa.text("DELETE FROM result_records"))


async def test_a_pending_publication_deadline_is_computed_when_the_year_is_recorded(
    env: ServiceHarness,
) -> None:
    env.rt.clock.set("2026-12-21T10:00:00+08:00")  # type: ignore[attr-defined]
    await env.deliver(submitted(completed_on=date(2026, 12, 21)))
    (published,) = await env.outbox("publication.result-published")
    assert published["payload"]["publish_due_on"] is None
    await env.deliver(calendar_event())
    # Dec 22-25, 28-31, Jan 4-8, 11-15, 18-19 (made-up 2027: Jan 1-3 off): 20 working days.
    assert str(await env.scalar("SELECT publish_due_on FROM result_records")) == "2027-01-19"
    (due,) = await env.outbox("publication.publish-due-set")
    assert due["payload"]["publish_due_on"] == "2027-01-19"
    assert due["payload"]["calendar_version"] == "2026/holidays-0.109,2027/v1"
