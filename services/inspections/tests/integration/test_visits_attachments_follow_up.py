"""inspections on real PostgreSQL over HTTP: one visit across two tasks (进一次门、查多项事),
attachments stored with their SHA-256, follow-up of findings with the transfer clock, an
approved inspector replacement from the draw; every refusal writes nothing.

Upstream events (TaskApproved, DrawCompleted, DrawInspectorReplaced) come from a stand-in with
its own schema, outbox and relay, as planning and draws would send them."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import cast

import pytest
import sqlalchemy as sa

from inspections.adapters import orm
from inspections.adapters.unit_of_work import SqlInspectionsUnitOfWork
from inspections.service_layer import services
from inspections.service_layer.config import get_inspections_settings
from spotcheck_common.events.draws import (
    DrawCompleted,
    DrawInspectorReplaced,
    DrawnTarget,
    TeamMember,
)
from spotcheck_common.events.planning import CheckItemRef, TargetFilter, TaskApproved
from spotcheck_common.uow import OUTBOX, Context

from .conftest import CLOCK, Env, wait_for

pytestmark = pytest.mark.integration

USCC_1 = "91371000MA3C000017"
USCC_2 = "91371000MA3C000025"
LEADER, MEMBER, LEADER_B, MEMBER_B = "LG-001", "LG-002", "LG-011", "LG-012"
EXPERT, OUTSIDER = "EX-007", "LG-050"
FOOD, CONSUMER = "食品经营监管科", "消费者权益保护科"
DEADLINE = CLOCK.today() + timedelta(days=60)


def person(inspector_id: str, role: str, department: str = "临港市场监管所") -> TeamMember:
    return TeamMember.model_validate(
        {
            "inspector_id": inspector_id,
            "name": f"人员{inspector_id}",
            "department": department,
            "role": role,
        }
    )


def task(task_id: str, task_no: str, lead: str, items: list[str]) -> TaskApproved:
    return TaskApproved(
        task_id=task_id,
        task_no=task_no,
        title=f"{task_no} 双随机抽查",
        lead_department=lead,
        check_items=[CheckItemRef(code=c, name=f"检查事项{c}") for c in items],
        target_filter=TargetFilter(),
        ratio_bp={"D": 1500},
        inspector_departments=["临港市场监管所"],
        team_size=2,
        deadline=DEADLINE,
        approved_by="fuju-wang",
        plan_id="plan-1",
        plan_no="LG-JH-2026-01",
        plan_name="临港区2026年度双随机抽查工作计划",
    )


def draw(task_id: str, task_no: str, targets: list[tuple[str, list[TeamMember]]]) -> DrawCompleted:
    return DrawCompleted(
        draw_id=f"draw-{task_id}",
        task_id=task_id,
        task_no=task_no,
        algorithm="seeded-v1",
        seed_hex="ab" * 32,
        population_size=2000,
        targets=[
            DrawnTarget(uscc=uscc, entity_name=f"企业{uscc[-4:]}", risk_class="D", team=team)
            for uscc, team in targets
        ],
        unstaffed=[],
    )


TEAM_A = [person(LEADER, "leader"), person(MEMBER, "member"), person(EXPERT, "expert", "专家库")]
TEAM_B = [person(LEADER_B, "leader"), person(MEMBER_B, "member")]


async def opened(env: Env, n: int) -> None:
    async def enough() -> bool:
        return len(await env.rows(orm.inspections)) == n

    await wait_for(enough, f"{n} inspections")


async def two_tasks(env: Env) -> None:
    await env.emit(
        task("task-a", "LG-2026-021", FOOD, ["SP-01", "SP-02"]),
        task("task-b", "LG-2026-022", CONSUMER, ["XF-01"]),
        draw("task-a", "LG-2026-021", [(USCC_1, TEAM_A), (USCC_2, TEAM_A)]),
    )
    await opened(env, 2)
    await env.emit(draw("task-b", "LG-2026-022", [(USCC_1, TEAM_B)]))
    await opened(env, 3)


VISIT_RESULTS = {
    "results": [
        {"task_id": "task-a", "check_item_code": "SP-01", "category": "未发现问题"},
        {
            "task_id": "task-a",
            "check_item_code": "SP-02",
            "category": "发现问题待后续处理",
            "pending_reason": "未按规定公示应当公示的信息",
            "remark": "未公示食品经营许可证",
        },
        {"task_id": "task-b", "check_item_code": "XF-01", "category": "未发现问题"},
    ]
}


async def test_one_visit_across_two_tasks_then_follow_up_by_the_lead_department(env: Env) -> None:
    client = env.client
    await two_tasks(env)
    staff = env.as_("xinyong-zhang", "credit_dept")

    listed = (
        await client.get("/api/inspections/visits", params={"uscc": USCC_1}, headers=staff)
    ).json()
    (visit,) = listed["items"]
    assert visit["leader"]["inspector_id"] == LEADER and visit["lead_task_id"] == "task-a"
    assert [(c["task_id"], c["code"]) for c in visit["check_items"]] == [
        ("task-a", "SP-01"),
        ("task-a", "SP-02"),
        ("task-b", "XF-01"),
    ]
    assert (
        await client.get("/api/inspections/visits", params={"uscc": USCC_2}, headers=staff)
    ).json()["items"] == []
    url = f"/api/inspections/visits/{visit['visit_id']}"
    detail = (await client.get(url, headers=staff)).json()
    assert [h["action"] for h in detail["history"]] == ["visit_formed"]
    members = {m["inspector_id"]: [t["task_id"] for t in m["tasks"]] for m in detail["members"]}
    assert members[LEADER_B] == ["task-b"] and members[LEADER] == ["task-a"]
    a = await env.inspection_of("task-a", USCC_1)
    b = await env.inspection_of("task-b", USCC_1)
    by_visit = (
        await client.get(
            "/api/inspections/inspections", params={"visit_id": visit["visit_id"]}, headers=staff
        )
    ).json()
    assert {i["inspection_id"] for i in by_visit["items"]} == {a, b}

    # Refusals: nothing written.
    before = await env.snapshot()
    for headers, body, status, words in [
        ({}, VISIT_RESULTS, 401, "登录"),
        (env.as_("qiye", "entity", uscc=USCC_1), VISIT_RESULTS, 403, "执法检查人员(inspector)"),
        (env.as_("keyuan", "supervising_dept", department=FOOD), VISIT_RESULTS, 403, "缺少角色"),
        (env.inspector(LEADER_B), VISIT_RESULTS, 403, "只有本次检查的组长"),
        (env.inspector(LEADER), {"results": VISIT_RESULTS["results"][:2]}, 422, "LG-2026-022"),
        (
            env.inspector(LEADER),
            {
                "results": [
                    *VISIT_RESULTS["results"][:2],
                    {**VISIT_RESULTS["results"][2], "check_item_code": "SP-01"},
                ]
            },
            422,
            "不属于本任务",
        ),
    ]:
        answer = await client.put(url + "/results", json=body, headers=headers)
        assert answer.status_code == status, answer.text
        assert words in answer.text, answer.text
    assert (await client.get("/api/inspections/visits/nope", headers=staff)).status_code == 404
    assert await env.snapshot() == before

    recorded = await client.put(url + "/results", json=VISIT_RESULTS, headers=env.inspector(LEADER))
    assert recorded.status_code == 200, recorded.text
    assert [i["status"] for i in recorded.json()["inspections"]] == ["recorded", "recorded"]

    # Each task's team signs its own form; the visit's leader submits both.
    for inspection_id, people in [(a, [LEADER, MEMBER]), (b, [LEADER_B, MEMBER_B])]:
        for who in people:
            signed = await client.post(
                f"/api/inspections/inspections/{inspection_id}/sign", headers=env.inspector(who)
            )
            assert signed.status_code == 200, signed.text
    for inspection_id in (a, b):
        submitted = await client.post(
            f"/api/inspections/inspections/{inspection_id}/submit",
            json={},
            headers=env.inspector(LEADER),
        )
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["done"] is True

    events = [e["payload"] for e in await env.events("inspections.inspection-submitted")]
    assert sorted(e["task_id"] for e in events) == ["task-a", "task-b"]
    assert {e["visit_id"] for e in events} == {visit["visit_id"]}
    assert {e["plan_no"] for e in events} == {"LG-JH-2026-01"}
    (opened_event,) = await env.events("inspections.follow-up-opened")
    follow_up = opened_event["payload"]
    assert follow_up["kind"] == "problem" and follow_up["lead_department"] == FOOD
    assert follow_up["inspection_id"] == a and "未公示食品经营许可证" in follow_up["reason"]

    # The register: the credit department sees all; a department sees its own only.
    credit = env.as_("xinyong", "credit_dept", department="信用监管科")
    register = (await client.get("/api/inspections/follow-ups", headers=credit)).json()
    assert register["total"] == 1 and register["items"][0]["status"] == "open"
    assert register["transfer_due_workdays"] == 10
    fid = register["items"][0]["follow_up_id"]
    other = env.as_("xiaobao", "supervising_dept", department=CONSUMER)
    assert (await client.get("/api/inspections/follow-ups", headers=other)).json()["total"] == 0
    refused = await client.get(
        "/api/inspections/follow-ups", params={"department": FOOD}, headers=other
    )
    assert refused.status_code == 403
    station = env.as_("suo-zhang", "station")
    assert (await client.get("/api/inspections/follow-ups", headers=station)).status_code == 403

    outcomes = f"/api/inspections/follow-ups/{fid}/outcomes"

    async def published() -> bool:  # the relay would otherwise race with the snapshot
        return all(r.published_at is not None for r in await env.rows(OUTBOX))

    await wait_for(published, "the submission events to be published")
    before = await env.snapshot()
    case = {
        "action": "case_filed",
        "outcome": "立案调查",
        "case_no": "临市监立〔2026〕7号",
        "suspected_crime": True,
    }
    for headers, body, status in [
        (other, case, 403),  # not the lead department
        (env.inspector(LEADER), case, 403),  # inspectors do not record follow-up
        (env.as_("shipin", "supervising_dept", department=FOOD), {**case, "case_no": ""}, 422),
        (credit, {"action": "closed", "outcome": "x"}, 422),  # outcome too short
    ]:
        answer = await client.post(outcomes, json=body, headers=headers)
        assert answer.status_code == status, answer.text
    assert await env.snapshot() == before

    food = env.as_("shipin", "supervising_dept", department=FOOD)
    filed = await client.post(outcomes, json=case, headers=food)
    assert filed.status_code == 200, filed.text
    assert filed.json()["kind"] == "suspected_crime" and filed.json()["transfer_due_on"]
    assert filed.json()["overdue"] is False
    closing = await client.post(
        outcomes, json={"action": "closed", "outcome": "结案"}, headers=food
    )
    assert closing.status_code == 409 and "移送" in closing.json()["detail"]
    (recorded_event,) = await env.events("inspections.follow-up-recorded")
    assert recorded_event["actor"] == "shipin"
    assert recorded_event["payload"]["suspected_crime"] is True
    assert recorded_event["payload"]["case_no"] == "临市监立〔2026〕7号"

    # Time passes: the transfer day is behind us and nothing was transferred.
    async with env.rt.db.sessions() as session:
        await session.execute(
            sa.update(orm.follow_ups).values(transfer_due_on=CLOCK.today() - timedelta(days=1))
        )
        await session.commit()
    overdue = (
        await client.get("/api/inspections/follow-ups", params={"overdue": True}, headers=credit)
    ).json()
    assert overdue["total"] == 1 and overdue["items"][0]["overdue"] is True
    # The gauge is the runtime's periodic work (a read never writes it).
    await env.rt.run_periodic()
    metrics = (await client.get("/metrics")).text
    labels = f'department="{FOOD}",kind="case_not_transferred",source="inspections"'
    assert f"spotcheck_overdue_items{{{labels}}} 1.0" in metrics
    transferred = await client.post(
        outcomes, json={"action": "transferred", "outcome": "移送区公安分局"}, headers=credit
    )
    assert transferred.status_code == 200, transferred.text
    assert transferred.json()["overdue"] is False and transferred.json()["transferred_late"] is True
    done = await client.post(
        outcomes, json={"action": "closed", "outcome": "结案归档"}, headers=food
    )
    assert done.status_code == 200 and done.json()["status"] == "closed"
    assert [o["action"] for o in done.json()["outcomes"]] == ["case_filed", "transferred", "closed"]
    assert len(await env.events("inspections.follow-up-recorded")) == 3


async def test_attachments_with_their_hash_roles_and_limits(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = env.client
    await env.emit(
        task("task-a", "LG-2026-021", FOOD, ["SP-01"]),
        draw("task-a", "LG-2026-021", [(USCC_1, TEAM_A)]),
    )
    await opened(env, 1)
    inspection_id = await env.inspection_of("task-a", USCC_1)
    url = f"/api/inspections/inspections/{inspection_id}/attachments"
    note = "现场笔录：经营场所正常营业。".encode() * 100

    raw = await client.post(
        url,
        params={"kind": "onsite_note", "filename": "现场笔录.pdf"},
        content=note,
        headers={**env.inspector(LEADER), "Content-Type": "application/pdf"},
    )
    assert raw.status_code == 201, raw.text
    assert raw.json()["sha256"] == hashlib.sha256(note).hexdigest()
    assert raw.json()["size"] == len(note) and raw.json()["media_type"] == "application/pdf"
    photo = bytes(range(256)) * 10
    multi = await client.post(
        url,
        files={"file": ("门头.jpg", photo, "image/jpeg")},
        data={"kind": "photo"},
        headers=env.inspector(EXPERT, "expert"),
    )
    assert multi.status_code == 201, multi.text
    assert multi.json()["filename"] == "门头.jpg" and multi.json()["kind"] == "photo"
    (added, _) = await env.events("inspections.attachment-added")
    assert (
        added["payload"]["sha256"] == raw.json()["sha256"]
        and added["payload"]["added_by"] == LEADER
    )

    # Refusals write nothing. (First the relay marks the events above published: the
    # snapshot would otherwise race with it.)
    async def published() -> bool:
        return all(r.published_at is not None for r in await env.rows(OUTBOX))

    await wait_for(published, "the attachment events to be published")
    monkeypatch.setenv("SPOTCHECK_INSPECTIONS_ATTACHMENT_MAX_BYTES", "1024")
    get_inspections_settings.cache_clear()
    before = await env.snapshot()
    params = {"kind": "photo", "filename": "a.jpg"}
    for headers, query, body, status, words in [
        ({}, params, b"x", 401, "登录"),
        (env.as_("suo", "station"), params, b"x", 403, "缺少角色"),
        (env.inspector(OUTSIDER), params, b"x", 403, "不是该检查对象的检查组成员"),
        (env.inspector(LEADER), {"filename": "a.jpg"}, b"x", 422, "kind"),
        (env.inspector(LEADER), {"kind": "selfie", "filename": "a.jpg"}, b"x", 422, "kind"),
        (env.inspector(LEADER), {"kind": "photo", "filename": "../a.jpg"}, b"x", 422, "文件名"),
        (env.inspector(LEADER), {"kind": "photo", "filename": "CON"}, b"x", 422, "文件名"),
        (env.inspector(LEADER), params, b"x" * (1024 + 70 * 1024), 413, "大小上限"),
        (env.inspector(LEADER), params, b"x" * 2000, 413, "大小上限"),
    ]:
        answer = await client.post(url, params=query, content=body, headers=headers)
        assert answer.status_code == status, answer.text
        assert words in answer.text, answer.text
    unbounded = {**env.inspector(LEADER), "Content-Type": "multipart/form-data"}  # no boundary
    answer = await client.post(url, params=params, content=b"--x\r\n", headers=unbounded)
    assert answer.status_code == 422 and "multipart" in answer.json()["detail"], answer.text
    missing = await client.post(
        "/api/inspections/inspections/nope/attachments",
        params=params,
        content=b"x",
        headers=env.inspector(LEADER),
    )
    assert missing.status_code == 404
    assert await env.snapshot() == before
    monkeypatch.delenv("SPOTCHECK_INSPECTIONS_ATTACHMENT_MAX_BYTES")
    get_inspections_settings.cache_clear()

    # Reads: the list with hashes; the content, checked against its hash.
    staff = env.as_("xinyong", "credit_dept")
    listed = (await client.get(url, headers=staff)).json()
    # Both were added at the same (fixed) instant: their order is the ids', which are random.
    assert sorted((a["kind"], a["sha256"]) for a in listed["items"]) == [
        ("onsite_note", hashlib.sha256(note).hexdigest()),
        ("photo", hashlib.sha256(photo).hexdigest()),
    ]
    got = await client.get(f"{url}/{raw.json()['attachment_id']}", headers=staff)
    assert got.status_code == 200 and got.content == note
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment;")
    page = await client.post(
        url,
        params={"kind": "other", "filename": "说明.html"},
        content=b"<script>alert(1)</script>",
        headers={**env.inspector(LEADER), "Content-Type": "text/html"},
    )
    assert page.status_code == 201, page.text
    served = await client.get(f"{url}/{page.json()['attachment_id']}", headers=staff)
    assert served.headers["content-type"] == "application/octet-stream"  # never run as a page
    assert got.headers["x-content-sha256"] == hashlib.sha256(note).hexdigest()
    assert got.headers["content-type"] == "application/pdf"
    assert (await client.get(f"{url}/{raw.json()['attachment_id']}")).status_code == 401
    assert (await client.get(f"{url}/nope", headers=staff)).status_code == 404

    # A changed byte in the database is caught on read, never served.
    async with env.rt.db.sessions() as session:
        await session.execute(
            sa.update(orm.attachments)
            .where(orm.attachments.c.attachment_id == raw.json()["attachment_id"])
            .values(content=note[:-1] + b"!")
        )
        await session.commit()
    tampered = await client.get(f"{url}/{raw.json()['attachment_id']}", headers=staff)
    assert tampered.status_code == 500 and "SHA-256" in tampered.json()["detail"]

    # After submission with nothing to follow up, the file is complete.
    form = {"results": [{"check_item_code": "SP-01", "category": "未发现问题"}]}
    base = f"/api/inspections/inspections/{inspection_id}"
    assert (
        await client.put(base + "/results", json=form, headers=env.inspector(LEADER))
    ).status_code == 200
    for who in (LEADER, MEMBER):
        await client.post(base + "/sign", headers=env.inspector(who))
    assert (await client.post(base + "/submit", headers=env.inspector(LEADER))).status_code == 200
    late = await client.post(url, params=params, content=b"x", headers=env.inspector(LEADER))
    assert late.status_code == 409 and "后续处理" in late.json()["detail"]


async def test_refusal_and_unreachable_outcomes_and_withheld_results(env: Env) -> None:
    client = env.client
    await env.emit(
        task("task-a", "LG-2026-021", FOOD, ["SP-01", "SP-02"]),
        draw("task-a", "LG-2026-021", [(USCC_1, TEAM_A), (USCC_2, TEAM_A)]),
    )
    await opened(env, 2)
    refusing = await env.inspection_of("task-a", USCC_1)
    private = await env.inspection_of("task-a", USCC_2)
    forms = {
        refusing: {"not_inspected": {"reason": "serious_refusal", "remark": "拒不开门接受检查"}},
        private: {
            "results": [
                {"check_item_code": "SP-01", "category": "未发现问题"},
                {"check_item_code": "SP-02", "category": "未发现问题"},
            ],
            "withhold": {"reason": "涉及商业秘密", "legal_basis": "《政府信息公开条例》第十五条"},
        },
    }
    bad = await client.put(
        f"/api/inspections/inspections/{refusing}/results",
        json={
            "not_inspected": {
                "reason": "deregistered",
                "occurred_on": (DEADLINE + timedelta(days=1)).isoformat(),
            }
        },
        headers=env.inspector(LEADER),
    )
    assert bad.status_code == 422 and "截止日期" in bad.text
    withheld_by_member = await client.put(
        f"/api/inspections/inspections/{private}/results",
        json=forms[private],
        headers=env.inspector(MEMBER),
    )
    assert withheld_by_member.status_code == 403
    for inspection_id, form in forms.items():
        base = f"/api/inspections/inspections/{inspection_id}"
        recorded = await client.put(base + "/results", json=form, headers=env.inspector(LEADER))
        assert recorded.status_code == 200, recorded.text
        for who in (LEADER, MEMBER):
            await client.post(base + "/sign", headers=env.inspector(who))
        assert (
            await client.post(base + "/submit", headers=env.inspector(LEADER))
        ).status_code == 200
    staff = env.as_("xinyong", "credit_dept")
    done = (
        await client.get(
            "/api/inspections/inspections", params={"not_inspected": True}, headers=staff
        )
    ).json()
    (item,) = done["items"]
    assert item["inspection_id"] == refusing and item["done"] is True
    assert item["not_inspected_reason"] == "serious_refusal"
    assert [r["category"] for r in item["results"]] == ["不配合检查情节严重"] * 2
    submitted = {
        e["payload"]["inspection_id"]: e["payload"]
        for e in await env.events("inspections.inspection-submitted")
    }
    assert submitted[refusing]["not_inspected_reason"] == "不配合检查情节严重"
    assert (
        submitted[private]["withhold_reason"]
        == "涉及商业秘密（依据：《政府信息公开条例》第十五条）"
    )
    assert submitted[private]["not_inspected_reason"] == ""
    (opened_event,) = await env.events("inspections.follow-up-opened")
    assert (
        opened_event["payload"]["kind"] == "refusal"
        and opened_event["payload"]["inspection_id"] == refusing
    )


async def test_an_approved_replacement_from_the_draw_changes_the_team(env: Env) -> None:
    await env.emit(
        task("task-a", "LG-2026-021", FOOD, ["SP-01"]),
        draw("task-a", "LG-2026-021", [(USCC_1, TEAM_A)]),
    )
    await opened(env, 1)
    inspection_id = await env.inspection_of("task-a", USCC_1)
    base = f"/api/inspections/inspections/{inspection_id}"
    form = {"results": [{"check_item_code": "SP-01", "category": "未发现问题"}]}
    await env.client.put(base + "/results", json=form, headers=env.inspector(LEADER))
    await env.client.post(base + "/sign", headers=env.inspector(MEMBER))
    newcomer = person("LG-077", "member")
    team = [TEAM_A[0], newcomer, TEAM_A[2]]
    await env.emit(
        DrawInspectorReplaced(
            draw_id="draw-task-a",
            task_id="task-a",
            task_no="LG-2026-021",
            uscc=USCC_1,
            replaced_inspector_id=MEMBER,
            replacement=newcomer,
            team=team,
            reason="回避：与检查对象负责人系近亲属",
            approved_by="fuju-wang",
            approval_ref="临市监审〔2026〕12号",
        )
    )
    staff = env.as_("xinyong", "credit_dept")

    async def replaced() -> bool:
        detail = (await env.client.get(base, headers=staff)).json()
        return "LG-077" in {m["inspector_id"] for m in detail["team"]}

    await wait_for(replaced, "the replacement to reach the inspection")
    detail = (await env.client.get(base, headers=staff)).json()
    assert detail["unsigned"] == [LEADER, "LG-077"] and detail["signatures"] == {}
    step = detail["history"][-1]
    assert step["action"] == "inspector_replaced"
    assert step["detail"]["approval_ref"] == "临市监审〔2026〕12号"
    assert step["detail"]["approved_by"] == "fuju-wang" and step["detail"][
        "signatures_dropped"
    ] == [MEMBER]
    # The replaced inspector is off the team; the newcomer signs.
    assert (await env.client.post(base + "/sign", headers=env.inspector(MEMBER))).status_code == 403
    assert (
        await env.client.post(base + "/sign", headers=env.inspector("LG-077"))
    ).status_code == 200


async def test_two_draws_of_one_target_handled_at_once_still_make_one_visit(env: Env) -> None:
    """Two replicas handling two tasks' draws of the same target at the same instant: the
    per-target lock makes the second wait for the first and join its inspection."""
    await env.emit(
        task("task-a", "LG-2026-021", FOOD, ["SP-01"]),
        task("task-b", "LG-2026-022", CONSUMER, ["XF-01"]),
    )

    async def known() -> bool:
        return len(await env.rows(orm.tasks)) == 2

    await wait_for(known, "both tasks")
    first_in = asyncio.Event()

    async def handle(event: DrawCompleted, hold: bool) -> None:
        async with env.rt.uow(Context(actor="replica")) as uow:
            await services.draw_completed(cast(SqlInspectionsUnitOfWork, uow), event, CLOCK.now())
            if hold:  # keep the transaction open while the other replica starts
                first_in.set()
                await asyncio.sleep(0.5)
            await uow.commit()

    async def second() -> None:
        await first_in.wait()
        await handle(draw("task-b", "LG-2026-022", [(USCC_1, TEAM_B)]), False)

    await asyncio.gather(handle(draw("task-a", "LG-2026-021", [(USCC_1, TEAM_A)]), True), second())
    rows = await env.rows(orm.inspections)
    assert len(rows) == 2 and len({r.visit_id for r in rows}) == 1 and rows[0].visit_id
    (visit,) = await env.rows(orm.visits)
    assert visit.leader["inspector_id"] == LEADER
