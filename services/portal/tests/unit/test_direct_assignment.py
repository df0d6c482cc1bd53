"""Direct assignment (第六条, draw spec §15) in the web application without a browser: the
deputy director's approvals on the task's draw page, a draw naming one, the credit
department's choice of each drawn target's team from the frozen roster and what the page
checks of it (in Python and in the page's script, alike), the bytes the browser signs against
the reference client's, the pages in state ``assigning``, and the share per department."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from starlette.requests import Request

from draws import ceremony, ed25519
from draws.domain import assignment as da
from draws.domain import protocol as p
from portal.adapters.api import Api
from portal.domain import draws as d
from portal.entrypoints.console import draws as console_draws  # registers the page filters
from portal.entrypoints.web import templates
from portal.service_layer import awaiting
from portal.service_layer import draws as svc

from .fakes import FakeApi

ROOT = Path(__file__).resolve().parents[4]
JS = ROOT / "services/portal/src/portal/entrypoints/static/js/ceremony"
NODE = shutil.which("node")
DRAW_ID = "7e31fbc2-966d-5faa-9101-f7dd39eb3ff8"
U1, U2 = "91371071NNHM83X07G", "91371071XA0DBJ1WQF"
assert console_draws.router  # imported for its filters (draw_status, share_percent)


def inspector(i: str, **over: Any) -> dict[str, Any]:
    base = {
        "inspector_id": i,
        "name": f"检查员{i[-1]}",
        "district": "lingang",
        "department": "信用监管科",
        "active": True,
        "leader_qualified": False,
        "certificate_expires_on": "2030-12-31",
        "qualifications": ["SD-QY-01", "企业公示信息"],
    }
    return base | over


MANIFEST: dict[str, Any] = {
    "algorithm": "spotcheck-draw/3",
    "draw_id": DRAW_ID,
    "district": "lingang",
    "draw_date": "2026-11-26",
    "frozen_at": "2026-11-26T01:00:00+00:00",
    "team": {"size": 2, "alternates": 2},
    "check_items": [{"code": "SD-QY-01", "name": "企业公示信息"}],
    "pools": [
        {"district": "lingang", "tier": 0, "departments": ["信用监管科", "市场规范管理科"]},
        {"district": "wendeng", "tier": 1, "departments": ["信用监管科"]},
    ],
    "neighbour_rule": "none",
    "pair_conflicts": [["LG0001", "LG0002"]],
    "experts": {"per_target": 1, "fields": ["食品安全"]},
    "matching": {
        "rule": "direct-assignment",
        "reason": "本区具备资格的在岗执法检查人员仅 5 名，不能满足随机匹配条件",
        "approval": {
            "approval_id": "AP-1",
            "approved_by": "王副局长",
            "approved_at": "2026-11-25T01:00:00+00:00",
        },
    },
    "task": {
        "task_id": "t1",
        "task_no": "LG-T-1",
        "title": "公示信息抽查",
        "lead_department": "信用监管科",
    },
    "parties": ["信用监管科", "办公室"],
    "roster": {"size": 8, "merkle_root": "00" * 32},
    "population": {"size": 9, "merkle_root": "00" * 32},
    "strata": [{"key": "C", "ratio_bp": 10000, "cap": 2}],
    "reveal_deadline": "2026-11-29T01:00:00+00:00",
    "beacon": None,
}
ROSTER = [
    inspector("LG0001", leader_qualified=True),
    inspector("LG0002"),
    inspector("LG0003", department="市场规范管理科"),
    inspector("LG0004", leader_qualified=True),
    inspector("LG0005", active=False, leader_qualified=True),  # left the pool
    inspector("LG0006", certificate_expires_on="2026-11-25"),  # expired the day before
    inspector("LG0007", qualifications=["别的事项"]),  # not qualified for the items
    inspector("LG0008", department="食品安全监督管理科"),  # a department outside the pools
    inspector("WD0001", district="wendeng", leader_qualified=True),  # a neighbour's
]
EXPERTS = [
    {"expert_id": "ZJ0001", "name": "专家1", "field": "食品安全", "active": True},
    {"expert_id": "ZJ0002", "name": "专家2", "field": "特种设备", "active": True},
    {"expert_id": "ZJ0003", "name": "专家3", "field": "食品安全", "active": False},
    {"expert_id": "ZJ0004", "name": "专家4", "field": "食品安全", "active": True},
]
MATCHING = {
    "assigned": True,
    "reason": MANIFEST["matching"]["reason"],
    "approval_id": "AP-1",
    "approved_by": "王副局长",
    "approved_at": "2026-11-25T01:00:00+00:00",
    "assigned_by": None,
    "assigned_at": None,
}


def assigning_draw(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "draw_id": DRAW_ID,
        "task_id": "t1",
        "task_no": "LG-T-1",
        "status": "assigning",
        "status_label": "检查对象已随机抽取，待信用监管科直接委派检查组",
        "parties": ["信用监管科", "办公室"],
        "manifest": MANIFEST,
        "manifest_sha256": p.json_sha256(MANIFEST),
        "result_sha256": None,
        "seed_hex": "ab" * 32,
        "beacon_value": None,
        "commitments": [],
        "reveals": [],
        "replacements": [],
        "replacement_approvals": [],
        "countersign": None,
        "cancel_reason": None,
        "matching": MATCHING,
        "targets": [
            {"uscc": u, "entity_name": f"企业{n}", "risk_class": "C", "ticket": "00", "team": []}
            for n, u in enumerate((U1, U2), start=1)
        ],
    }
    return base | fields


def team(leader: str, *members: str) -> list[list[str]]:
    return [[leader, "leader"]] + [[m, "member"] for m in members]


GOOD = [
    {"uscc": U1, "team": team("LG0001", "LG0003"), "experts": ["ZJ0001"]},
    {"uscc": U2, "team": team("LG0004", "LG0002"), "experts": ["ZJ0004"]},
]


def ceremony_api(draw: dict[str, Any] | None = None) -> FakeApi:
    return FakeApi(
        {
            f"/api/draws/draws/{DRAW_ID}": draw or assigning_draw(),
            "/api/draws/keys": {"items": []},
            f"/public/draws/{DRAW_ID}/manifest": {"roster": ROSTER, "manifest": MANIFEST},
            "/api/registry/experts": {"items": EXPERTS, "total": len(EXPERTS)},
        }
    )


async def rules() -> d.Rules:
    found = await svc.ceremony(
        cast(Api, ceremony_api()), DRAW_ID, "zhang", frozenset({"credit_dept"})
    )
    assert found.assigning is not None
    return found.assigning.rules


# ---------------------------------------------------------------- approval and the new draw


def test_a_draw_naming_an_approval_asks_for_direct_assignment_and_one_without_does_not() -> None:
    assert d.draw_body("t1", {"direct_approval": " AP-1 "})["direct_approval"] == "AP-1"
    assert "direct_approval" not in d.draw_body("t1", {"direct_approval": ""})


async def test_the_tasks_draw_page_lists_its_approvals_newest_first() -> None:
    approvals = [
        {"approval_id": "AP-1", "reason": "人员有限", "by": "wang", "by_name": "王副局长",
         "at": "2026-11-24T01:00:00+00:00", "task_id": "t1"},
        {"approval_id": "AP-2", "reason": "人员有限", "by": "wang", "by_name": "王副局长",
         "at": "2026-11-25T01:00:00+00:00", "task_id": "t1"},
    ]  # fmt: skip
    api = FakeApi(
        {
            "/api/planning/tasks": {"items": [{"task_id": "t1", "task_no": "LG-T-1"}]},
            "/api/draws/draws": {"items": []},
            "/api/draws/tasks/t1/direct-assignment-approvals": {"items": approvals, "total": 2},
        }
    )
    found = await svc.index(cast(Api, api), "t1")
    assert [a["approval_id"] for a in found.approvals] == ["AP-2", "AP-1"]
    other = await svc.index(cast(Api, api), "")  # no task chosen: no approvals asked for
    assert other.approvals == []
    assert not any("direct-assignment" in path for _, path, _ in api.calls[-2:])


# ------------------------------------------------------------------- who picks from whom


def test_the_assignment_is_offered_to_the_credit_department_once_the_targets_are_drawn() -> None:
    assert d.acts_of(assigning_draw(), {"credit_dept"}, "zhang", []).assign
    assert not d.acts_of(assigning_draw(), {"general_office"}, "li", []).assign
    assert not d.acts_of(assigning_draw(status="drawn"), {"credit_dept"}, "zhang", []).assign
    assert d.status_label("assigning").startswith("检查对象已随机抽取")
    assert d.status_label("completed") == "已完成"


def test_the_roster_offers_only_who_a_team_may_hold_leaders_marked() -> None:
    found = d.assignable(ROSTER, MANIFEST)
    assert [c.member_id for c in found] == ["LG0001", "LG0002", "LG0003", "LG0004"]
    assert [c.member_id for c in found if c.leader] == ["LG0001", "LG0004"]
    # a neighbour's inspectors only when the manifest lets them fill in
    filling = d.assignable(ROSTER, MANIFEST | {"neighbour_rule": "fill-when-short"})
    assert "WD0001" in [c.member_id for c in filling]
    # qualified for every item of the list
    anyone = [inspector("LG0009", qualifications=[d.QUALIFY_ALL])]
    assert [c.member_id for c in d.assignable(anyone, MANIFEST)] == ["LG0009"]


def test_the_experts_offered_are_the_active_ones_of_the_tasks_fields() -> None:
    assert [e.member_id for e in d.assignable_experts(EXPERTS, MANIFEST)] == ["ZJ0001", "ZJ0004"]
    anyone = MANIFEST | {"experts": {"per_target": 1, "fields": []}}
    assert len(d.assignable_experts(EXPERTS, anyone)) == 3
    assert (
        d.assignable_experts(EXPERTS, {k: v for k, v in MANIFEST.items() if k != "experts"}) == []
    )


async def test_the_assigning_page_reads_the_frozen_roster_and_the_expert_pool() -> None:
    api = ceremony_api()
    found = await svc.ceremony(cast(Api, api), DRAW_ID, "zhang", frozenset({"credit_dept"}))
    assert found.assigning is not None
    assert found.assigning.rules.targets == [U1, U2]
    assert found.assigning.rules.leaders == {"LG0001", "LG0004"}
    assert found.assigning.rules.pairs == {frozenset({"LG0001", "LG0002"})}
    assert [e.member_id for e in found.assigning.experts] == ["ZJ0001", "ZJ0004"]
    assert ("GET", f"/public/draws/{DRAW_ID}/manifest", {}) in api.calls
    # the office only looks: nothing is fetched for an act it has not
    office = ceremony_api()
    seen = await svc.ceremony(cast(Api, office), DRAW_ID, "li", frozenset({"general_office"}))
    assert seen.assigning is None
    assert all("manifest" not in path for _, path, _ in office.calls)


# ------------------------------------------------------------------ what the page checks


def put(assignment: list[dict[str, Any]], key: str, value: Any) -> None:
    assignment[0][key] = value


BROKEN = [
    ("a target left out", lambda a: a.pop(), "每个抽中的检查对象各委派一次"),
    ("targets in another order", lambda a: a.reverse(), "抽中顺序"),
    ("an empty slot", lambda a: a[0]["team"][1].__setitem__(0, ""), "每个岗位都须选定"),
    ("a team short", lambda a: a[0]["team"].pop(), "恰有 2 名不同"),
    ("one person twice", lambda a: a[0]["team"][1].__setitem__(0, "LG0001"), "恰有 2 名不同"),
    ("two leaders", lambda a: a[0]["team"][1].__setitem__(1, "leader"), "恰有一名组长"),
    ("the leader not first", lambda a: a[0]["team"].reverse(), "恰有一名组长"),
    ("someone outside the pool", lambda a: a[0]["team"][1].__setitem__(0, "LG0005"), "LG0005 不在"),
    ("an unqualified leader", lambda a: put(a, "team", team("LG0003", "LG0001")), "不具备组长资格"),
    ("a declared pair together", lambda a: put(a, "team", team("LG0001", "LG0002")), "不得同组"),
    ("no expert", lambda a: put(a, "experts", []), "须委派 1 名不同的专家"),
    ("an expert of another field", lambda a: put(a, "experts", ["ZJ0002"]), "ZJ0002 不在"),
]  # fmt: skip


async def test_a_good_assignment_passes_and_each_broken_rule_is_named() -> None:
    found = await rules()
    assert d.assignment_problem(GOOD, found) is None
    for what, change, words in BROKEN:
        broken = json.loads(json.dumps(GOOD))
        change(broken)
        problem = d.assignment_problem(broken, found)
        assert problem is not None and words in problem, what


def test_what_the_browser_sent_is_read_as_an_assignment_or_refused() -> None:
    assert d.read_assignment(json.dumps(GOOD)) == GOOD
    with pytest.raises(ValueError, match="JavaScript"):
        d.read_assignment("")
    with pytest.raises(ValueError, match="不是 JSON"):
        d.read_assignment("[{")
    for shape in ([{"uscc": U1}], [{"uscc": U1, "team": [["LG0001"]]}], {"uscc": U1},
                  [{"uscc": U1, "team": [], "extra": 1}]):  # fmt: skip
        with pytest.raises(ValueError, match="格式不符"):
            d.read_assignment(json.dumps(shape))


def test_a_refused_form_keeps_what_was_chosen() -> None:
    assert d.chosen_of(GOOD)[U2] == ["LG0004", "LG0002", "ZJ0004"]


# ------------------------------------------------------------- the pages in ``assigning``


def render(template: str, **context: Any) -> str:
    request = Request({"type": "http", "method": "GET", "path": "/", "query_string": b"",
                       "headers": []})  # fmt: skip
    me = SimpleNamespace(user="zhang", name="张三", district="lingang", uscc="",
                         roles=frozenset({"credit_dept"}))  # fmt: skip
    session = SimpleNamespace(me=me, csrf="x")
    page = templates.env.get_template(template).render(request=request, session=session, **context)
    return str(page)


async def test_the_ceremony_page_offers_each_drawn_target_its_team_from_the_pool() -> None:
    found = await svc.ceremony(
        cast(Api, ceremony_api()), DRAW_ID, "zhang", frozenset({"credit_dept"})
    )
    page = render("console/draws/ceremony.html", c=found)
    assert 'data-sign="assign"' in page and page.count("<tr data-target=") == 2
    assert "直接委派</strong>" in page and "王副局长" in page
    leader_lists = page.split('data-slot="leader"')[1].split("</select>")[0]
    assert "LG0001" in leader_lists and "LG0003" not in leader_lists  # leaders only
    assert "LG0005" not in page and "WD0001" not in page  # not in the pool
    assert "ZJ0004" in page and "ZJ0002" not in page
    assert "委派检查组</li>" in page  # the step of direct assignment
    refused = render(
        "console/draws/ceremony.html", c=found, act="assign", form={"chosen": d.chosen_of(GOOD)}
    )
    assert '<option value="LG0004" selected>' in refused
    office = await svc.ceremony(
        cast(Api, ceremony_api()), DRAW_ID, "li", frozenset({"general_office"})
    )
    seen = render("console/draws/ceremony.html", c=office)
    assert 'data-sign="assign"' not in seen and U1 in seen  # the drawn targets, no form


def test_the_public_draw_page_says_the_team_was_assigned_why_and_whose_approval() -> None:
    manifest = {"manifest": MANIFEST, "manifest_sha256": "00" * 32, "commitments": [],
                "status": "assigning", "matching": MATCHING}  # fmt: skip
    page = render("public/draw.html", draw_id=DRAW_ID, manifest=manifest, body=None,
                  summary=None, places=[], head={"seq": 0, "hash": ""})  # fmt: skip
    assert "检查组为直接委派，不是随机匹配" in page
    assert MATCHING["reason"] in page and "分管局长 王副局长" in page and "AP-1" in page
    assert "检查对象已随机抽取" in page  # the status, not its code
    drawn = dict(manifest, status="completed", matching={"assigned": False})
    plain = render("public/draw.html", draw_id=DRAW_ID, manifest=drawn, body=None,
                   summary=None, places=[], head={"seq": 0, "hash": ""})  # fmt: skip
    assert "直接委派" not in plain and "随机匹配" in plain


async def test_the_office_sees_the_share_of_direct_assignment_per_department() -> None:
    items = [
        {"department": "市场规范管理科", "teams": 10, "assigned": 1, "share_bp": 1000},
        {"department": "信用监管科", "teams": 9, "assigned": 9, "share_bp": 10000},
    ]
    api = FakeApi({"/api/draws/statistics/direct-assignment": {"items": items}})
    shares = await svc.direct_shares(cast(Api, api))
    assert [s["department"] for s in shares] == ["信用监管科", "市场规范管理科"]  # most first
    page = render("console/draws/direct_assignment.html", shares=shares)
    assert "100.00%" in page and "10.00%" in page


async def test_the_credit_department_is_told_a_draw_awaits_its_teams() -> None:
    draw = {"draw_id": "d1", "task_no": "LG-T-1", "status": "assigning", "status_label": "待委派"}
    draws = {"items": [draw | {"task_title": "抽查"}]}  # a summary, as the list sends it
    api = FakeApi(
        {
            "/api/draws/draws": draws,
            "/api/planning/plans": {"items": []},
            "/api/draws/joint-draws": {"items": []},
            "/api/objections/objections": {"items": []},
            "/api/objections/corrections": {"items": []},
        }
    )
    found = {w.title: w for w in await awaiting.of(cast(Api, api), ["credit_dept"])}
    assert found["抽取待直接委派检查组（第六条）"].items == [
        ("LG-T-1 抽查", "/console/draws/d1", "待委派")
    ]


# ------------------------------------------- the script's bytes and checks, against Python

NODE_SCRIPT = """
import * as p from %s;
import { assignmentOf, problemOf } from %s;
const v = JSON.parse(process.argv[1]);
const h = (x) => p.fromHex(x);
const der = p.concat(h("302e020100300506032b657004220420"), h(v.secret));
const key = await crypto.subtle.importKey("pkcs8", der, {name: "Ed25519"}, false, ["sign"]);
const assignment = assignmentOf(v.rows, v.with_experts);
const message = await p.assignMessage(h(v.manifest_digest), assignment);
const rules = { ...v.rules, leaders: new Set(v.rules.leaders), members: new Set(v.rules.members),
  experts: v.rules.experts && new Set(v.rules.experts) };
console.log(JSON.stringify({
  assignment,
  message: p.toHex(message),
  signature: await p.sign(key, message),
  problems: v.cases.map((a) => problemOf(a, rules)),
}));
"""


def _node(given: dict[str, Any]) -> dict[str, Any]:
    script = NODE_SCRIPT % (
        json.dumps((JS / "protocol.js").as_uri()),
        json.dumps((JS / "assignment.js").as_uri()),
    )
    run = subprocess.run(
        [str(NODE), "--input-type=module", "-e", script, json.dumps(given, ensure_ascii=False)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: dict[str, Any] = json.loads(run.stdout)
    return found


@pytest.mark.skipif(NODE is None, reason="node (20+) is not installed")
@pytest.mark.parametrize("with_experts", [True, False])
async def test_the_browser_signs_the_bytes_of_the_reference_client_and_checks_alike(
    with_experts: bool,
) -> None:
    secret, digest = os.urandom(32), os.urandom(32)
    rows = [
        {"uscc": a["uscc"], "leader": a["team"][0][0],
         "members": [m[0] for m in a["team"][1:]], "experts": a["experts"]}
        for a in GOOD
    ]  # fmt: skip
    found = await rules()
    cases = []
    for _, change, _ in BROKEN:
        broken = json.loads(json.dumps(GOOD))
        change(broken)
        cases.append(broken)
    given = {
        "secret": secret.hex(),
        "manifest_digest": digest.hex(),
        "rows": rows,
        "with_experts": with_experts,
        "rules": {
            "targets": list(found.targets),
            "size": found.size,
            "leaders": sorted(found.leaders),
            "members": sorted(found.members),
            "pairs": [sorted(x) for x in found.pairs],
            "perTarget": found.per_target,
            "experts": sorted(found.experts or []),
        },
        "cases": [GOOD, *cases],
    }
    got = _node(given)
    expected = [a if with_experts else {"uscc": a["uscc"], "team": a["team"]} for a in GOOD]
    assert got["assignment"] == expected
    assert got["message"] == da.assign_message(digest, expected).hex()
    key = SimpleNamespace(sign=lambda m: ed25519.sign(secret, m).hex(), key_id="k")
    body = ceremony.assign_body(cast(Any, key), digest, expected)
    assert got["signature"] == body["signature"]
    # the page's script and the portal's check refuse the same assignments, in the same words
    assert got["problems"] == [d.assignment_problem(a, found) for a in given["cases"]]


@pytest.mark.skipif(NODE is None, reason="node (20+) is not installed")
def test_the_node_suite_of_the_assignment_script_passes() -> None:
    suite = ROOT / "services/portal/tests/js/assignment.test.mjs"
    run = subprocess.run(
        [str(NODE), "--test", str(suite)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr


APPROVAL = {
    "approval_id": "AP-1",
    "task_id": "t1",
    "reason": "本区人员有限",
    "by": "wang",
    "by_name": "王副局长",
    "at": "2026-11-25T01:00:00+00:00",
}
TASK = {"task_id": "t1", "task_no": "LG-T-1", "title": "公示信息抽查", "status": "approved",
        "lead_department": "信用监管科", "team_size": 2}  # fmt: skip


def test_the_deputy_director_approves_on_the_tasks_draw_page_and_the_draw_names_it() -> None:
    index = svc.Index(tasks=[TASK], draws=[], task=TASK, approvals=[APPROVAL])
    page = render("console/draws/index.html", index=index)
    assert "AP-1" in page and "本区人员有限" in page and "王副局长" in page
    assert "/console/draws/tasks/t1/direct-approvals" not in page  # the credit dept's view
    deputy = SimpleNamespace(me=SimpleNamespace(user="wang", name="王副局长", district="lingang",
                             uscc="", roles=frozenset({"deputy_director"})), csrf="x")  # fmt: skip
    request = Request({"type": "http", "method": "GET", "path": "/", "query_string": b"",
                       "headers": []})  # fmt: skip
    template = templates.env.get_template("console/draws/index.html")
    offered = template.render(request=request, session=deputy, index=index)
    assert 'action="/console/draws/tasks/t1/direct-approvals"' in offered
    new = render("console/draws/new.html", task=TASK, approvals=[APPROVAL], form={})
    assert '<option value="AP-1">直接委派' in new
    assert 'name="direct_approval"' not in render(
        "console/draws/new.html", task=TASK, approvals=[], form={}
    )
