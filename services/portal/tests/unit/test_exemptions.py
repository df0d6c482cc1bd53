"""Exemptions from accountability (第十三条) in the console, on a fake of the services' APIs:
问责 and 免责 apart on the statistics page, each item's exemption and who is offered the form;
the proposal (the task dossier's attachments offered as evidence; files uploaded first, then
the proposal citing them and the attachments chosen; a refusal keeps what was uploaded and
chosen); the director's meeting's queue and decision; both kinds of evidence with their
SHA-256."""

from __future__ import annotations

from typing import Any

import httpx

from portal.adapters.api import ApiError, FieldError
from portal.domain import exemptions as rules
from portal.entrypoints.console import dossiers, exemptions, statistics
from portal.entrypoints.web import csrf_of

from .fakes import FakeApi, console_site

TOKEN = "token-of-li-market"
CSRF = csrf_of(TOKEN)
API = "/api/archives/exemptions"
MARKET, QUALITY = "市场规范管理科", "质量监督科"
ITEM_ID = "task_not_run:t1:91371000MA3C000017"


def failure(**fields: Any) -> dict[str, Any]:
    """An item of the archives service's accountability report."""
    base: dict[str, Any] = {
        "item_id": ITEM_ID,
        "kind": "task_not_run",
        "kind_label": "不执行或拖延执行抽查任务",
        "status": "overdue",
        "task_id": "t1",
        "task_no": "LG-2026-07",
        "task_title": "公示信息抽查",
        "department": MARKET,
        "inspectors": [{"inspector_id": "LG0001", "name": "王强"}],
        "due_on": "2026-10-31",
        "done_on": None,
        "overdue_workdays": 11,
        "subject": {},
        "description": "检查对象 91371000MA3C000017 逾期未检查",
        "accountability": "accountable",
        "accountability_label": "问责",
        "exemption": None,
    }
    return base | fields


def summary(status: str) -> dict[str, Any]:
    return {"exemption_id": f"x-{status}", "status": status, "circumstances": []}


EVIDENCE = {
    "evidence_id": "e1",
    "source": "archives",
    "task_id": "t1",
    "filename": "工作记录.pdf",
    "media_type": "application/pdf",
    "size": 2048,
    "sha256": "ef" * 32,
    "added_by": "li.market",
    "added_at": "2026-11-16T02:00:00+00:00",
    "seq": None,
}


# Entries of the task's dossier contents (archives' …/contents): two attachments, filed at
# seq 5 (an on-site note) and 9 (a lab report), and an event, which is no evidence.
NOTE_ID, LAB_ID = "a-note", "a-lab"
CONTENTS = "/api/archives/dossiers/t1/contents"


def attachment(seq: int, attachment_id: str, kind: str, filename: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "kind": "attachment",
        "entry_hash": f"{seq:02d}" * 32,
        "event_type": "inspections.attachment-added",
        "occurred_at": "2026-11-10T02:00:00+00:00",
        "attachment_id": attachment_id,
        "attachment_kind": kind,
        "filename": filename,
        "media_type": "application/pdf",
        "size": 4096,
        "sha256": f"{seq:x}" * 64,
        "uscc": "91371000MA3C000017",
    }


def category(code: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": code,
        "label": code,
        "required": False,
        "count": len(entries),
        "entries": [*entries],
    }


DOSSIER = {
    "task_id": "t1",
    "entry_count": 9,
    "head_hash": "ab" * 32,
    "article": "实施细则第十二条",
    "missing": [],
    "verification": {"ok": True, "checked": 9},
    "categories": [
        category(
            "draw_record",
            {
                "seq": 2,
                "kind": "event",
                "entry_hash": "02" * 32,
                "event_type": "draws.draw-completed",
            },
        ),
        category("onsite_note", attachment(5, NOTE_ID, "onsite_note", "现场笔录.pdf")),
        category("sampling", attachment(9, LAB_ID, "lab_report", "检验报告.pdf")),
    ],
}
# The lab report as a proposal's evidence (archives' EvidenceOut of a dossier attachment).
DOSSIER_EVIDENCE = {
    "evidence_id": LAB_ID,
    "source": "dossier",
    "task_id": "t1",
    "filename": "检验报告.pdf",
    "media_type": "application/pdf",
    "size": 4096,
    "sha256": "9" * 64,
    "added_by": "LG0001",
    "added_at": "2026-11-10T02:00:00+00:00",
    "seq": 9,
}


def proposal(status: str = "proposed", **fields: Any) -> dict[str, Any]:
    """The archives service's ExemptionOut."""
    item = {k: failure()[k] for k in ("kind", "kind_label", "status", "department", "due_on")}
    base: dict[str, Any] = {
        "exemption_id": "x1",
        "status": status,
        "item_id": ITEM_ID,
        "task_id": "t1",
        "department": MARKET,
        "item": {**item, "inspectors": [], "subject": {}, "description": "逾期未检查"},
        "circumstances": ["duties_done_under_plan"],
        "circumstance_labels": [rules.CIRCUMSTANCES["duties_done_under_plan"]],
        "statement": "按计划两次上门",
        "evidence": [EVIDENCE],
        "proposed_by": "li.market",
        "proposing_department": MARKET,
        "proposed_at": "2026-11-16T02:00:00+00:00",
        "seq": 7,
        "entry_hash": "12" * 32,
        "decision": None,
    }
    return base | fields


GRANTED = proposal(
    "granted",
    decision={
        "granted": True,
        "reasons": "已尽职",
        "meeting_date": "2026-11-20",
        "minute_no": "2026-12",
        "decided_by": "director",
        "decided_at": "2026-11-20T08:00:00+00:00",
        "seq": 9,
        "proposal_entry_hash": "12" * 32,
    },
)


def report(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "as_of": "2026-11-16",
        "kinds": {"task_not_run": "不执行或拖延执行抽查任务"},
        "summary": {
            "overdue": 1,
            "late": 0,
            "exempt": 1,
            "exemption_proposed": 0,
            "pending_calendar": 0,
        },
        "by_department": [],
        "by_inspector": [],
        "items": list(items),
        "pending_calendar": [],
    }


STATS = {
    "as_of": "2026-11-16",
    "year": 2026,
    "tasks": [],
    "departments": [],
    "results_by_category": {},
    "by_inspector": [],
}


class SignedInApi(FakeApi):
    def signed_in(self, token: str) -> SignedInApi:
        assert token == TOKEN
        return self


def site(api: FakeApi) -> httpx.AsyncClient:
    return console_site(api, TOKEN, exemptions.router, statistics.router, dossiers.router)


def answers(role: str = "supervising_dept", department: str = MARKET, **more: Any) -> SignedInApi:
    who = {"user": "li.market", "district": "lingang", "roles": [role], "department": department}
    calendar = {"year": 2026, "covered": True, "days_off": [], "make_up_workdays": []}
    return SignedInApi(
        {
            "/auth/whoami": who,
            "/api/archives/statistics": STATS,
            "/api/archives/accountability": report(failure()),
            "/public/calendar/2026": calendar,
            "/public/calendar/2027": calendar,
            "/api/objections/objections": {"items": []},
            API: {"total": 1, "items": [proposal()]},
            f"{API}/x1": proposal(),
            CONTENTS: DOSSIER,
            **more,
        }
    )


def posted(api: FakeApi) -> list[tuple[str, Any]]:
    return [(path, sent) for method, path, sent in api.calls if method == "POST"]


# ------------------------------------------------------------------------------ the rules


def test_who_may_propose_and_when() -> None:
    mine, theirs = failure(), failure(department=QUALITY)
    assert rules.may_propose(["supervising_dept"], MARKET, mine)
    assert not rules.may_propose(["supervising_dept"], MARKET, theirs)
    assert not rules.may_propose(["supervising_dept"], "", failure(department=""))
    assert rules.may_propose(["credit_dept"], "信用监管科", theirs)
    assert not rules.may_propose(["director_meeting", "deputy_director"], "", mine)
    for status in ("proposed", "granted"):
        assert not rules.may_propose(["credit_dept"], "", failure(exemption=summary(status)))
    assert rules.may_propose(["credit_dept"], "", failure(exemption=summary("refused")))


def test_a_decisions_body_leaves_out_what_the_form_left_empty() -> None:
    assert rules.decision_body({"granted": "false", "reasons": " 未尽职 ", "minute_no": "3"}) == {
        "granted": False,
        "reasons": "未尽职",
        "minute_no": "3",
    }
    body = rules.decision_body({"granted": "maybe", "meeting_date": "2026-11-20"})
    assert "granted" not in body and body["meeting_date"] == "2026-11-20"
    assert rules.evidence_ids(["e1:a:b.pdf", " "]) == ["e1"]


def test_a_refusal_of_the_attachments_is_told_apart_from_others() -> None:
    chosen = [NOTE_ID, "a-gone"]
    missing = "任务 t1 的档案中没有附件 a-gone"
    assert rules.attachment_refusal(missing, {}, chosen) == missing
    too_many = {"attachment_ids[3]": "不是有效的字符串"}
    assert rules.attachment_refusal("请求内容不符合要求", too_many, chosen) == "不是有效的字符串"
    assert rules.attachment_refusal("证明材料 e9 不存在", {}, chosen) is None
    assert rules.attachment_refusal("免责理由不能为空", {"statement": "不能为空"}, []) is None
    offered = rules.dossier_attachments({"categories": list(reversed(DOSSIER["categories"]))})
    assert [(a["attachment_id"], a["kind_label"]) for a in offered] == [
        (NOTE_ID, "现场笔录"),
        (LAB_ID, "检验报告"),
    ]


# ------------------------------------------------------- the accountability page: 问责 / 免责


async def test_accountable_and_exempt_failures_are_listed_apart_with_their_exemption() -> None:
    exempt = failure(
        item_id="result_publication:t1:i1",
        kind="result_publication",
        kind_label="未按时公示检查结果",
        accountability="exempt",
        exemption=summary("granted"),
    )
    waiting = failure(item_id="task_not_run:t2:x", exemption=summary("proposed"))
    duty = report(failure(), waiting, exempt)
    async with site(answers(**{"/api/archives/accountability": duty})) as client:
        html = (await client.get("/console/statistics")).text
    accountable = html.split('id="h-accountable"')[1].split('id="h-exempt"')[0]
    exempted = html.split('id="h-exempt"')[1]
    assert "不执行或拖延执行抽查任务" in accountable and "未按时公示检查结果" not in accountable
    assert "未按时公示检查结果" in exempted and "申请免责" not in exempted
    assert 'href="/console/exemptions/x-granted"' in exempted and ">免责</a>" in exempted
    assert 'href="/console/exemptions/x-proposed">待局长办公会决定</a>' in accountable
    # the form is offered for the item with no proposal, not for the one waiting
    assert accountable.count("申请免责</a>") == 1
    assert '免责 <span class="badge ok">1</span>' in html


async def test_only_the_department_concerned_or_the_credit_department_is_offered_the_form() -> None:
    other = answers("supervising_dept", QUALITY)
    async with site(other) as client:
        html = (await client.get("/console/statistics")).text
    assert "/console/exemptions/new" not in html
    async with site(answers("credit_dept", "信用监管科")) as client:
        html = (await client.get("/console/statistics")).text
    assert f'href="/console/exemptions/new?item_id={ITEM_ID.replace(":", "%3A")}"' in html


# ------------------------------------------------------------------------------ the proposal


async def test_the_form_names_each_circumstance_in_chinese_and_takes_files() -> None:
    async with site(answers()) as client:
        html = (await client.get(f"/console/exemptions/new?item_id={ITEM_ID}")).text
        missing = await client.get("/console/exemptions/new?item_id=nope:t9:x")
    form = html.split('action="/console/exemptions"')[1]
    assert 'enctype="multipart/form-data"' in form and 'type="file" multiple' in form
    for code, label in rules.CIRCUMSTANCES.items():
        assert f'value="{code}"> {label}' in form
    assert "王强" in html and "逾期未检查" in html
    assert missing.status_code == 404 and "不在责任追究报告中" in missing.text
    async with site(answers("supervising_dept", QUALITY)) as client:
        html = (await client.get(f"/console/exemptions/new?item_id={ITEM_ID}")).text
    assert 'action="/console/exemptions"' not in html and "责任科室或信用监管科" in html


async def test_evidence_is_uploaded_first_then_the_proposal_cites_it() -> None:
    api = answers(**{f"{API}/evidence": EVIDENCE, API: proposal()})
    async with site(api) as client:
        done = await client.post(
            "/console/exemptions",
            data={
                "csrf": CSRF,
                "item_id": ITEM_ID,
                "circumstances": ["duties_done_under_plan", "technical_limits"],
                "statement": " 按计划两次上门 ",
            },
            files=[
                ("files", ("工作记录.pdf", b"%PDF-1.7", "application/pdf")),
                ("files", ("", b"", "application/octet-stream")),
            ],
        )
    assert done.status_code == 303 and done.headers["location"].startswith("/console/exemptions/x1")
    (upload_path, upload), (path, body) = posted(api)
    assert upload_path == f"{API}/evidence"
    assert upload["params"] == {"task_id": "t1", "filename": "工作记录.pdf"}
    assert upload["content"] == b"%PDF-1.7"
    assert upload["headers"] == {"Content-Type": "application/pdf"}
    assert path == API
    assert body == {
        "item_id": ITEM_ID,
        "circumstances": ["duties_done_under_plan", "technical_limits"],
        "statement": "按计划两次上门",
        "evidence_ids": ["e1"],
        "attachment_ids": [],
    }


async def test_a_refused_proposal_keeps_the_uploaded_evidence_and_shows_the_reason() -> None:
    refusal = ApiError(422, "请求内容不符合要求", [FieldError("statement", "免责理由不能为空")])
    api = answers(**{f"{API}/evidence": EVIDENCE, API: refusal})
    async with site(api) as client:
        page = await client.post(
            "/console/exemptions",
            data={"csrf": CSRF, "item_id": ITEM_ID, "circumstances": ["no_causal_link"]},
            files=[("files", ("工作记录.pdf", b"%PDF-1.7", "application/pdf"))],
        )
        again = await client.post(
            "/console/exemptions",
            data={
                "csrf": CSRF,
                "item_id": ITEM_ID,
                "circumstances": ["no_causal_link"],
                "statement": "补充理由",
                "carried": "e1:工作记录.pdf",
            },
        )
    assert page.status_code == 422
    form = page.text.split('action="/console/exemptions"')[1]
    assert 'id="e-statement">免责理由不能为空' in form
    assert 'name="carried" value="e1:工作记录.pdf"' in form and "工作记录.pdf" in form
    assert 'value="no_causal_link" checked' in form
    assert again.status_code == 422
    uploads = [p for p, _ in posted(api) if p == f"{API}/evidence"]
    assert len(uploads) == 1  # the second time, the carried evidence is not uploaded again
    assert posted(api)[-1][1]["evidence_ids"] == ["e1"]


async def test_a_proposal_refused_because_one_waits_is_shown_at_the_form() -> None:
    api = answers(**{API: ApiError(409, "该事项已有待局长办公会决定的免责申请")})
    async with site(api) as client:
        page = await client.post(
            "/console/exemptions",
            data={"csrf": CSRF, "item_id": ITEM_ID, "circumstances": ["technical_limits"]},
        )
    assert page.status_code == 409
    assert 'id="refused-proposal">该事项已有待局长办公会决定的免责申请' in page.text


# --------------------------------------------------- dossier attachments as evidence (第十三条)


def attachments_of(html: str) -> str:
    return html.split('id="f-attachments"')[1].split("</fieldset>")[0]


async def test_the_form_offers_the_dossiers_attachments_and_no_other_entry() -> None:
    api = answers()
    async with site(api) as client:
        html = (await client.get(f"/console/exemptions/new?item_id={ITEM_ID}")).text
    offered = attachments_of(html)
    note = offered.index(f'name="attachment_ids" value="{NOTE_ID}">')
    lab = offered.index(f'name="attachment_ids" value="{LAB_ID}">')
    assert note < lab and offered.count('type="checkbox"') == 2  # the draw's event is no evidence
    assert "现场笔录：现场笔录.pdf" in offered and "检验报告：检验报告.pdf" in offered
    assert "档案第 9 条" in offered and "9" * 64 in offered and " checked" not in offered
    assert ("GET", CONTENTS, {}) in api.calls


async def test_a_dossier_that_cannot_be_read_leaves_the_uploads() -> None:
    unreadable = ApiError(403, "您没有办理此事项的权限")
    async with site(answers(**{CONTENTS: unreadable})) as client:
        page = await client.get(f"/console/exemptions/new?item_id={ITEM_ID}")
    assert page.status_code == 200
    assert "未能读取任务档案：您没有办理此事项的权限" in attachments_of(page.text)
    assert 'name="files" type="file" multiple' in page.text


async def test_the_attachments_chosen_are_sent_without_any_upload() -> None:
    api = answers(**{API: proposal()})
    async with site(api) as client:
        done = await client.post(
            "/console/exemptions",
            data={
                "csrf": CSRF,
                "item_id": ITEM_ID,
                "circumstances": ["false_professional_report"],
                "statement": "检验机构出具虚假报告",
                "attachment_ids": [LAB_ID, NOTE_ID, LAB_ID],
            },
        )
    assert done.status_code == 303
    assert posted(api) == [
        (
            API,
            {
                "item_id": ITEM_ID,
                "circumstances": ["false_professional_report"],
                "statement": "检验机构出具虚假报告",
                "evidence_ids": [],
                "attachment_ids": [LAB_ID, NOTE_ID],
            },
        )
    ]


async def test_an_attachment_refused_is_shown_beside_the_list_with_the_choices_kept() -> None:
    missing = ApiError(404, f"任务 t1 的档案中没有附件 {NOTE_ID}")
    form = {"csrf": CSRF, "item_id": ITEM_ID, "circumstances": ["technical_limits"]}
    async with site(answers(**{API: missing})) as client:
        page = await client.post(
            "/console/exemptions",
            data={**form, "statement": "限于技术手段", "attachment_ids": NOTE_ID},
        )
    assert page.status_code == 404
    offered = attachments_of(page.text)
    assert f'id="e-attachment_ids">任务 t1 的档案中没有附件 {NOTE_ID}' in offered
    assert f'value="{NOTE_ID}" checked' in offered and f'value="{LAB_ID}">' in offered
    assert 'value="technical_limits" checked' in page.text and "限于技术手段" in page.text
    # another refusal is shown at its own field; the attachments chosen are kept all the same
    blank = ApiError(422, "请求内容不符合要求", [FieldError("statement", "免责理由不能为空")])
    async with site(answers(**{API: blank})) as client:
        page = await client.post("/console/exemptions", data={**form, "attachment_ids": LAB_ID})
    offered = attachments_of(page.text)
    assert 'id="e-attachment_ids"' not in page.text and 'id="e-statement"' in page.text
    assert f'value="{LAB_ID}" checked' in offered and f'value="{NOTE_ID}">' in offered


async def test_a_refusal_for_want_of_evidence_is_shown_above_both_kinds() -> None:
    none = ApiError(422, "须提供证明材料", [FieldError("evidence", "须提供证明材料")])
    async with site(answers(**{API: none})) as client:
        page = await client.post(
            "/console/exemptions",
            data={"csrf": CSRF, "item_id": ITEM_ID, "circumstances": ["technical_limits"]},
        )
    before = page.text.split('id="f-attachments"')[0]
    assert 'id="e-evidence">须提供证明材料' in before


async def test_the_proposal_shows_both_kinds_of_evidence_with_their_hash_and_link() -> None:
    both = proposal(evidence=[EVIDENCE, DOSSIER_EVIDENCE])
    async with site(answers(**{f"{API}/x1": both})) as client:
        html = (await client.get("/console/exemptions/x1")).text
        dossier = (await client.get("/console/dossiers/t1")).text
    rows = html.split("<h3>证明材料</h3>")[1].split("</table>")[0].split("<tr>")[2:]
    uploaded, filed = rows
    assert 'href="/console/exemptions/evidence/e1" download>工作记录.pdf' in uploaded
    assert "ef" * 32 in uploaded and "随申请上传" in uploaded
    assert 'href="/console/dossiers/t1#file-9">检验报告.pdf' in filed
    assert "9" * 64 in filed and "档案第 9 条" in filed and "/exemptions/evidence/" not in filed
    # the anchor is the dossier entry's own (its form to check a file against the archived one)
    entry = dossier.split('id="file-9"')[0].rsplit("<tr>", 1)[1]
    assert "附件 检验报告.pdf" in entry


# ------------------------------------------------------- the director's meeting and evidence


async def test_the_queue_asks_for_proposals_waiting_for_the_meeting() -> None:
    api = answers("director_meeting", "")
    async with site(api) as client:
        html = (await client.get("/console/exemptions?status=proposed")).text
        await client.get("/console/exemptions?status=bogus")
    assert 'href="/console/exemptions/x1"' in html and "待局长办公会决定" in html
    queries = [q for m, p, q in api.calls if p == API]
    assert queries == [{"status": "proposed"}, {"status": ""}]


async def test_the_meeting_sees_the_decision_form_and_others_do_not() -> None:
    async with site(answers("director_meeting", "")) as client:
        html = (await client.get("/console/exemptions/x1")).text
    form = html.split('action="/console/exemptions/x1/decision"')[1]
    assert 'value="true"> 免责' in form and 'value="false"> 不予免责' in form
    assert 'name="meeting_date"' in form and 'name="minute_no"' in form
    assert 'href="/console/exemptions/evidence/e1"' in html and "ef" * 32 in html
    async with site(answers()) as client:
        html = (await client.get("/console/exemptions/x1")).text
    assert "/x1/decision" not in html and "待局长办公会决定" in html


async def test_a_decision_is_sent_and_a_refused_one_shown_beside_the_form() -> None:
    api = answers("director_meeting", "", **{f"{API}/x1/decision": GRANTED})
    decision = {"granted": "true", "reasons": "已尽职", "meeting_date": "2026-11-20"}
    async with site(api) as client:
        done = await client.post(
            "/console/exemptions/x1/decision", data={"csrf": CSRF, **decision, "minute_no": "12"}
        )
    assert done.status_code == 303
    assert "免责" in httpx.URL(done.headers["location"]).params["notice"]
    assert posted(api) == [
        (
            f"{API}/x1/decision",
            {"granted": True, "reasons": "已尽职", "meeting_date": "2026-11-20", "minute_no": "12"},
        )
    ]
    late = ApiError(422, "会议日期晚于今天", [FieldError("meeting_date", "不能晚于今天")])
    api = answers("director_meeting", "", **{f"{API}/x1/decision": late})
    async with site(api) as client:
        page = await client.post(
            "/console/exemptions/x1/decision",
            data={
                "csrf": CSRF,
                "granted": "false",
                "reasons": "未尽职",
                "meeting_date": "2027-01-01",
            },
        )
    assert page.status_code == 422
    form = page.text.split('action="/console/exemptions/x1/decision"')[1]
    assert 'id="e-meeting_date">不能晚于今天' in form and 'value="false" checked' in form


async def test_a_decided_exemption_shows_the_decision_and_no_form() -> None:
    async with site(answers("director_meeting", "", **{f"{API}/x1": GRANTED})) as client:
        html = (await client.get("/console/exemptions/x1")).text
    assert "/x1/decision" not in html
    assert "2026-11-20，纪要 2026-12" in html and "已尽职" in html


async def test_evidence_is_downloaded_with_its_hash() -> None:
    served = httpx.Response(
        200,
        content=b"%PDF-1.7",
        headers={
            "content-type": "application/octet-stream",
            "content-disposition": "attachment; filename*=UTF-8''a.pdf",
            "x-content-sha256": "ef" * 32,
        },
    )
    async with site(answers(**{f"{API}/evidence/e1": served})) as client:
        got = await client.get("/console/exemptions/evidence/e1")
    assert got.content == b"%PDF-1.7" and got.headers["x-content-sha256"] == "ef" * 32
    assert got.headers["content-type"] == "application/octet-stream"
