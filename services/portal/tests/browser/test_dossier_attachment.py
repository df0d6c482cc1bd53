"""An attachment in the task's dossier (档案, 第十二条): a site photo uploaded and the record
submitted; the dossier lists the photo with its SHA-256; the same file checks as matching, a
different one as not.

The inspection is set up over HTTP (``scenario``)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from .conftest import png, serious_violations, sign_in
from .scenario import CREDIT, Services, drawn_inspection, eventually, inspector, leader_of, submit


def test_dossier_lists_an_attachment_and_checks_a_file_against_it(
    page: Page, server: str, shot: Callable[[Page, str], Path]
) -> None:
    api = Services(server)
    task, inspection = drawn_inspection(api, f"DA-{uuid.uuid4().hex[:8]}")
    photo, name = png(), f"现场照片-{uuid.uuid4().hex[:6]}.png"
    api.call(
        "POST",
        f"/api/inspections/inspections/{inspection['inspection_id']}/attachments",
        inspector(leader_of(inspection)),
        files={"file": (name, photo, "image/png")},
        data={"kind": "photo"},
    )
    submit(api, inspection, problem=False)
    task_id, digest = task["task_id"], hashlib.sha256(photo).hexdigest()

    def archived() -> Any:
        response = api.answer("GET", f"/api/archives/dossiers/{task_id}/contents", CREDIT)
        if response.status_code == 404:
            return None
        entries = [e for c in response.json()["categories"] for e in c["entries"]]
        return next((e for e in entries if e.get("kind") == "attachment"), None)

    entry = eventually(archived, "the photo in the task's dossier")
    assert entry["sha256"] == digest

    sign_in(page, "张信用")
    page.goto(f"/console/dossiers/{task_id}")
    expect(page.get_by_role("heading", name="任务档案")).to_be_visible()
    row = page.locator("tr", has_text=f"附件 {name}")
    expect(row).to_contain_text(digest)
    expect(row).to_contain_text(f"{len(photo)} 字节")
    assert serious_violations(page) == []
    shot(page, "listed")

    # The same file: it matches what was archived.
    check = row.get_by_label("核对手中的文件是否与归档的一致")
    check.set_input_files({"name": name, "mimeType": "image/png", "buffer": photo})
    row.get_by_role("button", name="核对文件").click()
    result = page.locator("#attachment-check")
    expect(result).to_contain_text("文件一致")
    expect(result).to_contain_text(f"文件与档案一致：{name} 的 SHA-256 与归档的相同。")
    shot(page, "matches")

    # A different file (one byte more): it does not, and the page says both hashes.
    other = photo + b"\x00"
    row = page.locator("tr", has_text=f"附件 {name}")
    row.get_by_label("核对手中的文件是否与归档的一致").set_input_files(
        {"name": name, "mimeType": "image/png", "buffer": other}
    )
    row.get_by_role("button", name="核对文件").click()
    expect(result).to_contain_text("文件不一致")
    expect(result).to_contain_text(hashlib.sha256(other).hexdigest())
    expect(result).to_contain_text(f"归档的为 {digest}（{len(photo)} 字节）")
    assert serious_violations(page) == []
    shot(page, "differs")
