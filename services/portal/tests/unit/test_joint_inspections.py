"""A neighbour's joint inspections in this bureau's console (issue 10, ADR 0010), on a fake of
the services' APIs: what awaits whom, which acts done here are still on their way to the
drawing district, what the pages show and what is forwarded to the inspections API; and the
inspectors' yearly load across districts."""

from __future__ import annotations

from typing import Any

import httpx

from portal.adapters.api import ApiError, FieldError
from portal.domain import joint_inspections as joint
from portal.entrypoints.console import joint_inspections as pages
from portal.entrypoints.web import csrf_of
from portal.service_layer import awaiting

from .fakes import FakeApi, console_site

HERE = "huancui"
TOKEN = "token-of-hc-inspector"
FORM, RECORDED_FORM = "f1" * 32, "f2" * 32  # a recording makes another form
LEADER, MEMBER = f"{HERE}:HC0001", "LG-001"


def state(status: str = "pending", **fields: Any) -> dict[str, Any]:
    """The inspections API's JointInspectionOut: Lingang's record, Huancui's HC0001 leading."""
    base: dict[str, Any] = {
        "inspection_id": "J1",
        "drawing_district": "lingang",
        "task_no": "LG-2026-001",
        "task_title": "2026年企业公示信息抽查",
        "draw_id": "draw-1",
        "uscc": "91371000MA3C000017",
        "entity_name": "威海临港某某商贸有限公司",
        "area": "临港区",
        "deadline": "2026-12-31",
        "team": [
            {"inspector_id": LEADER, "name": "环翠执法", "department": "环翠所", "role": "leader"},
            {"inspector_id": MEMBER, "name": "王组员", "department": "临港所", "role": "member"},
            {"inspector_id": "wendeng:WD1", "name": "文登专家", "department": "", "role": "expert"},
        ],
        "our_members": ["HC0001"],
        "status": status,
        "status_label": status,
        "results": [],
        "not_inspected_reason": "",
        "recorded_by": "",
        "check_items": [
            {"code": "SD-01", "name": "企业公示信息检查"},
            {"code": "SD-02", "name": "登记事项检查"},
        ],
        "signatures": {},
        "acted_here": {},
        "form_sha256": FORM,
        "revision": 3,
        "received_at": "2026-11-16T01:00:00+00:00",
    }
    return base | fields


RECORDED = state(
    "recorded",
    recorded_by=LEADER,
    form_sha256=RECORDED_FORM,
    results=[
        {
            "check_item_code": "SD-01",
            "check_item_name": "企业公示信息检查",
            "category": "未发现问题",
            "pending_reason": None,
            "remark": "",
        }
    ],
)


def acted(act: str, inspector_id: str = "HC0001", form: str = FORM) -> dict[str, Any]:
    return {f"{act}:{inspector_id}": {"form_sha256": form, "at": "2026-11-16T02:00:00+00:00"}}


# ------------------------------------------------------------------------------ the rules


def test_the_team_shows_this_bureaus_inspectors_by_their_own_ids() -> None:
    shown = [(m.shown_id, m.bureau) for m in joint.team(state(), HERE)]
    assert shown == [("HC0001", ""), ("LG-001", "lingang"), ("wendeng:WD1", "wendeng")]


def test_an_act_awaits_the_drawing_district_until_its_state_shows_it() -> None:
    recording = state(acted_here=acted("record"))
    assert [p.act for p in joint.pending(recording, HERE)] == ["record"]
    # recorded there: the form (and its hash) changed, so the act is no longer on its way
    assert joint.pending(RECORDED | {"acted_here": acted("record")}, HERE) == []
    signing = RECORDED | {"acted_here": acted("sign", form=RECORDED_FORM)}
    assert [(p.label, p.inspector_id) for p in joint.pending(signing, HERE)] == [
        ("签名确认", "HC0001")
    ]
    shown = signing | {"signatures": {LEADER: "2026-11-16T03:00:00+00:00"}}
    assert joint.pending(shown, HERE) == []
    # a signature of an earlier form does not stand: the new state asks again
    stale = RECORDED | {"acted_here": acted("sign", form="00" * 32)}
    assert joint.pending(stale, HERE) == []
    submitting = state("signed", acted_here=acted("submit"))
    assert [p.act for p in joint.pending(submitting, HERE)] == ["submit"]
    assert joint.pending(submitting | {"status": "submitted"}, HERE) == []


def test_what_awaits_the_leader_and_the_members() -> None:
    assert joint.awaits(state(), HERE, "HC0001") == "record"
    assert joint.awaits(state(acted_here=acted("record")), HERE, "HC0001") == ""  # on its way
    assert joint.awaits(RECORDED, HERE, "HC0001") == "sign"  # the leader signs too
    assert (
        joint.awaits(RECORDED | {"acted_here": acted("sign", form=RECORDED_FORM)}, HERE, "HC0001")
        == ""
    )
    assert joint.awaits(state("signed"), HERE, "HC0001") == "submit"
    assert joint.awaits(state("submitted"), HERE, "HC0001") == ""
    # the same bare id of another district is someone else; nobody is not on the team
    assert joint.awaits(state(), "wendeng", "HC0001") == ""
    assert joint.awaits(state(), HERE, "") == ""
    member = state(team=[{**state()["team"][0], "role": "member"}])
    assert joint.awaits(member, HERE, "HC0001") == ""  # only the leader records
    assert joint.awaits(member | {"status": "recorded"}, HERE, "HC0001") == "sign"


def test_the_workload_table_has_a_column_pair_per_neighbour() -> None:
    items = [
        {
            "inspector_id": "HC0001",
            "name": "环翠执法",
            "own": {"open": 2, "submitted": 1},
            "neighbours": {"lingang": {"open": 1}, "wendeng": {"submitted": 2}},
            "total": 6,
        },
        {"inspector_id": "HC0002", "name": "乙", "own": {"open": 1}, "neighbours": {}, "total": 1},
    ]
    districts, rows = joint.workload_table(items)
    assert districts == ["lingang", "wendeng"]
    assert rows[0].own == (2, 1) and rows[0].neighbours == ((1, 0), (0, 2))
    assert rows[1].neighbours == ((0, 0), (0, 0)) and rows[1].total == 1


async def test_the_to_do_list_names_each_joint_inspection_awaiting_the_person() -> None:
    items = [
        state(),
        RECORDED | {"inspection_id": "J2"},
        state("signed", inspection_id="J3", acted_here=acted("submit")),  # on its way
        state("submitted", inspection_id="J4"),
    ]
    api: Any = FakeApi(
        {
            "/api/inspections/joint-inspections": {"total": 4, "items": items},
            "/api/inspections/inspections": {"items": []},
        }
    )
    found = await awaiting.of(api, ["inspector"], awaiting.Person(HERE, "HC0001"))
    (waiting,) = [w for w in found if w.link == "/console/joint-inspections"]
    assert waiting.items == [
        (
            "威海临港某某商贸有限公司（lingang LG-2026-001）",
            "/console/joint-inspections/J1",
            "待录入检查结果（组长）",
        ),
        (
            "威海临港某某商贸有限公司（lingang LG-2026-001）",
            "/console/joint-inspections/J2",
            "待签名确认",
        ),
    ]


# ----------------------------------------------------------------------------- the pages


class SignedInApi(FakeApi):
    def signed_in(self, token: str) -> SignedInApi:
        assert token == TOKEN
        return self


def site(api: FakeApi) -> httpx.AsyncClient:
    return console_site(api, TOKEN, pages.router)


def answers(found: dict[str, Any], role: str = "inspector", **more: Any) -> SignedInApi:
    who = {"user": "HC0001", "district": HERE, "roles": [role], "inspector_id": "HC0001"}
    return SignedInApi(
        {
            "/auth/whoami": who,
            "/public/calendar": {"today": "2026-12-27"},
            "/api/inspections/joint-inspections": {"total": 1, "items": [found]},
            "/api/inspections/joint-inspections/J1": found,
            **more,
        }
    )


async def test_the_leader_gets_the_own_record_form_and_the_page_says_who_keeps_it() -> None:
    async with site(answers(state())) as client:
        page = await client.get("/console/joint-inspections/J1")
    html = page.text
    assert page.status_code == 200
    assert 'action="/console/joint-inspections/J1/results"' in html
    assert 'name="category.1"' in html and "record-form.js" in html  # the own form's widgets
    assert "检查记录由 lingang 保存" in html and "经其记录后生效" in html
    assert '<td class="mono">HC0001</td>' in html and '<td class="mono">LG-001</td>' in html
    assert "剩 4 天" in html  # counted from the services' today
    assert 'action="/console/joint-inspections/J1/submit"' in html
    assert "default-src 'self'" in page.headers["content-security-policy"]


async def test_a_member_sees_the_results_and_signs_unless_signed_here_already() -> None:
    member = RECORDED | {
        "team": [
            {"inspector_id": MEMBER, "name": "王组长", "department": "临港所", "role": "leader"},
            {"inspector_id": LEADER, "name": "环翠执法", "department": "环翠所", "role": "member"},
        ]
    }
    async with site(answers(member)) as client:
        html = (await client.get("/console/joint-inspections/J1")).text
        assert "/J1/results" not in html and "企业公示信息检查" in html
        assert 'action="/console/joint-inspections/J1/sign"' in html
        assert 'action="/console/joint-inspections/J1/submit"' not in html
        assert "录入人：HC0001" in html  # this bureau's inspector by their own id
    on_its_way = member | {"acted_here": acted("sign", form=RECORDED_FORM)}
    async with site(answers(on_its_way)) as client:
        html = (await client.get("/console/joint-inspections/J1")).text
    assert 'action="/console/joint-inspections/J1/sign"' not in html
    assert "待 lingang 记录" in html and "data-acts-here" in html


async def test_the_record_form_is_forwarded_as_the_api_takes_it() -> None:
    api = answers(state(), **{"/api/inspections/joint-inspections/J1/results": state()})
    sent = {
        "csrf": csrf_of(TOKEN),
        "category.0": "未发现问题",
        "category.1": "发现问题待后续处理",
        "pending_reason.1": "未按规定公示应当公示的信息",
    }
    async with site(api) as client:
        answer = await client.post("/console/joint-inspections/J1/results", data=sent)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/joint-inspections/J1?notice=")
    (put,) = [c for c in api.calls if c[0] == "PUT"]
    assert put[1] == "/api/inspections/joint-inspections/J1/results"
    assert [(r["check_item_code"], r["category"]) for r in put[2]["results"]] == [
        ("SD-01", "未发现问题"),
        ("SD-02", "发现问题待后续处理"),
    ]
    assert put[2]["results"][1]["pending_reason"] == "未按规定公示应当公示的信息"


async def test_refusals_are_shown_beside_the_form_that_was_refused() -> None:
    invalid = ApiError(422, "检查结果不完整", [FieldError("results[1].category", "请选择检查结果")])
    api = answers(state(), **{"/api/inspections/joint-inspections/J1/results": invalid})
    async with site(api) as client:
        page = await client.post(
            "/console/joint-inspections/J1/results",
            data={"csrf": csrf_of(TOKEN), "category.0": "未发现问题", "remark.0": "kept"},
        )
    assert page.status_code == 422
    assert 'id="e-category-1">请选择检查结果' in page.text and ">kept</textarea>" in page.text
    stale = ApiError(409, "已在本局办理，等待抽取区记录")
    api = answers(RECORDED, **{"/api/inspections/joint-inspections/J1/sign": stale})
    async with site(api) as client:
        page = await client.post("/console/joint-inspections/J1/sign", data={"csrf": ""})
        assert page.status_code == 403  # not from our page: nothing sent
        page = await client.post(
            "/console/joint-inspections/J1/sign", data={"csrf": csrf_of(TOKEN)}
        )
    assert page.status_code == 409
    sign_form = page.text.split('action="/console/joint-inspections/J1/sign"')[1]
    assert '<p class="field-error" role="alert">已在本局办理，等待抽取区记录' in sign_form
    assert [c[1] for c in api.calls if c[0] == "POST"] == [
        "/api/inspections/joint-inspections/J1/sign"
    ]


async def test_the_submission_names_the_completion_date_and_says_when_it_takes_effect() -> None:
    signed = state("signed")
    api = answers(signed, **{"/api/inspections/joint-inspections/J1/submit": signed})
    async with site(api) as client:
        done = await client.post(
            "/console/joint-inspections/J1/submit",
            data={"csrf": csrf_of(TOKEN), "completed_on": "2026-12-20"},
        )
    assert done.status_code == 303
    assert "lingang" in httpx.URL(done.headers["location"]).params["notice"]
    assert (
        "POST",
        "/api/inspections/joint-inspections/J1/submit",
        {"completed_on": "2026-12-20"},
    ) in api.calls


async def test_the_list_shows_the_drawing_district_and_what_awaits_the_person() -> None:
    async with site(answers(RECORDED)) as client:
        html = (await client.get("/console/joint-inspections")).text
    assert 'href="/console/joint-inspections/J1"' in html
    assert "抽取区 lingang" in html and "待签名确认" in html


async def test_the_workload_page_is_the_years_table_and_refused_to_field_staff() -> None:
    load = {
        "year": 2026,
        "items": [
            {
                "inspector_id": "HC0001",
                "name": "环翠执法",
                "own": {"open": 2},
                "neighbours": {"lingang": {"open": 1, "submitted": 3}},
                "total": 6,
            }
        ],
    }
    asked: dict[str, Any] = {}

    def workload(query: dict[str, Any]) -> dict[str, Any]:
        asked.update(query)
        return load

    api = answers(state(), role="credit_dept", **{"/api/inspections/workload": workload})
    async with site(api) as client:
        page = await client.get("/console/workload")
    assert asked == {"year": 2026}  # the services' year, not the machine's
    row = page.text.split('data-inspector="HC0001"')[1].split("</tr>")[0]
    assert "lingang 联合抽取" in page.text
    assert [c.split("<")[0] for c in row.split("<td>")[1:]] == ["2", "0", "1", "3", "6"]
    refusal = ApiError(403, "缺少角色")
    api = answers(state(), **{"/api/inspections/workload": refusal})
    async with site(api) as client:
        page = await client.get("/console/workload?year=2026")
    assert page.status_code == 403 and "缺少角色" in page.text
