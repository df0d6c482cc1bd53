"""Corrections requested of the city bureau (第九条) in the console, on a fake of the services'
APIs: the request from an objection's page and from a published result's page, the list, the
city's reply (with or without its scan), the scan's download, what awaits the credit
department; each refusal shown beside the form that was refused."""

from __future__ import annotations

from typing import Any

import httpx

from portal.adapters.api import ApiError, FieldError
from portal.domain import corrections as rules
from portal.entrypoints.console import corrections, objections, publication
from portal.entrypoints.web import csrf_of
from portal.service_layer import awaiting

from .fakes import FakeApi, console_site

TOKEN = "token-of-zhang-credit"
CSRF = csrf_of(TOKEN)
API = "/api/objections/corrections"
RESULTS: list[dict[str, Any]] = [
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
RECORD = {
    "record_id": "r1",
    "entity_name": "威海临港某某商贸有限公司",
    "uscc": "91371000MA3C000017",
    "current_version": 1,
    "versions": [{"version": 1, "status": "current", "status_label": "现行", "results": RESULTS}],
}


def request(status: str = "requested", **fields: Any) -> dict[str, Any]:
    """The objections service's CorrectionRequestOut."""
    base: dict[str, Any] = {
        "request_id": "q1",
        "record_id": "r1",
        "task_id": "t1",
        "uscc": "91371000MA3C000017",
        "objection_id": None,
        "source": "credit_department",
        "corrected_results": [{**RESULTS[0], "category": "未发现问题", "pending_reason": None}],
        "reason": "检查组长录入时误选",
        "request_no": "临市监信〔2026〕12号",
        "requested_on": "2026-11-16",
        "requested_by": "zhang.credit",
        "requested_at": "2026-11-16T02:00:00+00:00",
        "record_version": 1,
        "note": "",
        "status": status,
        "status_label": rules.STATUSES[status],
        "reply_no": None,
        "replied_on": None,
        "reply_reason": None,
        "reply_recorded_by": None,
        "reply_recorded_at": None,
        "document": None,
    }
    return base | fields


NONE: dict[str, Any] = {"total": 0, "items": []}
GRANTED = request(
    "granted",
    reply_no="威市监函〔2026〕3号",
    replied_on="2026-11-20",
    reply_recorded_by="zhang.credit",
    reply_recorded_at="2026-11-20T03:00:00+00:00",
    document={
        "filename": "批复.pdf",
        "media_type": "application/pdf",
        "size": 1234,
        "sha256": "ab" * 32,
        "recorded_by": "zhang.credit",
        "recorded_at": "2026-11-20T03:00:00+00:00",
        "href": f"{API}/q1/document",
    },
)


class SignedInApi(FakeApi):
    def signed_in(self, token: str) -> SignedInApi:
        assert token == TOKEN
        return self


def site(api: FakeApi) -> httpx.AsyncClient:
    return console_site(api, TOKEN, corrections.router, objections.router, publication.router)


def answers(role: str = "credit_dept", /, **more: Any) -> SignedInApi:
    who = {"user": "zhang.credit", "district": "lingang", "roles": [role]}
    return SignedInApi(
        {
            "/auth/whoami": who,
            "/public/results/r1": RECORD,
            API: NONE,
            f"{API}/q1": request(),
            **more,
        }
    )


def posted(api: FakeApi) -> list[tuple[str, Any]]:
    return [(path, sent) for method, path, sent in api.calls if method == "POST"]


# ------------------------------------------------------------------------------ the rules


def test_a_requests_form_leaves_an_empty_date_to_the_service() -> None:
    sent = {"request_no": " 临市监信〔2026〕12号 ", "requested_on": "", "note": " 附件 "}
    assert rules.request_body(sent) == {"request_no": "临市监信〔2026〕12号", "note": "附件"}
    dated = rules.request_body(sent | {"requested_on": "2026-11-10"})
    assert dated["requested_on"] == "2026-11-10"
    reply = {"decision": "refused", "reply_no": " 函3号 ", "replied_on": "", "reason": " 无误 "}
    assert rules.reply_fields(reply) == {
        "decision": "refused",
        "reply_no": "函3号",
        "reason": "无误",
    }


# --------------------------------------- an error the bureau found: from the result's page


async def test_the_record_page_requests_of_the_city_and_no_longer_publishes_itself() -> None:
    async with site(answers()) as client:
        html = (await client.get("/console/publication/records/r1")).text
    assert 'action="/console/publication/records/r1/correction-request"' in html
    assert "/records/r1/corrections" not in html  # the removed direct correction
    assert 'name="request_no"' in html and 'name="requested_on"' in html
    assert "报请市局更正" in html and "尚无更正报请" in html


async def test_an_open_request_is_linked_instead_of_a_second_form() -> None:
    api = answers(**{API: {"total": 1, "items": [request()]}})
    async with site(api) as client:
        html = (await client.get("/console/publication/records/r1")).text
    assert "correction-request" not in html
    assert 'href="/console/corrections/q1"' in html and "待市局批复" in html


async def test_the_bureaus_request_sends_only_the_changed_items_and_its_document() -> None:
    api = answers(**{API: lambda sent: request() if "request_no" in sent else NONE})
    form = {
        "csrf": CSRF,
        "category.0": "未发现问题",
        "pending_reason.0": "",
        "remark.0": "",
        "category.1": "未发现问题",
        "reason": "检查组长录入时误选",
        "request_no": "临市监信〔2026〕12号",
        "requested_on": "",
    }
    async with site(api) as client:
        done = await client.post("/console/publication/records/r1/correction-request", data=form)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/console/corrections/q1?notice=")
    [(path, body)] = posted(api)
    assert path == API
    assert body == {
        "record_id": "r1",
        "reason": "检查组长录入时误选",
        "corrected_results": [
            {
                "check_item_code": "GS-01",
                "check_item_name": "企业公示信息抽查",
                "category": "未发现问题",
                "pending_reason": None,
                "remark": "",
            }
        ],
        "request_no": "临市监信〔2026〕12号",
        "note": "",
    }


async def test_a_refused_bureau_request_keeps_the_form_and_shows_each_reason() -> None:
    def refuse(body: Any) -> Any:
        if "request_no" in body:
            raise ApiError(
                422,
                "请求内容不符合要求",
                [
                    FieldError("request_no", "至少 1 个字符"),
                    FieldError("corrected_results[0].pending_reason", "须选择原因"),
                ],
            )
        return NONE

    form = {
        "csrf": CSRF,
        "category.0": "发现问题待后续处理",
        "pending_reason.0": "",
        "remark.0": "kept",
        "category.1": "未发现问题",
        "reason": "误选",
        "request_no": "",
    }
    async with site(answers(**{API: refuse})) as client:
        page = await client.post("/console/publication/records/r1/correction-request", data=form)
    assert page.status_code == 422
    assert 'id="e-request_no">至少 1 个字符' in page.text
    assert 'id="e-pending-0">须选择原因' in page.text  # back on the form's own row
    assert ">kept</textarea>" in page.text and ">误选</textarea>" in page.text


# ------------------------------------------------ an error an objection's review confirmed


def objection(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "objection_id": "o1",
        "record_id": "r1",
        "record_version": 1,
        "uscc": "91371000MA3C000017",
        "reason": "已公示年报",
        "status": "corrected",
        "status_label": "确有错误",
        "received_on": "2026-11-16",
        "decided_on": "2026-11-16",
        "review_due_on": "2026-12-14",
        "feedback_due_on": "2026-12-07",
        "correction_due_on": "2026-11-23",
        "feedback_given_on": None,
        "correction_published_on": None,
        "awaiting_credit_department": True,
        "city_request_id": None,
        "deadlines": {},
        "overdue": {"review": False, "feedback": False, "correction": False, "any": False},
    }
    return base | fields


def objection_answers(found: dict[str, Any], **more: Any) -> SignedInApi:
    year = {"year": 2026, "covered": True, "days_off": [], "make_up_workdays": []}
    return answers(
        **{
            "/api/objections/objections/o1": found,
            "/public/calendar": {"today": "2026-11-16"},
            "/public/calendar/2026": year,
            **more,
        }
    )


async def test_the_objections_request_names_the_document_sent_to_the_city() -> None:
    api = objection_answers(objection(), **{"/api/objections/objections/o1/correction": {}})
    async with site(api) as client:
        html = (await client.get("/console/objections/o1")).text
        assert 'action="/console/objections/o1/correction"' in html
        assert 'name="request_no"' in html
        done = await client.post(
            "/console/objections/o1/correction",
            data={"csrf": CSRF, "request_no": "临市监信〔2026〕13号", "requested_on": "2026-11-16"},
        )
    assert done.status_code == 303
    assert posted(api) == [
        (
            "/api/objections/objections/o1/correction",
            {"request_no": "临市监信〔2026〕13号", "note": "", "requested_on": "2026-11-16"},
        )
    ]


async def test_a_refused_objection_request_is_shown_at_its_field() -> None:
    late = ApiError(422, "报请文件的日期不能晚于今天", [FieldError("requested_on", "不能晚于今天")])
    api = objection_answers(objection(), **{"/api/objections/objections/o1/correction": late})
    async with site(api) as client:
        page = await client.post(
            "/console/objections/o1/correction",
            data={"csrf": CSRF, "request_no": "13号", "requested_on": "2026-11-30"},
        )
    assert page.status_code == 422
    form = page.text.split('action="/console/objections/o1/correction"')[1]
    assert 'id="e-requested_on">不能晚于今天' in form and 'value="13号"' in form


async def test_an_objection_shows_its_request_and_no_second_form() -> None:
    asked = objection(
        awaiting_credit_department=False,
        city_request_id="q1",
        city_requested_on="2026-11-17",
        correction_clock_stopped=True,
    )
    async with site(objection_answers(asked)) as client:
        html = (await client.get("/console/objections/o1")).text
    assert 'href="/console/corrections/q1"' in html and "更正期限停止计算" in html
    assert 'action="/console/objections/o1/correction"' not in html


# ------------------------------------------------------------ the list and the city's reply


async def test_the_list_filters_by_status_and_ignores_an_unknown_one() -> None:
    api = answers(**{API: {"total": 1, "items": [GRANTED]}})
    async with site(api) as client:
        html = (await client.get("/console/corrections?status=granted")).text
        await client.get("/console/corrections?status=bogus")
    assert 'href="/console/corrections/q1"' in html and "威市监函〔2026〕3号" in html
    queries = [q for m, p, q in api.calls if p == API]
    assert queries[0]["status"] == "granted" and queries[1]["status"] == ""


async def test_a_role_the_service_refuses_sees_its_reason() -> None:
    api = answers("entity", **{API: ApiError(403, "缺少角色：需要本局工作人员")})
    async with site(api) as client:
        page = await client.get("/console/corrections")
    assert page.status_code == 403 and "缺少角色：需要本局工作人员" in page.text


async def test_a_request_awaiting_the_city_has_the_reply_form_for_the_credit_department() -> None:
    async with site(answers()) as client:
        html = (await client.get("/console/corrections/q1")).text
    form = html.split('action="/console/corrections/q1/reply"')[1]
    assert 'enctype="multipart/form-data"' in form
    assert 'value="granted"' in form and 'value="refused"' in form and 'type="file"' in form
    assert "发现问题待后续处理" in html and "未发现问题" in html  # now and corrected to
    async with site(answers("supervising_dept")) as client:
        html = (await client.get("/console/corrections/q1")).text
    assert "/q1/reply" not in html  # the credit department records the reply


async def test_a_replied_request_shows_the_reply_and_its_scan() -> None:
    async with site(answers(**{f"{API}/q1": GRANTED})) as client:
        html = (await client.get("/console/corrections/q1")).text
    assert "/q1/reply" not in html
    assert "威市监函〔2026〕3号（2026-11-20）：同意更正" in html
    assert 'href="/console/corrections/q1/document"' in html and "ab" * 32 in html


async def test_the_reply_goes_as_the_services_multipart_form_with_its_scan() -> None:
    api = answers(**{f"{API}/q1/reply": GRANTED})
    scan = b"%PDF-1.7 city reply"
    async with site(api) as client:
        done = await client.post(
            "/console/corrections/q1/reply",
            data={"csrf": CSRF, "decision": "granted", "reply_no": "威市监函〔2026〕3号"},
            files={"file": ("批复.pdf", scan, "application/pdf")},
        )
    assert done.status_code == 303
    assert "同意更正" in httpx.URL(done.headers["location"]).params["notice"]
    [(path, sent)] = posted(api)
    assert path == f"{API}/q1/reply"
    assert sent["data"] == {"decision": "granted", "reply_no": "威市监函〔2026〕3号", "reason": ""}
    assert sent["files"] == {"file": ("批复.pdf", scan, "application/pdf")}


async def test_a_reply_without_a_scan_is_sent_as_json() -> None:
    api = answers(**{f"{API}/q1/reply": request("refused")})
    async with site(api) as client:
        done = await client.post(
            "/console/corrections/q1/reply",
            data={"csrf": CSRF, "decision": "refused", "reply_no": "函4号", "reason": "无误"},
            files={"file": ("", b"", "application/octet-stream")},
        )
    assert done.status_code == 303
    [(_, sent)] = posted(api)
    assert sent == {"decision": "refused", "reply_no": "函4号", "reason": "无误"}


async def test_a_refused_reply_is_shown_beside_the_form_as_filled_in() -> None:
    no_reason = ApiError(
        422, "不予更正的须写明理由", [FieldError("reason", "不予更正的须写明理由")]
    )
    api = answers(**{f"{API}/q1/reply": no_reason})
    async with site(api) as client:
        page = await client.post(
            "/console/corrections/q1/reply",
            data={"csrf": CSRF, "decision": "refused", "reply_no": "函4号"},
        )
        forged = await client.post("/console/corrections/q1/reply", data={"csrf": "x"})
    assert page.status_code == 422
    form = page.text.split('action="/console/corrections/q1/reply"')[1]
    assert 'id="e-reason">不予更正的须写明理由' in form
    assert 'value="函4号"' in form and 'value="refused" checked' in form
    assert forged.status_code == 403 and len(posted(api)) == 1  # not from our page: not sent


async def test_the_scan_is_downloaded_as_an_attachment_with_its_hash() -> None:
    served = httpx.Response(
        200,
        content=b"%PDF-1.7",
        headers={
            "content-type": "application/pdf",
            "content-disposition": 'attachment; filename="city-reply-q1.pdf"',
            "x-content-sha256": "cd" * 32,
            "set-cookie": "not=forwarded",
        },
    )
    async with site(answers(**{f"{API}/q1/document": served})) as client:
        got = await client.get("/console/corrections/q1/document")
    assert got.content == b"%PDF-1.7" and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-sha256"] == "cd" * 32
    assert got.headers["x-content-type-options"] == "nosniff" and "set-cookie" not in got.headers


# ------------------------------------------------------------------------ the to-do list


async def test_requests_awaiting_the_citys_reply_await_the_credit_department() -> None:
    api: Any = FakeApi(
        {
            "/api/planning/plans": {"items": []},
            "/api/draws/draws": {"items": []},
            "/api/draws/joint-draws": {"items": []},
            "/api/objections/objections": {"items": []},
            API: {"total": 1, "items": [request()]},
        }
    )
    found = await awaiting.of(api, ["credit_dept"])
    (waiting,) = [w for w in found if w.title == "更正报请待登记市局批复"]
    assert waiting.items == [
        (
            "临市监信〔2026〕12号（91371000MA3C000017）",
            "/console/corrections/q1",
            "报请于 2026-11-16",
        )
    ]
    assert ("GET", API, {"status": "requested", "limit": 200}) in api.calls
