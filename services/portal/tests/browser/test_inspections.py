"""Inspections at the site, on a phone: the leader records the form and photographs the site,
every member signs in their own browser, the leader submits; the result is published. And
the lead department records a follow-up outcome.

The draw is set up over HTTP (``scenario``); everything after it is done in the browser."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import TODAY, png, serious_violations, sign_in, sign_in_inspector
from .scenario import (
    SUPERVISOR,
    Services,
    drawn_inspection,
    leader_of,
    members_of,
    published_results,
    submit,
)


def test_team_records_photographs_signs_and_submits_on_a_phone(
    phone: Page, browsers: Callable[..., Page], server: str, shot: Callable[[Page, str], Path]
) -> None:
    api = Services(server)
    task, inspection = drawn_inspection(api, f"JC-{uuid.uuid4().hex[:8]}")
    inspection_id, entity = inspection["inspection_id"], inspection["entity_name"]
    leader, members = leader_of(inspection), members_of(inspection)

    # The leader finds the inspection among theirs, with its deadline.
    sign_in_inspector(phone, leader)
    phone.goto("/console/inspections")
    expect(phone.get_by_role("heading", name="我的检查")).to_be_visible()
    row = phone.locator("li", has_text=entity)
    expect(row).to_contain_text("剩 60 天")
    row.get_by_role("link", name=entity).click()
    expect(phone.get_by_role("heading", name=entity)).to_be_visible()
    assert serious_violations(phone) == []
    shot(phone, "record-form")

    # The form: a finding (with its sub-reason, shown only for that category) and a clean item.
    pending = phone.get_by_label("具体情形").first
    expect(pending).to_be_hidden()
    phone.locator("#f-category-0").select_option("发现问题待后续处理")
    expect(pending).to_be_visible()
    pending.select_option("未按规定公示应当公示的信息")
    phone.locator("#f-remark-0").fill("2025年度年报未公示")
    phone.locator("#f-category-1").select_option("未发现问题")
    phone.get_by_role("button", name="保存检查结果").click()
    expect(phone.get_by_role("status")).to_contain_text("检查结果已保存")

    # A photo from the camera, kept with its SHA-256.
    photo = png()
    camera = phone.get_by_label("拍照或选择文件")
    expect(camera).to_have_attribute("capture", "environment")
    phone.get_by_label("附件类别").select_option("photo")
    camera.set_input_files({"name": "现场.png", "mimeType": "image/png", "buffer": photo})
    phone.get_by_role("button", name="上传").click()
    digest = hashlib.sha256(photo).hexdigest()
    expect(phone.locator("#attachments")).to_contain_text(digest)

    # Submitting before everyone signed is refused, in Chinese, beside the submit button.
    phone.get_by_role("button", name="提交检查记录").click()
    expect(phone.locator("#e-submit")).to_contain_text("尚未全部签名")
    shot(phone, "refused-unsigned")

    # The leader signs; each member signs on their own phone.
    phone.get_by_role("button", name="我已核对，签名确认").click()
    expect(phone.get_by_role("status")).to_have_text("您已签名确认检查结果")
    for member in members:
        own = browsers(phone=True)
        sign_in_inspector(own, member)
        own.goto(f"/console/inspections/{inspection_id}")
        expect(own.get_by_role("button", name="保存检查结果")).to_have_count(0)  # not the leader
        own.get_by_role("button", name="我已核对，签名确认").click()
        expect(own.locator("#signatures")).not_to_contain_text("未签名")
        shot(own, f"signed-{member}")

    phone.reload()
    phone.get_by_role("button", name="提交检查记录").click()
    expect(phone.get_by_role("status")).to_contain_text("检查记录已提交")
    expect(phone.get_by_role("button", name="提交检查记录")).to_have_count(0)
    shot(phone, "submitted")

    # The service holds what the phone sent.
    base = f"/api/inspections/inspections/{inspection_id}"
    found = api.call("GET", base, SUPERVISOR)
    assert found["status"] == "submitted"
    assert set(found["signatures"]) == {leader, *members}
    assert [(r["category"], r["pending_reason"]) for r in found["results"]] == [
        ("发现问题待后续处理", "未按规定公示应当公示的信息"),
        ("未发现问题", None),
    ]
    attachments = api.call("GET", f"{base}/attachments", SUPERVISOR)["items"]
    assert [(a["kind"], a["sha256"], a["size"]) for a in attachments] == [
        ("photo", digest, len(photo))
    ]

    # And the public sees the result (events travel asynchronously).
    [record] = published_results(api, task["task_no"], 1)
    assert record["uscc"] == inspection["uscc"]
    assert record["results"][0]["remark"] == "2025年度年报未公示"


def test_lead_department_records_a_follow_up_outcome(
    page: Page, server: str, shot: Callable[[Page, str], Path]
) -> None:
    api = Services(server)
    task, inspection = drawn_inspection(api, f"JC-{uuid.uuid4().hex[:8]}")
    submit(api, inspection)
    sign_in(page, "赵规范")
    page.goto(f"/console/follow-ups?task_id={task['task_id']}")
    entity = inspection["entity_name"]
    expect(page.get_by_role("heading", name="后续处理台账")).to_be_visible()
    row = page.locator("li", has_text=entity)
    expect(row).to_contain_text("未按规定公示应当公示的信息")
    expect(row).to_contain_text("待处理")
    shot(page, "register")
    row.get_by_role("link", name=entity).click()

    # Filing a case without its number is refused beside the field.
    page.get_by_label("处理结果").select_option("case_filed")
    page.get_by_label("处理情况").fill("经查未按规定公示年报，予以立案")
    page.get_by_role("button", name="记录处理结果").click()
    expect(page.locator("#e-case_no")).to_have_text("立案查处须填写案件编号")
    shot(page, "refused-case-no")

    page.get_by_label("处理结果").select_option("rectified")
    page.get_by_label("处理情况").fill("企业已补报2025年度年报")
    page.get_by_role("button", name="记录处理结果").click()
    expect(page.get_by_role("status")).to_contain_text("已改正")
    expect(page.locator("ul.outcomes")).to_contain_text("企业已补报2025年度年报")
    shot(page, "recorded")

    params = {"task_id": task["task_id"]}
    register = api.call("GET", "/api/inspections/follow-ups", SUPERVISOR, params=params)
    [follow_up] = register["items"]
    assert [o["action"] for o in follow_up["outcomes"]] == ["rectified"]
    assert follow_up["rectified_on"] == TODAY.isoformat()
