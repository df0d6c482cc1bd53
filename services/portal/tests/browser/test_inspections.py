"""Inspections at the site, on a phone: the leader records the form and photographs the site,
every member signs in their own browser, the leader submits; the result is published. And
the lead department records a follow-up outcome.

The draw is set up over HTTP as ``tests/e2e/flow.py`` drives it (task, approval, a completed
draw with ``spotcheck-ceremony``), with tokens of the demo issuer; everything after it is done
in the browser."""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from .conftest import CLOCK, PHONE, serious_violations, sign_in

TODAY = date.fromisoformat(CLOCK[:10])
ITEMS = [
    {"code": "LG-GS-01", "name": "企业公示信息抽查"},
    {"code": "LG-DJ-01", "name": "登记事项检查"},
]
SUPERVISOR_DEPT = "市场规范管理科"  # 赵规范's department: the tasks' lead department


@dataclass
class Setup:
    """A completed draw of a task of our own and the first inspection it opened."""

    server: str
    task_id: str
    task_no: str
    inspection: dict[str, Any]

    @property
    def leader(self) -> str:
        return next(m["inspector_id"] for m in self.inspection["team"] if m["role"] == "leader")

    @property
    def members(self) -> list[str]:
        return [m["inspector_id"] for m in self.inspection["team"] if m["role"] == "member"]

    def api(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        response = httpx.request(
            method,
            self.server + path,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
            **kwargs,
        )
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response.json() if response.content else None


def token(server: str, user: str, role: str, **claims: str) -> str:
    body = {"user": user, "roles": [role], **claims}
    response = httpx.post(server + "/auth/token", json=body, timeout=30)
    response.raise_for_status()
    return str(response.json()["access_token"])


def inspector_token(server: str, inspector_id: str) -> str:
    return token(server, inspector_id, "inspector", inspector_id=inspector_id)


def eventually(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _ceremony(server: str, home: Path) -> Callable[..., None]:
    """``act(token, holder, party, action, draw_id, *args)`` with the downloaded tool, each
    holder's key made on first use (valid around the services' day)."""
    tool = home / "spotcheck-ceremony.pyz"
    tool.write_bytes(httpx.get(server + "/public/draws/ceremony/spotcheck-ceremony.pyz").content)

    def run(tok: str, *args: str) -> None:
        env = {**os.environ, "SPOTCHECK_TOKEN": tok, "SPOTCHECK_CLOCK": CLOCK}
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(tool), *args, "--api", server],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
            cwd=home,
        )
        assert done.returncode == 0, f"{args[0]}: {done.stdout}{done.stderr}"

    def act(tok: str, holder: str, party: str, action: str, draw_id: str, *args: str) -> None:
        key = home / f"{holder}.{party}.key"
        if not key.exists():
            valid = (
                (TODAY - timedelta(days=30)).isoformat(),
                (TODAY + timedelta(days=365)).isoformat(),
            )
            run(
                tok,
                *("keygen", "--district", "lingang", "--party", party, "--holder", holder),
                *("--valid-from", valid[0], "--valid-until", valid[1], "--key", str(key)),
            )
        run(tok, action, "--key", str(key), "--draw", draw_id, *args)

    return act


def completed_draw(server: str) -> Setup:
    """A task of our own (two items, a small share of class E), approved, drawn and
    countersigned; waits for the inspections it opens."""
    tag = uuid.uuid4().hex[:8]
    people = {
        "credit": token(server, f"credit.{tag}", "credit_dept", department="信用监管科"),
        "office": token(server, f"office.{tag}", "general_office", department="办公室"),
        "countersigner": token(server, f"counter.{tag}", "general_office", department="办公室"),
        "deputy": token(server, f"deputy.{tag}", "deputy_director"),
        "supervisor": token(server, f"sup.{tag}", "supervising_dept", department=SUPERVISOR_DEPT),
    }
    setup = Setup(server, "", f"JC-{tag}", {})
    task = setup.api(
        "POST",
        "/api/planning/tasks",
        people["supervisor"],
        json={
            "task_no": setup.task_no,
            "title": f"企业公示信息现场检查（{tag}）",
            "lead_department": SUPERVISOR_DEPT,
            "check_items": ITEMS,
            "ratio_bp": {"E": 20},
            "inspector_departments": [SUPERVISOR_DEPT],
            "team_size": 2,
            "methods": ["现场检查"],
            "deadline": (TODAY + timedelta(days=60)).isoformat(),
        },
    )
    setup.task_id = task["task_id"]
    setup.api("POST", f"/api/planning/tasks/{setup.task_id}/approve", people["deputy"])

    def frozen() -> Any:
        response = httpx.post(
            server + "/api/draws/draws",
            json={"task_id": setup.task_id},
            headers={"Authorization": f"Bearer {people['credit']}"},
            timeout=60,
        )
        return response.json() if response.status_code == 201 else None

    draw = eventually(frozen, "the draws service to know the task")
    home = Path(tempfile.mkdtemp(prefix="ceremony-"))
    act = _ceremony(server, home)
    holders = {"办公室": ("office", f"office.{tag}"), "信用监管科": ("credit", f"credit.{tag}")}
    state = ("--state", str(home))
    for step in ("commit", "reveal"):
        for party in draw["parties"]:
            who, holder = holders[party]
            act(people[who], holder, party, step, draw["draw_id"], *state)
    opinion = ("--opinion", "抽取过程符合规定", "--acknowledge-unstaffed")
    act(
        people["countersigner"],
        f"counter.{tag}",
        "办公室",
        "countersign",
        draw["draw_id"],
        *opinion,
    )

    def opened() -> Any:
        page = setup.api(
            "GET",
            "/api/inspections/inspections",
            people["supervisor"],
            params={"task_id": setup.task_id},
        )
        return page["items"] if page["total"] else None

    setup.inspection = eventually(opened, "the inspections the draw opens")[0]
    return setup


def submitted(setup: Setup, problem: bool = True) -> None:
    """The team records, signs and submits over HTTP (for the workflows after submission)."""
    base = f"/api/inspections/inspections/{setup.inspection['inspection_id']}"
    first = (
        {"category": "发现问题待后续处理", "pending_reason": "未按规定公示应当公示的信息"}
        if problem
        else {"category": "未发现问题"}
    )
    results = [
        {"check_item_code": ITEMS[0]["code"], **first, "remark": "2025年度年报未公示"},
        {"check_item_code": ITEMS[1]["code"], "category": "未发现问题"},
    ]
    leader = inspector_token(setup.server, setup.leader)
    setup.api("PUT", f"{base}/results", leader, json={"results": results})
    for who in [setup.leader, *setup.members]:
        setup.api("POST", f"{base}/sign", inspector_token(setup.server, who))
    setup.api("POST", f"{base}/submit", leader, json={})


def png() -> bytes:
    """A small real PNG (8×8, red), as a phone's camera would give a (much larger) one."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def sign_in_inspector(page: Page, inspector_id: str) -> None:
    page.goto("/console/login")
    page.get_by_label("执法人员编号").fill(inspector_id)
    page.get_by_role("button", name="以执法检查人员登录").click()
    page.wait_for_url("**/console**")


def test_team_records_photographs_signs_and_submits_on_a_phone(
    phone: Page, browser: Browser, server: str, shot: Callable[[Page, str], Path]
) -> None:
    setup = completed_draw(server)
    inspection_id = setup.inspection["inspection_id"]
    entity = setup.inspection["entity_name"]

    # The leader finds the inspection among theirs, with its deadline.
    sign_in_inspector(phone, setup.leader)
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
    for member in setup.members:
        context = browser.new_context(
            base_url=server, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
        )
        own = context.new_page()
        sign_in_inspector(own, member)
        own.goto(f"/console/inspections/{inspection_id}")
        expect(own.get_by_role("button", name="保存检查结果")).to_have_count(0)  # not the leader
        own.get_by_role("button", name="我已核对，签名确认").click()
        expect(own.locator("#signatures")).not_to_contain_text("未签名")
        shot(own, f"signed-{member}")
        context.close()

    phone.reload()
    phone.get_by_role("button", name="提交检查记录").click()
    expect(phone.get_by_role("status")).to_contain_text("检查记录已提交")
    expect(phone.get_by_role("button", name="提交检查记录")).to_have_count(0)
    shot(phone, "submitted")

    # The service holds what the phone sent.
    supervisor = token(server, "zhao.reg", "supervising_dept", department=SUPERVISOR_DEPT)
    base = f"/api/inspections/inspections/{inspection_id}"
    found = setup.api("GET", base, supervisor)
    assert found["status"] == "submitted"
    assert set(found["signatures"]) == {setup.leader, *setup.members}
    assert [(r["category"], r["pending_reason"]) for r in found["results"]] == [
        ("发现问题待后续处理", "未按规定公示应当公示的信息"),
        ("未发现问题", None),
    ]
    attachments = setup.api("GET", f"{base}/attachments", supervisor)["items"]
    assert [(a["kind"], a["sha256"], a["size"]) for a in attachments] == [
        ("photo", digest, len(photo))
    ]

    # And the public sees the result (events travel asynchronously).
    def published() -> Any:
        page = httpx.get(server + "/public/results", params={"task_no": setup.task_no}).json()
        return page["items"]

    [record] = eventually(published, "the result to be published")
    assert record["uscc"] == setup.inspection["uscc"]
    assert record["results"][0]["remark"] == "2025年度年报未公示"


def test_lead_department_records_a_follow_up_outcome(
    page: Page, server: str, shot: Callable[[Page, str], Path]
) -> None:
    setup = completed_draw(server)
    submitted(setup)
    sign_in(page, "赵规范")
    page.goto(f"/console/follow-ups?task_id={setup.task_id}")
    entity = setup.inspection["entity_name"]
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

    supervisor = token(server, "zhao.reg", "supervising_dept", department=SUPERVISOR_DEPT)
    register = setup.api(
        "GET", "/api/inspections/follow-ups", supervisor, params={"task_id": setup.task_id}
    )
    [follow_up] = register["items"]
    assert [o["action"] for o in follow_up["outcomes"]] == ["rectified"]
    assert follow_up["rectified_on"] == TODAY.isoformat()
