"""The "counted as done" report (第八条) in the console, on a fake of the services' APIs: the
period (last month of the services' today by default), a department's draft, submission and
correction, the credit department's consolidation with each department's status, the
leadership's read-only view, a report with its files downloaded with their SHA-256; each
refusal shown beside the form that was refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from portal.adapters.api import ApiError, FieldError
from portal.domain import not_inspected as rules
from portal.entrypoints.console import not_inspected
from portal.entrypoints.web import csrf_of

from .fakes import FakeApi, console_site

TOKEN = "token-of-li-market"
CSRF = csrf_of(TOKEN)
API = "/api/inspections/not-inspected-reports"
MARKET, QUALITY = "市场规范管理科", "质量监督科"
OCTOBER = {"period_start": "2026-10-01", "period_end": "2026-10-31"}
ITEM = {
    "inspection_id": "i1",
    "task_id": "t1",
    "task_no": "LG-2026-07",
    "task_title": "公示信息抽查",
    "uscc": "91371000MA3C000017",
    "entity_name": "威海临港某某商贸有限公司",
    "area": "草庙子镇",
    "reason": "unreachable",
    "reason_label": "通过登记的住所（经营场所）无法联系",
    "occurred_on": None,
    "completed_on": "2026-10-12",
    "submitted_on": "2026-10-13",
    "leader_id": "LG0001",
    "leader_name": "王强",
    "department": MARKET,
    "remark": "两次上门均无人",
}


def report(kind: str = "department", version: int = 1, **fields: Any) -> dict[str, Any]:
    """The inspections service's ReportOut."""
    base: dict[str, Any] = {
        "report_id": f"{kind[0]}{version}",
        "kind": kind,
        "kind_label": "科室名单" if kind == "department" else "汇总名单",
        "department": MARKET if kind == "department" else "",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "version": version,
        "replaces": None,
        "correction_reason": "",
        "note": "",
        "current": True,
        "superseded_by": None,
        "submitted_by": "li.market",
        "submitted_by_name": "李娜",
        "submitted_at": "2026-11-02T01:00:00+00:00",
        "total": 1,
        "xlsx_sha256": "ab" * 32,
        "csv_sha256": "cd" * 32,
        "sources": [],
        "items": [ITEM],
    }
    return base | fields


def department_draft(current: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**OCTOBER, "department": MARKET, "current": current, "total": 1, "items": [ITEM]}


def consolidation_draft(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        **OCTOBER,
        "current": None,
        "reports": [report()],
        "unreported": {QUALITY: 2},
        "total": 1,
        "items": [ITEM],
    }
    return base | fields


class SignedInApi(FakeApi):
    def signed_in(self, token: str) -> SignedInApi:
        assert token == TOKEN
        return self


def site(api: FakeApi) -> httpx.AsyncClient:
    return console_site(api, TOKEN, not_inspected.router)


def answers(role: str = "supervising_dept", department: str = MARKET, **more: Any) -> SignedInApi:
    who = {"user": "li.market", "district": "lingang", "roles": [role], "department": department}
    return SignedInApi(
        {
            "/auth/whoami": who,
            "/public/calendar": {"today": "2026-11-16"},
            f"{API}/department-draft": department_draft(),
            f"{API}/consolidation-draft": consolidation_draft(),
            API: lambda query: {"total": 0, "items": []},
            **more,
        }
    )


def gets(api: FakeApi, path: str) -> list[dict[str, Any]]:
    return [sent for method, p, sent in api.calls if method == "GET" and p == path]


def posted(api: FakeApi) -> list[tuple[str, Any]]:
    return [(path, sent) for method, path, sent in api.calls if method == "POST"]


# ------------------------------------------------------------------------------ the rules


def test_the_default_period_is_the_month_before_today_across_a_year() -> None:
    assert rules.last_month(date(2026, 11, 16)) == rules.Period(
        date(2026, 10, 1), date(2026, 10, 31)
    )
    assert rules.last_month(date(2027, 1, 1)) == rules.Period(date(2026, 12, 1), date(2026, 12, 31))
    assert rules.last_month(date(2028, 3, 31)).end == date(2028, 2, 29)
    assert rules.period_of("2026-10-01", "bogus", date(2026, 11, 16)).start == date(2026, 10, 1)
    assert rules.period_of("2026-01-01", "2026-06-30", date(2026, 11, 16)).end == date(2026, 6, 30)


def test_who_sees_and_does_what() -> None:
    assert rules.view_of(["supervising_dept"], MARKET, QUALITY) == rules.View(
        MARKET, True, False, False
    )  # a department never sees another's list
    assert rules.view_of(["inspector"], "") == rules.View("", False, False, False)
    credit = rules.view_of(["credit_dept"], "信用监管科")
    assert credit == rules.View("信用监管科", True, True, True)
    assert rules.view_of(["credit_dept"], "信用监管科", MARKET).submits is False
    leader = rules.view_of(["deputy_director"], "", MARKET)
    assert leader == rules.View(MARKET, False, True, False)


def test_a_correction_names_its_version_and_reason_and_a_first_report_does_not() -> None:
    first = {**OCTOBER, "note": " 零报告 ", "replaces": "", "correction_reason": "x"}
    assert rules.report_body(first) == {**OCTOBER, "note": "零报告"}
    fixed = rules.report_body({**OCTOBER, "replaces": "d1", "correction_reason": " 漏报 "})
    assert fixed["replaces"] == "d1" and fixed["correction_reason"] == "漏报"


def test_each_departments_status_reported_and_unreported() -> None:
    rows = rules.department_rows(
        consolidation_draft(unreported={QUALITY: 2, MARKET: 1})
    )  # the market department reported, then a form was submitted in the period
    assert [(r["department"], bool(r["report"]), r["unreported"]) for r in rows] == [
        (MARKET, True, 1),
        (QUALITY, False, 2),
    ]


# ----------------------------------------------------------------------- a department's page


async def test_a_department_sees_last_months_draft_and_the_submission_form() -> None:
    api = answers()
    async with site(api) as client:
        html = (await client.get("/console/not-inspected-reports")).text
    [query] = gets(api, f"{API}/department-draft")
    assert query == {**OCTOBER, "department": MARKET}  # the services' today, not the clock
    assert "威海临港某某商贸有限公司" in html and "两次上门均无人" in html
    form = html.split('action="/console/not-inspected-reports/department"')[1].split("</form>")[0]
    assert 'name="period_start" value="2026-10-01"' in form and 'name="replaces"' not in form
    assert "本期尚未报送" in html
    assert "consolidated" not in html and not gets(api, f"{API}/consolidation-draft")


async def test_a_submission_goes_to_the_service_and_opens_the_report() -> None:
    api = answers(**{f"{API}/department": report()})
    async with site(api) as client:
        done = await client.post(
            "/console/not-inspected-reports/department",
            data={"csrf": CSRF, **OCTOBER, "note": "十月名单"},
        )
        forged = await client.post(
            "/console/not-inspected-reports/department", data={"csrf": "x", **OCTOBER}
        )
    assert done.status_code == 303
    assert done.headers["location"].startswith("/console/not-inspected-reports/d1?notice=")
    assert "第 1 版" in httpx.URL(done.headers["location"]).params["notice"]
    assert posted(api) == [(f"{API}/department", {**OCTOBER, "note": "十月名单"})]
    assert forged.status_code == 403 and len(posted(api)) == 1


async def test_a_submitted_period_offers_the_correction_of_its_current_version() -> None:
    current = report()
    older = report(version=1, report_id="d0", current=False, superseded_by="d1")
    api = answers(
        **{
            f"{API}/department-draft": department_draft(current),
            API: {"total": 2, "items": [report(version=2, report_id="d1"), older]},
        }
    )
    async with site(api) as client:
        html = (await client.get("/console/not-inspected-reports", params=OCTOBER)).text
    form = html.split('action="/console/not-inspected-reports/department"')[1].split("</form>")[0]
    assert 'name="replaces" value="d1"' in form and 'name="correction_reason"' in form
    assert "已更正" in html and "现行" in html  # the versions, the old one marked
    [versions] = gets(api, API)
    assert versions == {"kind": "department", "department": MARKET, **OCTOBER}


async def test_a_refused_submission_is_shown_beside_its_form_as_filled_in() -> None:
    refusal = ApiError(
        422, "更正须写明更正原因", [FieldError("correction_reason", "更正须写明更正原因")]
    )
    api = answers(
        **{f"{API}/department-draft": department_draft(report()), f"{API}/department": refusal}
    )
    async with site(api) as client:
        page = await client.post(
            "/console/not-inspected-reports/department",
            data={"csrf": CSRF, **OCTOBER, "replaces": "d1", "note": "保留的说明"},
        )
    assert page.status_code == 422
    form = page.text.split('action="/console/not-inspected-reports/department"')[1]
    assert 'id="e-correction_reason">更正须写明更正原因' in form
    assert ">保留的说明</textarea>" in form


async def test_a_token_without_a_department_sees_why_and_no_list() -> None:
    api = answers("supervising_dept", "")
    async with site(api) as client:
        html = (await client.get("/console/not-inspected-reports")).text
    assert "令牌须写明所在科室" in html and not gets(api, f"{API}/department-draft")


# --------------------------------------------------------- the credit department, the leaders


async def test_the_credit_department_sees_each_departments_status_and_consolidates() -> None:
    api = answers("credit_dept", "信用监管科")
    async with site(api) as client:
        html = (await client.get("/console/not-inspected-reports", params=OCTOBER)).text
    table = html.split("各科室报送情况")[1].split("</table>")[0]
    assert (
        MARKET in table
        and "已报送" in table
        and 'href="/console/not-inspected-reports/d1"' in table
    )
    assert QUALITY in table and "未报送" in table and '<span class="badge bad">2</span>' in table
    assert 'action="/console/not-inspected-reports/consolidated"' in html
    assert 'action="/console/not-inspected-reports/department"' in html  # its own tasks' list
    assert gets(api, f"{API}/department-draft")[0]["department"] == "信用监管科"


async def test_a_consolidation_refused_for_unreported_departments_says_so_at_its_form() -> None:
    refusal = ApiError(409, "尚有科室未报送本期名单：质量监督科（2 个）")
    api = answers("credit_dept", "信用监管科", **{f"{API}/consolidated": refusal})
    async with site(api) as client:
        page = await client.post(
            "/console/not-inspected-reports/consolidated", data={"csrf": CSRF, **OCTOBER}
        )
    assert page.status_code == 409
    form = page.text.split('action="/console/not-inspected-reports/consolidated"')[1]
    assert 'id="refused-consolidated">尚有科室未报送本期名单：质量监督科（2 个）' in form
    assert 'id="refused-department"' not in page.text  # the other form is not blamed


async def test_a_consolidated_period_shows_its_versions_and_the_correction_form() -> None:
    current = report("consolidated", 2, sources=[])
    old = report("consolidated", 1, report_id="c0", current=False, superseded_by="c2")

    def listed(query: dict[str, Any]) -> dict[str, Any]:
        found = [current, old] if query.get("kind") == "consolidated" else []
        return {"total": len(found), "items": found}

    api = answers(
        "credit_dept",
        "信用监管科",
        **{f"{API}/consolidation-draft": consolidation_draft(current=current), API: listed},
    )
    async with site(api) as client:
        html = (await client.get("/console/not-inspected-reports", params=OCTOBER)).text
    part = html.split('id="h-consolidation"')[1]
    assert 'name="replaces" value="c2"' in part and "已更正" in part
    assert "本期已汇总上报第 2 版" in part


async def test_the_leadership_reads_a_department_and_the_consolidation_without_forms() -> None:
    api = answers("deputy_director", "")
    async with site(api) as client:
        html = (
            await client.get(
                "/console/not-inspected-reports", params={**OCTOBER, "department": QUALITY}
            )
        ).text
    assert f"{QUALITY}的名单" in html and "各科室报送情况" in html
    assert '<form method="post"' not in html
    assert gets(api, f"{API}/department-draft")[0]["department"] == QUALITY


# ------------------------------------------------------------------- a report and its files


async def test_a_report_shows_its_objects_and_files_with_their_hashes() -> None:
    fixed = report(version=2, report_id="d2", replaces="d1", correction_reason="漏报一户")
    async with site(answers(**{f"{API}/d2": fixed})) as client:
        html = (await client.get("/console/not-inspected-reports/d2")).text
    assert 'href="/console/not-inspected-reports/d2/file?format=xlsx"' in html
    assert 'href="/console/not-inspected-reports/d2/file?format=csv"' in html
    assert "ab" * 32 in html and "cd" * 32 in html
    assert "漏报一户" in html and 'href="/console/not-inspected-reports/d1"' in html
    assert "91371000MA3C000017" in html


async def test_a_file_is_downloaded_through_the_portal_with_its_hash() -> None:
    served = httpx.Response(
        200,
        content=b"\xef\xbb\xbf\xe5\xba\x8f\xe5\x8f\xb7",
        headers={
            "content-type": "text/csv",
            "content-disposition": "attachment; filename*=UTF-8''list.csv",
            "x-content-sha256": "cd" * 32,
            "set-cookie": "not=forwarded",
        },
    )
    api = answers(**{f"{API}/d1/file": served})
    async with site(api) as client:
        got = await client.get("/console/not-inspected-reports/d1/file?format=csv")
        await client.get("/console/not-inspected-reports/d1/file?format=exe")
    assert got.content.startswith(b"\xef\xbb\xbf") and got.headers["x-content-sha256"] == "cd" * 32
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "set-cookie" not in got.headers
    formats = [sent["params"]["format"] for m, p, sent in api.calls if p == f"{API}/d1/file"]
    assert formats == ["csv", "xlsx"]  # an unknown format asks for the city's spreadsheet
