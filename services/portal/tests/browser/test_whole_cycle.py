"""The whole cycle in the browser, as a newcomer follows it: the credit department imports a
few fresh entities and a department of inspectors; a supervising department's annual plan goes
through its whole chain; a task under it (scoped to the fresh entities) is approved and
published; the draw ceremony, each person in a browser of their own; the inspection recorded on
the leader's phone, with a photo, signed by each member on theirs; the result on the public
site; the entity objects, the review decides 更正, the correction is published beside the
version it replaced; a citizen verifies the draw and the entity's proof in the browser.

Everything is done through the pages; the services' APIs are only read, to assert."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import FilePayload, Page, expect

from spotcheck_common import uscc

from .conftest import (
    ENTITY_HEADER,
    INSPECTOR_HEADER,
    csv_file,
    expect_state,
    freeze_draw,
    png,
    register_key,
    serious_violations,
    sign_in,
    sign_in_entity,
    sign_in_inspector,
)
from .scenario import CREDIT, PROBLEM, SUPERVISOR, Services

Shot = Callable[[Page, str], Path]
YEAR = 2030  # a year no other test plans for: one plan per department and year
ENTITIES = 6  # all of class B: 20 % of six is one target
INSPECTORS = 12


class Fresh:
    """What this run imports: entities in an area of their own, inspectors in a department of
    their own (so the draw can only land on them)."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6].upper()
        self.tag = tag
        self.area = f"全流程测试{tag}镇"
        self.department = f"全流程检查{tag}科"
        self.codes = uscc.synthetic(ENTITIES, seed=int(tag, 16), area_code="371071")
        self.inspectors = [f"QL{tag}{n:02d}" for n in range(INSPECTORS)]

    def entities_csv(self) -> FilePayload:
        rows = (
            f"{code},全流程测试{self.tag}有限公司{n},有限责任公司,批发和零售业,{self.area},B,存续,"
            f"临港区{self.area}{n}号"
            for n, code in enumerate(self.codes)
        )
        return csv_file("entities.csv", ENTITY_HEADER, *rows)

    def inspectors_csv(self) -> FilePayload:
        rows = (
            f"{i},检查员{i},{self.department},双随机全部事项,{'是' if n % 2 == 0 else '否'},"
            "2030-12-31,是"
            for n, i in enumerate(self.inspectors)
        )
        return csv_file("inspectors.csv", INSPECTOR_HEADER, *rows)


def test_a_newcomer_follows_the_whole_cycle_in_the_browser(
    browsers: Callable[..., Page], server: str, shot: Shot
) -> None:
    api = Services(server)  # read only, to assert
    fresh = Fresh()
    people: dict[str, Page] = {}

    def as_(name: str) -> Page:
        """The demo person's own browser, signed in on first use."""
        if name not in people:
            people[name] = browsers()
            sign_in(people[name], name)
        return people[name]

    import_registers(as_("张信用"), fresh, shot)
    plan = annual_plan(as_, fresh, shot)
    task_no, task_id = published_task(as_, fresh, plan, shot)
    draw_id = draw_ceremony(as_, task_id, fresh, shot)

    # The draw landed on the fresh registers: one of the entities, two of the inspectors.
    drawn = api.call("GET", f"/api/draws/draws/{draw_id}", CREDIT)
    [target] = drawn["targets"]
    assert target["uscc"] in fresh.codes
    team = {m["role"]: m["inspector_id"] for m in target["team"]}
    assert set(team) == {"leader", "member"} and set(team.values()) <= set(fresh.inspectors)

    leader, member, entity = team_on_the_draw_page(as_("周监督"), draw_id)
    assert (leader, member) == (team["leader"], team["member"])
    inspect_on_phones(browsers, leader, member, entity, shot)
    entity_uscc = target["uscc"]
    record_id = published_result(browsers(), task_no, entity_uscc, shot)
    objection_id = objection(browsers(phone=True), as_, entity_uscc, shot)

    found = api.call("GET", f"/api/objections/objections/{objection_id}", SUPERVISOR)
    assert found["status"] == "corrected" and found["correction_submitted_by"] == "zhang.credit"
    citizen_checks(browsers(), draw_id, record_id, entity_uscc, shot)


def import_registers(page: Page, fresh: Fresh, shot: Shot) -> None:
    """The credit department imports the entities, then the inspectors, each previewed."""
    for kind, upload, rows in (
        ("entities", fresh.entities_csv(), ENTITIES),
        ("inspectors", fresh.inspectors_csv(), INSPECTORS),
    ):
        page.goto("/console/registry")
        page.get_by_label("名录类别").select_option(kind)
        page.get_by_label("文件").set_input_files(files=[upload])
        preview = page.locator("[data-preview-table] tbody tr")
        expect(preview).to_have_count(min(rows, 10))  # the first ten rows
        shot(page, f"import-{kind}-preview")
        page.get_by_role("button", name="上传并导入").click()
        expect(page.locator("[data-state]")).to_have_attribute("data-state", "succeeded")
        expect(page.get_by_role("status").filter(has_text=f"已导入 {rows} 行")).to_be_visible()
        shot(page, f"import-{kind}-done")
    page.goto(f"/console/registry/entities?q={fresh.codes[0]}")
    expect(page.get_by_role("cell", name=fresh.area)).to_be_visible()
    page.goto(f"/console/registry/inspectors?department={fresh.department}")
    expect(page.get_by_role("cell", name=fresh.inspectors[0], exact=True)).to_be_visible()
    shot(page, "registers")


def annual_plan(as_: Callable[[str], Page], fresh: Fresh, shot: Shot) -> str:
    """市场规范管理科's plan for YEAR, signed, consolidated, approved, filed and published;
    its option text in the task form."""
    plan_no = f"JH-{YEAR}-{fresh.tag}"
    name = f"{YEAR}年市场规范管理科双随机抽查工作计划（全流程）"
    page = as_("赵规范")
    page.goto("/console/plans")
    page.get_by_role("link", name="制定本科室年度计划").click()
    page.get_by_label("计划编号（本区唯一）").fill(plan_no)
    page.get_by_label("计划年度").fill(str(YEAR))
    page.get_by_label("计划名称").fill(name)
    boxes = page.locator("input[name=code]")
    for n in range(boxes.count()):
        boxes.nth(n).check()
    page.get_by_label("LG-GS-01 B 级比例（%）").fill("20")
    shot(page, "plan-form")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status")).to_have_text("已保存计划草稿")
    plan_url = page.url
    page.get_by_role("button", name="报分管局长审批签字").click()
    expect_state(page, "已报分管局长")

    act(as_("王分管"), plan_url, "分管局长审批签字", "分管局长已签字")

    page = as_("张信用")
    page.goto(f"/console/plans?year={YEAR}")
    page.get_by_role("button", name="汇总", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已汇总")

    act(as_("局长办公会"), plan_url, "局长办公会批准", "局长办公会已批准")

    page = as_("张信用")
    page.goto(plan_url)
    page.get_by_label("报市局备案日期").fill("2026-11-16")
    page.get_by_label("备案文号或回执编号").fill(f"威临市监备〔{YEAR}〕{fresh.tag}号")
    page.get_by_role("button", name="记录报市局备案").click()
    expect_state(page, "已报市局备案")

    act(as_("李办公"), plan_url, "公示", "已公示")
    shot(as_("李办公"), "plan-published")
    return f"{plan_no} {name}"


def act(page: Page, url: str, button: str, state: str) -> None:
    """One step of a chain: the person's button on the page, then the new state."""
    page.goto(url)
    page.get_by_role("button", name=button, exact=True).click()
    expect_state(page, state)


def published_task(
    as_: Callable[[str], Page], fresh: Fresh, plan: str, shot: Shot
) -> tuple[str, str]:
    """A task under the plan whose scope is the fresh area (class B, 20 %) and whose
    inspectors are the fresh department's; approved and published. Its number and id."""
    task_no = f"QL-{fresh.tag}"
    page = as_("赵规范")
    page.goto("/console/tasks/new")
    page.get_by_label("任务编号（本区唯一）").fill(task_no)
    page.get_by_label("任务名称").fill(f"全流程企业公示信息抽查 {task_no}")
    page.get_by_label("检查截止日期").fill("2026-12-31")
    page.get_by_label("所属年度抽查计划").select_option(label=plan)
    page.get_by_label("企业公示信息抽查").check()
    page.get_by_label("登记事项检查").check()
    page.get_by_label("区域（多个用逗号分隔，空为不限）").fill(fresh.area)
    page.get_by_label("B 级（%）").fill("20")
    staffing = page.locator("fieldset", has_text="检查人员选派范围")
    staffing.get_by_label("市场规范管理科").uncheck()
    staffing.get_by_label(fresh.department).check()
    shot(page, "task-form")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status")).to_contain_text("已保存实施方案草稿")
    task_url = page.url
    task_id = task_url.split("?")[0].rsplit("/", 1)[1]

    act(as_("王分管"), task_url, "分管局长审批（批准实施方案）", "已批准")
    act(page, task_url, "公示实施方案", "已公示")
    shot(page, "task-published")
    return task_no, task_id


def draw_ceremony(as_: Callable[[str], Page], task_id: str, fresh: Fresh, shot: Shot) -> str:
    """Keys made in each person's browser; the draw frozen (again, cancelled with a signed
    reason, while the draws service has not yet heard of every fresh entity and inspector);
    each party commits and reveals in its own browser; the office countersigns."""
    credit, office, supervisor = as_("张信用"), as_("李办公"), as_("周监督")
    for name, page in (("credit", credit), ("office", office), ("supervisor", supervisor)):
        register_key(page)
        shot(page, f"key-{name}")

    for _attempt in range(10):
        credit.goto(f"/console/draws/new?task_id={task_id}")
        draw_id = freeze_draw(credit)
        manifest = credit.locator("section", has=credit.locator("#h-manifest"))
        population = manifest.locator("dd", has_text="户；默克尔根").inner_text()
        roster = manifest.locator("dd", has_text="人；默克尔根").inner_text()
        if population.startswith(f"{ENTITIES} 户") and roster.startswith(f"{INSPECTORS} 人"):
            break
        credit.get_by_label("作废理由").fill("主体名录尚未同步完成，作废重抽")
        credit.get_by_role("button", name="签名作废本次抽取").click()
        expect(credit.get_by_role("status")).to_contain_text("抽取已作废")
        credit.wait_for_timeout(2000)
    else:
        raise AssertionError(f"the draws service never knew the fresh registers: {population}")
    shot(credit, "draw-frozen")

    for step, done in (("提交种子承诺", "种子承诺已提交"), ("揭示种子", "种子份额已揭示")):
        for party, page in (("信用监管科", credit), ("办公室", office)):
            page.goto(f"/console/draws/{draw_id}")
            page.get_by_role("button", name=f"{step}（{party}）").click()
            expect(page.get_by_role("status")).to_contain_text(done)
            shot(page, f"draw-{step}-{party}")

    supervisor.goto(f"/console/draws/{draw_id}")
    supervisor.get_by_role("button", name="监督会签").click()
    expect(supervisor.get_by_role("status")).to_contain_text("抽取完成")
    expect_state(supervisor, "已完成")
    shot(supervisor, "draw-completed")
    assert serious_violations(supervisor) == []
    return draw_id


def team_on_the_draw_page(page: Page, draw_id: str) -> tuple[str, str, str]:
    """The drawn target's leader, member and entity name, as the completed draw lists them."""
    page.goto(f"/console/draws/{draw_id}")
    table = page.get_by_role("table", name="检查对象与检查组")
    text = table.locator("tbody tr").inner_text()
    leader = re.search(r"检查员(\w+)（组长）", text)
    member = re.search(r"检查员(\w+)（组员）", text)
    assert leader and member, text
    name = table.locator("tbody tr td").nth(1).inner_text()
    return leader[1], member[1], name


def inspect_on_phones(
    browsers: Callable[..., Page], leader: str, member: str, entity: str, shot: Shot
) -> None:
    """The leader records the form and a photo on the phone and signs; the member signs on
    theirs; the leader submits."""
    phone = browsers(phone=True)
    sign_in_inspector(phone, leader)
    phone.goto("/console/inspections")
    phone.locator("li", has_text=entity).get_by_role("link", name=entity).click()
    expect(phone.get_by_role("heading", name=entity)).to_be_visible()
    phone.locator("#f-category-0").select_option(PROBLEM)
    phone.get_by_label("具体情形").first.select_option("未按规定公示应当公示的信息")
    phone.locator("#f-category-1").select_option("未发现问题")
    phone.get_by_role("button", name="保存检查结果").click()
    expect(phone.get_by_role("status")).to_contain_text("检查结果已保存")
    photo = png()
    phone.get_by_label("附件类别").select_option("photo")
    phone.get_by_label("拍照或选择文件").set_input_files(
        {"name": "现场.png", "mimeType": "image/png", "buffer": photo}
    )
    phone.get_by_role("button", name="上传").click()
    expect(phone.locator("#attachments")).to_contain_text(hashlib.sha256(photo).hexdigest())
    phone.get_by_role("button", name="我已核对，签名确认").click()
    expect(phone.get_by_role("status")).to_have_text("您已签名确认检查结果")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "inspection-leader")

    other = browsers(phone=True)
    sign_in_inspector(other, member)
    other.goto("/console/inspections")
    other.locator("li", has_text=entity).get_by_role("link", name=entity).click()
    other.get_by_role("button", name="我已核对，签名确认").click()
    expect(other.locator("#signatures")).not_to_contain_text("未签名")
    shot(other, "inspection-member")

    phone.reload()
    phone.get_by_role("button", name="提交检查记录").click()
    expect(phone.get_by_role("status")).to_contain_text("检查记录已提交")
    shot(phone, "inspection-submitted")


def published_result(page: Page, task_no: str, drawn: str, shot: Shot) -> str:
    """The public finds the result by the task's number (publication follows by events) and
    the entity's own page from it; the record's id."""
    for _attempt in range(60):
        page.goto(f"/results?task_no={task_no}")
        if page.locator(".result-meta strong").inner_text() == "1":
            break
        page.wait_for_timeout(1000)
    row = page.locator("tbody tr").first
    expect(row).to_contain_text(drawn)
    expect(row).to_contain_text(PROBLEM)
    shot(page, "public-results")
    row.get_by_role("link").first.click()
    record_id = page.url.rsplit("/", 1)[1]
    page.get_by_role("link", name="进入本主体的公示页面").click()
    expect(page).to_have_url(f"/entities/{drawn}")
    shot(page, "public-entity")
    return record_id


def objection(entity: Page, as_: Callable[[str], Page], entity_uscc: str, shot: Shot) -> str:
    """The entity objects from its public page; the lead department decides 更正; the credit
    department requests the correction of the city bureau and records the city's grant
    (第九条). The objection's id."""
    entity.goto(f"/entities/{entity_uscc}")
    entity.get_by_role("link", name="提出异议").first.click()
    sign_in_entity(entity, entity_uscc)
    expect(entity.get_by_role("heading", name="对检查结果提出异议")).to_be_visible()
    entity.get_by_label("异议理由").fill("本单位已于检查前按规定公示年度报告")
    shot(entity, "objection-form")
    entity.get_by_role("button", name="提交异议").click()
    expect(entity.get_by_role("status")).to_have_text("异议已提交，等待复查")
    objection_id = entity.url.split("?")[0].rsplit("/", 1)[1]
    shot(entity, "objection-filed")

    review = as_("赵规范")
    review.goto(f"/console/objections/{objection_id}")
    review.get_by_label("复查意见").fill("复查确认企业已按时公示年度报告")
    review.get_by_label("确有错误，予以更正").check()
    review.get_by_label("检查结果", exact=True).first.select_option("未发现问题")
    review.get_by_role("button", name="登记复查结果").click()
    expect(review.get_by_role("status")).to_have_text("复查结果已登记")
    shot(review, "objection-decided")

    credit = as_("张信用")
    credit.goto(f"/console/objections/{objection_id}")
    credit.get_by_label("报请文件文号").fill("临市监信〔2026〕41号")
    credit.get_by_role("button", name="报请市局更正").click()
    expect(credit.get_by_role("status")).to_have_text("已向市局报请更正，待市局批复")
    shot(credit, "objection-requested")
    credit.locator("dd a[href^='/console/corrections/']").click()  # the request's page
    credit.get_by_label("同意更正", exact=True).check()
    credit.get_by_label("市局批复文号").fill("威市监函〔2026〕11号")
    credit.get_by_role("button", name="登记市局批复").click()
    expect(credit.get_by_role("status")).to_have_text("已登记市局批复：同意更正")
    shot(credit, "objection-corrected")
    return objection_id


def citizen_checks(page: Page, draw_id: str, record_id: str, entity_uscc: str, shot: Shot) -> None:
    """The corrected result beside the version it replaced; the draw verified honest in the
    browser; the entity's proof of membership checked."""
    for _attempt in range(60):
        page.goto(f"/results/{record_id}")
        if page.locator("section.version.old-version").count():
            break
        page.wait_for_timeout(1000)
    expect(page.locator("section.version.current")).to_contain_text("现行版本（第 2 版）")
    old = page.locator("section.version.old-version")
    expect(old).to_contain_text("已被更正")
    expect(old).to_contain_text(PROBLEM)
    shot(page, "public-corrected")
    assert serious_violations(page) == []

    page.goto(f"/draws/{draw_id}")
    page.get_by_role("button", name="在浏览器中验证本次抽取").click()
    expect(page.locator("#verify-verdict")).to_contain_text("验证通过", timeout=120_000)
    assert page.locator("#verify-checks li.fail").count() == 0
    shot(page, "draw-verified")

    page.goto(f"/entities/{entity_uscc}")
    row = page.locator(f"tr[data-draw='{draw_id}']")
    expect(row.locator(".proof-check")).to_contain_text("已核对：在总体中", timeout=60_000)
    expect(page).to_have_url(re.compile(f"/entities/{entity_uscc}$"))
    shot(page, "entity-proof")
