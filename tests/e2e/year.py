"""A year in miniature (issue 4): the item list, two departments' annual plans through the
approval chain, three tasks (one sent down by the city), a target drawn in two tasks and
visited once, an unreachable target, a serious refusal, a directly assigned team, a task
checked jointly with the tax office (its liaison commits and reveals), a product sampling
task (samples, sampling form and lab report, the products published in their own fields), an
objection across the National Day holiday that leads to a correction granted by the city
bureau, every dossier verifying its hash chain; five weeks on, an overdue objection exempted
by the director's meeting."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from spotcheck_common import uscc

from .flow import (
    CREDIT,
    DEPUTY,
    ENTITY_HEADER,
    INSPECTOR_HEADER,
    OFFICE,
    TODAY,
    Cycle,
    Platform,
    correct_through_the_city,
    eventually,
    inspector,
    run_draw,
    verify_bundle,
)

YEAR = TODAY.year
# The scenario's entities sit in their own area, so other tests' entities in a shared stack are
# outside its tasks' scope.
ZONE = "临港经济技术开发区"
MARKET = "市场规范管理科"
FOOD = "食品经营监管科"
MARKET_HEAD = ("sun.market", ["supervising_dept"], {"department": MARKET})
FOOD_HEAD = ("zhou.food", ["supervising_dept"], {"department": FOOD})
MEETING = ("director.meeting", ["director_meeting"], {})
GS = {"code": "GS-01", "name": "企业公示信息抽查"}
DJ = {"code": "DJ-01", "name": "登记事项检查"}
SP = {"code": "SP-01", "name": "食品经营许可情况检查"}
CP = {"code": "CP-01", "name": "食品生产加工产品质量抽检"}
ITEM_LIST = (
    "事项编号,抽查类别,抽查事项,检查对象,事项类别,检查方式,检查主体,检查依据\n"
    "GS-01,企业信息公示,企业公示信息抽查,各类企业,一般,书面检查,市场监管部门,"
    "《企业信息公示暂行条例》\n"
    "DJ-01,登记事项,登记事项检查,各类市场主体,一般,现场检查,市场监管部门,"
    "《市场主体登记管理条例》\n"
    "SP-01,食品安全,食品经营许可情况检查,食品经营者,重点,现场检查,市场监管部门,"
    "《食品安全法》\n"
    "CP-01,产品质量,食品生产加工产品质量抽检,产品,重点,抽样检测,市场监管部门,"
    "《产品质量法》《食品安全法》\n"
).encode()
PRODUCT_HEADER = (
    "生产者统一社会信用代码,产品名称,商标,规格型号,生产日期或批号,生产者名称,销售场所,"
    "行业,区域,风险等级"
)
# A sample's paperwork, as the inspectors scan it (a one-page PDF).
PAPER = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# The paper application arrives and is decided the day the result is published (the services'
# day, Mon 2026-11-16: an objection never predates its result). Expected from the official
# calendar (no holiday until New Year), not from the code under test: 20, 15 and 5 working days.
RECEIVED, DECIDED = date(2026, 11, 16), date(2026, 11, 16)
REVIEW_DUE, FEEDBACK_DUE, CORRECTION_DUE = (
    date(2026, 12, 14),
    date(2026, 12, 7),
    date(2026, 11, 23),
)


@dataclass
class Year:
    market_codes: list[str] = field(default_factory=list)  # class E: drawn by T1 and the city
    food_codes: list[str] = field(default_factory=list)  # class D, catering: drawn by T2
    plans: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, Cycle] = field(default_factory=dict)
    objection: dict[str, Any] = field(default_factory=dict)
    reported_tasks: set[str] = field(default_factory=set)  # named by a 第八条 report
    product_codes: list[str] = field(default_factory=list)  # ZP…: the registry's ids
    # The producer's objection, left undecided: overdue five weeks on (exempt_later).
    product_objection: dict[str, Any] = field(default_factory=dict)


def load_registry(p: Platform, year: Year) -> None:
    year.market_codes = uscc.synthetic(3, seed=YEAR, area_code="371071")
    # All registered in the district (临港, 371071): an import refuses any other division.
    year.food_codes = uscc.synthetic(4, seed=YEAR + 1, area_code="371071")
    others = uscc.synthetic(10, seed=YEAR + 2, area_code="371071")
    rows = [ENTITY_HEADER]
    rows += [
        f"{c},临港商贸{i}有限公司,有限责任公司,批发和零售业,{ZONE},E,存续,{ZONE}{i}号"
        for i, c in enumerate(year.market_codes)
    ]
    rows += [
        f"{c},临港餐饮{i}店,个体工商户,住宿和餐饮业,{ZONE},D,存续,{ZONE}{i}号"
        for i, c in enumerate(year.food_codes)
    ]
    rows += [
        f"{c},临港科技{i}有限公司,有限责任公司,信息技术服务业,蔄山镇,A,存续,蔄山镇{i}号"
        for i, c in enumerate(others)
    ]
    # 第一条: organisations other than market entities are registered too, their kind read
    # from the code (a 事业单位, 12…), and no market-entity task ever draws them.
    body = "12371071MB" + "".join(uscc.ALPHABET[(YEAR + i) % 31] for i in range(7))
    institution = body + uscc.check_char(body)
    rows.append(f"{institution},临港区疾病预防控制中心,事业单位,卫生,{ZONE},E,存续,{ZONE}9号")
    p.call(
        "registry",
        "POST",
        "/api/registry/entities/import",
        CREDIT,
        content=("\n".join(rows) + "\n").encode(),
        headers={"content-type": "text/csv"},
    )
    inspectors = [INSPECTOR_HEADER]
    for dept, prefix in ((MARKET, "SC"), (FOOD, "SP")):
        inspectors += [
            f"{prefix}{i:02d},{dept[:2]}检查员{i},{dept},双随机全部事项,"
            f"{'是' if i % 2 == 0 else '否'},2030-12-31,是"
            for i in range(6)
        ]
    kinds = p.call(
        "registry", "GET", "/api/registry/entities", CREDIT, params={"kind": "institution"}
    )["items"]
    assert [(e["uscc"], e["object_kind_label"]) for e in kinds if e["uscc"] == institution] == [
        (institution, "事业单位")
    ]
    p.call(
        "registry",
        "POST",
        "/api/registry/inspectors/import",
        CREDIT,
        content=("\n".join(inspectors) + "\n").encode(),
        headers={"content-type": "text/csv"},
    )
    p.call(
        "registry",
        "POST",
        "/api/registry/check-items/import",
        CREDIT,
        content=ITEM_LIST,
        headers={"content-type": "text/csv"},
        params={"reason": f"{YEAR}年度抽查事项清单", "effective_from": f"{YEAR}-01-01"},
    )


def plan_items(*items: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "check_item_code": i["code"],
            "check_item_name": i["name"],
            "scope": "辖区内市场主体",
            "period_from": f"{YEAR}-01-01",
            "period_to": f"{YEAR}-12-31",
        }
        for i in items
    ]


def create_plan(
    p: Platform, head: Any, dept: str, no: str, items: tuple[dict[str, str], ...]
) -> Any:
    body = {
        "plan_no": f"{YEAR}-{no}",
        "plan_name": f"{YEAR}年{dept}双随机抽查工作计划",
        "department": dept,
        "year": YEAR,
        "items": plan_items(*items),
    }
    # Refused (422) until planning has received the item list from the registry.
    return eventually(
        lambda: p.call("planning", "POST", "/api/planning/plans", head, json=body),
        "planning to know the item list",
    )


def approve_plans(p: Platform, year: Year) -> None:
    """Both departments' plans through the chain; consolidation waits for full coverage."""

    def list_known() -> bool:
        report = p.call(
            "planning", "GET", "/api/planning/plans/coverage", CREDIT, params={"year": YEAR}
        )
        return {i["code"] for i in report["items"]} >= {c["code"] for c in (GS, DJ, SP, CP)}

    eventually(list_known, "planning to receive the item list from the registry")
    for head, dept, no, items in (
        (MARKET_HEAD, MARKET, "JH-01", (GS, DJ)),
        (FOOD_HEAD, FOOD, "JH-02", (SP, CP)),
    ):
        plan = create_plan(p, head, dept, no, items)
        year.plans[dept] = plan["plan_id"]
        p.call("planning", "POST", f"/api/planning/plans/{plan['plan_id']}/submit", head)
        if dept == MARKET:
            # With only one department's plan signed, SP-01 is uncovered: refused, named.
            p.call("planning", "POST", f"/api/planning/plans/{plan['plan_id']}/sign", DEPUTY)
            refused = p.call(
                "planning",
                "POST",
                "/api/planning/plans/consolidate",
                CREDIT,
                json={"year": YEAR},
                expect=422,
            )
            assert "SP-01" in str(refused), refused
        else:
            # The deputy director rejects once; the department resubmits.
            p.call(
                "planning",
                "POST",
                f"/api/planning/plans/{plan['plan_id']}/reject",
                DEPUTY,
                json={"reason": "抽查范围需细化"},
            )
            p.call("planning", "POST", f"/api/planning/plans/{plan['plan_id']}/submit", head)
            p.call("planning", "POST", f"/api/planning/plans/{plan['plan_id']}/sign", DEPUTY)
    p.call("planning", "POST", "/api/planning/plans/consolidate", CREDIT, json={"year": YEAR})
    for plan_id in year.plans.values():
        p.call("planning", "POST", f"/api/planning/plans/{plan_id}/approve", MEETING)
        p.call(
            "planning",
            "POST",
            f"/api/planning/plans/{plan_id}/file",
            CREDIT,
            json={"filed_on": TODAY.isoformat(), "filing_ref": f"威临市监备〔{YEAR}〕1号"},
        )
        p.call("planning", "POST", f"/api/planning/plans/{plan_id}/publish", OFFICE)
    public = eventually(
        lambda: (
            (r := p.call("publication", "GET", "/public/plans", params={"year": YEAR}))["total"]
            >= 2
            and r
        ),
        "both plans to be public",
    )
    assert {i["department"] for i in public["items"]} >= {MARKET, FOOD}


def task_body(
    no: str,
    lead: str,
    items: list[dict[str, str]],
    ratio: dict[str, int],
    depts: list[str],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "task_no": no,
        "title": f"{YEAR}年{lead}抽查任务{no}",
        "lead_department": lead,
        "check_items": items,
        "ratio_bp": ratio,
        "inspector_departments": depts,
        "team_size": 2,
        "methods": ["现场检查"],
        # Within this year: the yearly cap counts a task in its deadline's year.
        "deadline": min(TODAY + timedelta(days=30), date(YEAR, 12, 31)).isoformat(),
        **extra,
    }


def approve_tasks(p: Platform, year: Year) -> None:
    specs = {
        "T1": (
            MARKET_HEAD,
            "/api/planning/tasks",
            task_body(
                f"{YEAR}-T1",
                MARKET,
                [GS],
                {"E": 10000},
                [MARKET],
                plan_id=year.plans[MARKET],
                target_filter={"areas": [ZONE]},
            ),
        ),
        "T2": (
            FOOD_HEAD,
            "/api/planning/tasks",
            task_body(
                f"{YEAR}-T2",
                FOOD,
                [SP],
                {"D": 10000},
                [FOOD],
                plan_id=year.plans[FOOD],
                target_filter={"industries": ["住宿和餐饮业"], "areas": [ZONE]},
            ),
        ),
        "CITY": (
            CREDIT,
            "/api/planning/tasks/receive",
            task_body(
                f"{YEAR}-SJ-1",
                MARKET,
                [DJ],
                {"E": 10000},
                [MARKET],
                source="city",
                target_filter={"areas": [ZONE]},
                issuing_authority="威海市市场监督管理局",
                document_no=f"威市监函〔{YEAR}〕8号",
            ),
        ),
    }
    for key, (who, path, body) in specs.items():
        task = p.call("planning", "POST", path, who, json=body)
        p.call("planning", "POST", f"/api/planning/tasks/{task['task_id']}/approve", DEPUTY)
        p.call("planning", "POST", f"/api/planning/tasks/{task['task_id']}/publish", CREDIT)
        year.tasks[key] = Cycle(task_id=task["task_id"], task_no=body["task_no"])
    # A fourth task drawing class E again would check an entity a third time this year.
    over = p.call(
        "planning",
        "POST",
        "/api/planning/tasks",
        MARKET_HEAD,
        json=task_body(f"{YEAR}-T9", MARKET, [GS], {"E": 500}, [MARKET]),
    )
    refused = p.call(
        "planning", "POST", f"/api/planning/tasks/{over['task_id']}/approve", DEPUTY, expect=422
    )
    assert "E" in str(refused)


def draw_all(p: Platform, year: Year) -> None:
    minimum = {"T1": 3, "T2": 4, "CITY": 3}
    # 第六条: the food department has too few inspectors to match at random; the deputy
    # director approves direct assignment, in public, before the draw is frozen.
    assigned = {"T2": "食品经营监管科执法人员不足，不能满足随机匹配条件"}
    for key, cycle in year.tasks.items():
        run_draw(p, cycle, min_population=minimum[key], assigned_because=assigned.get(key, ""))
        draw = p.call("draws", "GET", f"/api/draws/draws/{cycle.draw_id}", CREDIT)
        cycle.targets = draw["targets"]
        # Every draw is recomputed by the citizen's verifier from its public bundle.
        verified = verify_bundle(cycle.bundle)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert ("ASSIGNED DIRECTLY" in verified.stdout) is (key in assigned), verified.stdout
    shares = p.call("draws", "GET", "/api/draws/statistics/direct-assignment", CREDIT)
    food = next(s for s in shares["items"] if s["department"] == FOOD)
    assert food["assigned"] == food["teams"] == len(year.tasks["T2"].targets)
    # Ratio 100 %: every class-E entity is drawn by T1 and by the city's task.
    assert {t["uscc"] for t in year.tasks["T1"].targets} == set(year.market_codes)
    assert {t["uscc"] for t in year.tasks["CITY"].targets} == set(year.market_codes)
    assert {t["uscc"] for t in year.tasks["T2"].targets} == set(year.food_codes)


TAX = "tax"
TAX_NAME = "国家税务总局威海市临港区税务局"
SW = {"code": "SW-01", "name": "发票使用情况检查"}
EXTERNAL_HEADER = "单位代码,单位名称,执法人员编号,姓名,检查资格,执法证有效期至,在岗"


def check_with_the_tax_office(p: Platform, year: Year) -> None:
    """第三条 联合检查: the credit department imports the tax office's inspectors; the market
    department's task names the tax office as co-organiser with its own item; its liaison
    commits and reveals the agency's share; every team holds one of its inspectors (never the
    leader), who signs the record form with its item; the results say whose item each is."""
    roster = [EXTERNAL_HEADER] + [
        f"{TAX},{TAX_NAME},SW{n},税务检查员{n},{SW['code']},2030-12-31,是" for n in (1, 2)
    ]
    p.call(
        "registry",
        "POST",
        "/api/registry/external-inspectors/import",
        CREDIT,
        content=("\n".join(roster) + "\n").encode(),
        headers={"content-type": "text/csv"},
    )
    co = {"agency": TAX, "name": TAX_NAME, "check_items": [SW], "inspectors_per_team": 1}
    body = task_body(
        f"{YEAR}-T3",
        MARKET,
        [GS],
        {"A": 2000},  # class A of 蔄山镇: 2 of the 10
        [MARKET],
        plan_id=year.plans[MARKET],
        target_filter={"areas": ["蔄山镇"]},
        co_organisers=[co],
    )
    task = p.call("planning", "POST", "/api/planning/tasks", MARKET_HEAD, json=body)
    p.call("planning", "POST", f"/api/planning/tasks/{task['task_id']}/approve", DEPUTY)
    p.call("planning", "POST", f"/api/planning/tasks/{task['task_id']}/publish", CREDIT)
    cycle = year.tasks["JOINT"] = Cycle(task_id=task["task_id"], task_no=body["task_no"])
    run_draw(p, cycle, min_population=10)
    draw = p.call("draws", "GET", f"/api/draws/draws/{cycle.draw_id}", CREDIT)
    assert f"{TAX}:联合检查单位" in draw["parties"]
    cycle.targets = draw["targets"]
    verified = verify_bundle(cycle.bundle)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    for form in inspections_of(p, cycle):
        ids = [m["inspector_id"] for m in form["team"]]
        leader = next(m["inspector_id"] for m in form["team"] if m["role"] == "leader")
        assert [i for i in ids if i.startswith(f"{TAX}:")] and not leader.startswith(f"{TAX}:")
        base = f"/api/inspections/inspections/{form['inspection_id']}"
        results = [{"check_item_code": c["code"], "category": "未发现问题"} for c in (GS, SW)]
        p.call(
            "inspections", "PUT", f"{base}/results", inspector(leader), json={"results": results}
        )
        for member in ids:
            p.call("inspections", "POST", f"{base}/sign", inspector(member))
        p.call("inspections", "POST", f"{base}/submit", inspector(leader), json={})

    def published() -> Any:
        found = p.call("publication", "GET", "/public/results", params={"task_no": cycle.task_no})
        return found["items"] if found["total"] == len(cycle.targets) else None

    for record in eventually(published, "the joint task's results in public"):
        agencies = {r["check_item_code"]: r["agency"] for r in record["results"]}
        assert agencies == {GS["code"]: "", SW["code"]: TAX}, agencies


def sample_products(p: Platform, year: Year) -> None:
    """第一条: a task may target products. The registry gives each product its own id, the
    food department's sampling task draws only products (verifiably), the leader records the
    samples and files the sampling form and the lab report (submission waits for them), and
    the results are published in the products' own fields, never as a USCC."""
    producer = uscc.synthetic(1, seed=YEAR + 3, area_code="371071")[0]
    rows = [PRODUCT_HEADER] + [
        f"{producer},饮用天然矿泉水,临港泉,{spec},{YEAR}-10-0{i + 1},威海临港泉饮品有限公司,"
        f"{ZONE}惠民超市,食品,{ZONE},C"
        for i, spec in enumerate(("550mL", "5L"))
    ]
    for attempt in range(2):  # the same products again: nothing new, the same ids
        report = p.call(
            "registry",
            "POST",
            "/api/registry/products/import",
            CREDIT,
            content=("\n".join(rows) + "\n").encode(),
            headers={"content-type": "text/csv"},
        )
        assert report["new"] == (2 if attempt == 0 else 0), report
    products = p.call(
        "registry",
        "GET",
        "/api/registry/entities",
        CREDIT,
        params={"kind": "product", "q": "临港泉"},
    )["items"]
    year.product_codes = sorted(e["uscc"] for e in products)
    assert len(year.product_codes) == 2 and all(c.startswith("ZP") for c in year.product_codes)
    body = task_body(
        f"{YEAR}-CP",
        FOOD,
        [CP],
        {"C": 10000},
        [FOOD],
        plan_id=year.plans[FOOD],
        methods=["抽样检测"],
        target_filter={"object_kind": "product", "areas": [ZONE]},
    )
    task = p.call("planning", "POST", "/api/planning/tasks", FOOD_HEAD, json=body)
    p.call("planning", "POST", f"/api/planning/tasks/{task['task_id']}/approve", DEPUTY)
    p.call("planning", "POST", f"/api/planning/tasks/{task['task_id']}/publish", CREDIT)
    cycle = year.tasks["CP"] = Cycle(task_id=task["task_id"], task_no=body["task_no"])
    run_draw(p, cycle, min_population=2)
    cycle.targets = p.call("draws", "GET", f"/api/draws/draws/{cycle.draw_id}", CREDIT)["targets"]
    verified = verify_bundle(cycle.bundle)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert {t["uscc"] for t in cycle.targets} == set(year.product_codes)
    for form in inspections_of(p, cycle):
        assert form["details"]["producer_uscc"] == producer
        head = next(m["inspector_id"] for m in form["team"] if m["role"] == "leader")
        base = f"/api/inspections/inspections/{form['inspection_id']}"
        sample = {
            "sample_no": f"CP-{form['details']['specification']}",
            "quantity": "12瓶",
            "taken_at": f"{ZONE}惠民超市",
            "taken_on": TODAY.isoformat(),
            "sealed": True,
            "seal_no": f"FT-{form['inspection_id'][:8]}",
            "testing_body": "威海市产品质量检验所",
        }
        p.call("inspections", "PUT", f"{base}/samples", inspector(head), json={"samples": [sample]})
        results = {"results": [{"check_item_code": CP["code"], "category": "未发现问题"}]}
        p.call("inspections", "PUT", f"{base}/results", inspector(head), json=results)
        for kind in ("sampling_form", "lab_report"):
            if kind == "lab_report":  # the testing body's report is still awaited: refused
                fresh = p.call("inspections", "GET", base, CREDIT)
                for member in fresh["team"]:
                    p.call("inspections", "POST", f"{base}/sign", inspector(member["inspector_id"]))
                refused = p.call(
                    "inspections", "POST", f"{base}/submit", inspector(head), json={}, expect=422
                )
                assert "检验报告" in str(refused), refused
            p.call(
                "inspections",
                "POST",
                f"{base}/attachments",
                inspector(head),
                content=PAPER,
                params={"kind": kind, "filename": f"{kind}.pdf"},
                headers={"content-type": "application/pdf"},
            )
        p.call("inspections", "POST", f"{base}/submit", inspector(head), json={})

    def published() -> Any:
        found = p.call("publication", "GET", "/public/results", params={"q": "临港泉"})
        return found["items"] if found["total"] == 2 else None

    records = eventually(published, "the products' results in public")
    for record in records:
        assert record["uscc"] in year.product_codes
        assert record["object_kind"] == "product"
        fields = {f["label"]: f["value"] for f in record["object_fields"]}
        assert fields["生产者统一社会信用代码"] == producer
        assert fields["商标"] == "临港泉"
    # The producer finds its products by its own code, and objects to one under the product's
    # id; another entity may not.
    by_producer = p.call("publication", "GET", "/public/results", params={"uscc": producer})
    assert {r["uscc"] for r in by_producer["items"]} == set(year.product_codes)
    record = records[0]
    objection = {
        "record_id": record["record_id"],
        "uscc": record["uscc"],
        "reason": "样品非本厂生产",
    }

    def filed() -> Any:
        response = p.client.post(
            p.urls["objections"] + "/api/objections/objections",
            json=objection,
            headers=p.headers(("producer", ["entity"], {"uscc": producer})),
        )
        if response.status_code == 404:  # the record has not reached objections yet
            return None
        assert response.status_code == 201, response.text
        return response.json()

    year.product_objection = eventually(filed, "objections to know the product's record")
    stranger = ("stranger", ["entity"], {"uscc": year.market_codes[0]})
    p.call("objections", "POST", "/api/objections/objections", stranger, json=objection, expect=403)


def inspections_of(p: Platform, cycle: Cycle) -> list[dict[str, Any]]:
    def opened() -> Any:
        found = p.call(
            "inspections",
            "GET",
            "/api/inspections/inspections",
            CREDIT,
            params={"task_id": cycle.task_id, "limit": 100},
        )
        return found["items"] if found["total"] == len(cycle.targets) else None

    items: list[dict[str, Any]] = eventually(opened, f"the inspections of {cycle.task_no}")
    return items


def sign_and_submit(p: Platform, inspection: dict[str, Any], submitter: str) -> None:
    base = f"/api/inspections/inspections/{inspection['inspection_id']}"
    for member in inspection["team"]:
        if member["role"] in ("leader", "member"):
            p.call("inspections", "POST", f"{base}/sign", inspector(member["inspector_id"]))
    p.call("inspections", "POST", f"{base}/submit", inspector(submitter), json={})


def inspect_the_year(p: Platform, year: Year) -> None:
    city = {i["uscc"]: i for i in inspections_of(p, year.tasks["CITY"])}
    food = inspections_of(p, year.tasks["T2"])
    t1 = {i["uscc"]: i for i in inspections_of(p, year.tasks["T1"])}  # after the city's opened
    # One visit, many checks: each class-E target, drawn by T1 and the city, is visited once;
    # the first shows a problem, the second refuses seriously, the third is fine.
    outcomes = [
        {
            "results": [
                {
                    "task_id": year.tasks["T1"].task_id,
                    "check_item_code": GS["code"],
                    "category": "发现问题待后续处理",
                    "pending_reason": "未按规定公示应当公示的信息",
                },
                {
                    "task_id": year.tasks["CITY"].task_id,
                    "check_item_code": DJ["code"],
                    "category": "未发现问题",
                },
            ]
        },
        {"not_inspected": {"reason": "serious_refusal"}},
        {
            "results": [
                {
                    "task_id": year.tasks["T1"].task_id,
                    "check_item_code": GS["code"],
                    "category": "未发现问题",
                },
                {
                    "task_id": year.tasks["CITY"].task_id,
                    "check_item_code": DJ["code"],
                    "category": "未发现问题",
                },
            ]
        },
    ]
    for code, body in zip(year.market_codes, outcomes, strict=True):
        visit_id = t1[code]["visit_id"]
        assert visit_id and city[code]["visit_id"] == visit_id, "two tasks, one visit"
        visit = p.call("inspections", "GET", f"/api/inspections/visits/{visit_id}", CREDIT)
        assert {i["task_id"] for i in visit["inspections"]} == {
            year.tasks["T1"].task_id,
            year.tasks["CITY"].task_id,
        }
        leader = visit["leader"]["inspector_id"]
        p.call(
            "inspections",
            "PUT",
            f"/api/inspections/visits/{visit_id}/results",
            inspector(leader),
            json=body,
        )
        for form in (t1[code], city[code]):
            fresh = p.call(
                "inspections",
                "GET",
                f"/api/inspections/inspections/{form['inspection_id']}",
                CREDIT,
            )
            sign_and_submit(p, fresh, leader)
    # The food task: one target unreachable at its registered address, the rest fine.
    for n, form in enumerate(food):
        head = next(m["inspector_id"] for m in form["team"] if m["role"] == "leader")
        body = (
            {"not_inspected": {"reason": "unreachable"}}
            if n == 0
            else {"results": [{"check_item_code": SP["code"], "category": "未发现问题"}]}
        )
        p.call(
            "inspections",
            "PUT",
            f"/api/inspections/inspections/{form['inspection_id']}/results",
            inspector(head),
            json=body,
        )
        sign_and_submit(p, form, head)

    def year_follow_ups() -> list[str] | None:
        kinds = []
        for cycle in year.tasks.values():
            found = p.call(
                "inspections",
                "GET",
                "/api/inspections/follow-ups",
                CREDIT,
                params={"task_id": cycle.task_id},
            )
            kinds += [f["kind"] for f in found["items"]]
        return sorted(kinds) if len(kinds) >= 4 else None

    # T1: the problem and the refusal; the city's task: the refusal; T2: the unreachable target.
    kinds = eventually(year_follow_ups, "follow-ups of the problem, refusals and unreachable")
    assert kinds.count("refusal") == 2 and kinds.count("problem") == 2, kinds


# The scan of a paper application (a one-page PDF, as a scanner writes it).
SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def object_on_paper(p: Platform, year: Year) -> None:
    cycle = year.tasks["T1"]
    visited = year.market_codes[0]

    def record() -> Any:
        found = p.call(
            "publication",
            "GET",
            "/public/results",
            params={"task_no": cycle.task_no, "uscc": visited},
        )
        return found["items"][0] if found["total"] else None

    published = eventually(record, "the visited target's result to be public")

    def filed() -> Any:  # a paper application: its date and its scan, recorded by the office
        response = p.client.post(
            p.urls["objections"] + "/api/objections/objections/paper",
            headers=p.headers(CREDIT),
            data={
                "record_id": published["record_id"],
                "uscc": visited,
                "reason": "年报已按时公示",
                "received_on": RECEIVED.isoformat(),
            },
            files={"file": ("异议申请书.pdf", SCAN, "application/pdf")},
        )
        return response.json() if response.status_code == 201 else None

    objection = eventually(filed, "objections to know the published record")
    assert objection["review_due_on"] == REVIEW_DUE.isoformat()
    assert objection["scan"]["sha256"] == hashlib.sha256(SCAN).hexdigest()
    scan = p.client.get(p.urls["objections"] + objection["scan"]["href"], headers=p.headers(CREDIT))
    assert scan.content == SCAN and scan.headers["x-content-type-options"] == "nosniff"
    decided = p.call(
        "objections",
        "POST",
        f"/api/objections/objections/{objection['objection_id']}/decision",
        CREDIT,
        json={
            "decision": "corrected",
            "reason": "复查确认已按时公示",
            "decided_on": DECIDED.isoformat(),
            "corrected_results": [
                {
                    "check_item_code": GS["code"],
                    "check_item_name": GS["name"],
                    "category": "未发现问题",
                }
            ],
        },
    )
    assert decided["feedback_due_on"] == FEEDBACK_DUE.isoformat()
    assert decided["correction_due_on"] == CORRECTION_DUE.isoformat()
    # 第九条: requested of the city bureau and granted before anything is republished.
    decided = correct_through_the_city(p, objection["objection_id"], f"临市监更〔{YEAR}〕7号")
    year.objection = decided | {"record_id": published["record_id"]}

    def corrected() -> Any:
        r = p.call("publication", "GET", f"/public/results/{published['record_id']}")
        return r if len(r["versions"]) == 2 else None

    eventually(corrected, "the correction to be published")


REPORTS = "/api/inspections/not-inspected-reports"


def report_counted_as_done(p: Platform, year: Year) -> None:
    """第八条: each lead department reports the objects of its tasks counted as done (the
    serious refusals, the unreachable target); the credit department, refused while one has
    not, consolidates them in the city bureau's format; the file is what was frozen, and each
    task's dossier files the report."""
    period = {"period_start": f"{YEAR}-11-01", "period_end": TODAY.isoformat()}
    heads = {MARKET: MARKET_HEAD, FOOD: FOOD_HEAD}
    task_ids = {c.task_id for c in year.tasks.values()}
    draft = p.call("inspections", "GET", f"{REPORTS}/consolidation-draft", CREDIT, params=period)
    assert set(draft["unreported"]) >= {MARKET, FOOD}, draft["unreported"]
    p.call("inspections", "POST", f"{REPORTS}/consolidated", CREDIT, json=period, expect=409)
    for department in sorted(draft["unreported"]):
        p.call("inspections", "POST", f"{REPORTS}/department", heads[department], json=period)
    report = p.call("inspections", "POST", f"{REPORTS}/consolidated", CREDIT, json=period)
    counted = p.call(
        "inspections",
        "GET",
        "/api/inspections/inspections",
        CREDIT,
        params={"not_inspected": "true", "limit": 500},
    )
    expected = {i["inspection_id"] for i in counted["items"] if i["task_id"] in task_ids}
    reported = {i["inspection_id"] for i in report["items"] if i["task_id"] in task_ids}
    assert len(expected) == 3 and reported == expected  # two refusals, one unreachable
    url = p.urls["inspections"] + f"{REPORTS}/{report['report_id']}/file"
    xlsx = p.client.get(url, params={"format": "xlsx"}, headers=p.headers(CREDIT))
    assert xlsx.status_code == 200, xlsx.text
    assert hashlib.sha256(xlsx.content).hexdigest() == report["xlsx_sha256"]
    year.reported_tasks = {i["task_id"] for i in report["items"] if i["task_id"] in task_ids}


def check_dossiers(p: Platform, year: Year) -> None:
    for cycle in year.tasks.values():

        def complete(c: Cycle = cycle) -> Any:
            d = p.call("archives", "GET", f"/api/archives/dossiers/{c.task_id}", CREDIT)
            types = [e["event_type"] for e in d["entries"]]
            n = len(c.targets)
            reports = [e for e in d["entries"] if e["kind"] == "report"]
            ok = (
                types.count("inspections.inspection-submitted") == n
                and types.count("publication.result-published") == n
                and "draws.draw-completed" in types
                and "planning.task-approved" in types
                # 第八条: the department's and the consolidated report, once each
                and len(reports) == (2 if c.task_id in year.reported_tasks else 0)
            )
            return d if ok else None

        dossier = eventually(complete, f"the dossier of {cycle.task_no}")
        verified = p.call(
            "archives", "GET", f"/api/archives/dossiers/{cycle.task_id}/verify", CREDIT
        )
        assert verified["ok"] is True, verified
        ids = [e["event_id"] for e in dossier["entries"] if e.get("event_id")]
        assert len(ids) == len(set(ids))


# Five weeks on (the services restarted on the same data, their clock moved): the producer's
# objection, received on 2026-11-16, was due for review on 2026-12-14 (20 working days).
LATER_CLOCK = "2026-12-21T09:00:00+08:00"  # a Monday


def exempt_later(p: Platform, year: Year) -> None:
    """第十三条 尽职照单免责: the product's objection was not reviewed in time, because the
    testing body's retest took longer; the accountability report lists it, the food department
    proposes an exemption with the testing body's letter, the director's meeting grants it,
    the report counts it 免责 (no longer 问责), and the task's dossier files both acts and still
    verifies."""
    cycle = year.tasks["CP"]
    objection_id = year.product_objection["objection_id"]

    def listed() -> Any:
        report = p.call("archives", "GET", "/api/archives/accountability", CREDIT)
        found = [i for i in report["items"] if i["subject"].get("objection_id") == objection_id]
        return found[0] if found else None

    item = eventually(listed, "the overdue review of the product's objection")
    assert (item["kind"], item["status"], item["department"]) == (
        "objection_review",
        "overdue",
        FOOD,
    )
    assert item["due_on"] == "2026-12-14", item
    letter = p.call(
        "archives",
        "POST",
        "/api/archives/exemptions/evidence",
        FOOD_HEAD,
        content=PAPER,
        params={"task_id": cycle.task_id, "filename": "检验机构复检延期函.pdf"},
        headers={"content-type": "application/pdf"},
    )
    proposal = p.call(
        "archives",
        "POST",
        "/api/archives/exemptions",
        FOOD_HEAD,
        json={
            "item_id": item["item_id"],
            "circumstances": ["technical_limits"],
            "statement": "异议涉及的样品须由检验机构复检，复检周期超过复查期限",
            "evidence_ids": [letter["evidence_id"]],
        },
    )
    later = date.fromisoformat(LATER_CLOCK[:10])
    p.call(
        "archives",
        "POST",
        f"/api/archives/exemptions/{proposal['exemption_id']}/decision",
        MEETING,
        json={
            "granted": True,
            "reasons": "复检周期属现有技术手段限制，予以免责",
            "meeting_date": later.isoformat(),
            "minute_no": f"临市监办会〔{YEAR}〕12号",
        },
    )
    report = p.call("archives", "GET", "/api/archives/accountability", CREDIT)
    [exempted] = [i for i in report["items"] if i["item_id"] == item["item_id"]]
    assert exempted["accountability"] == "exempt", exempted
    food = next(d for d in report["by_department"] if d["department"] == FOOD)
    assert food["exempt"].get("objection_review") == 1
    assert "objection_review" not in food["overdue"], food
    dossier = p.call("archives", "GET", f"/api/archives/dossiers/{cycle.task_id}", CREDIT)
    assert [e["kind"] for e in dossier["entries"]].count("exemption") == 2
    verified = p.call("archives", "GET", f"/api/archives/dossiers/{cycle.task_id}/verify", CREDIT)
    assert verified["ok"] is True, verified


def run_year(p: Platform) -> Year:
    year = Year()
    load_registry(p, year)
    approve_plans(p, year)
    approve_tasks(p, year)
    draw_all(p, year)
    inspect_the_year(p, year)
    report_counted_as_done(p, year)
    sample_products(p, year)
    check_with_the_tax_office(p, year)
    object_on_paper(p, year)
    check_dossiers(p, year)
    return year
