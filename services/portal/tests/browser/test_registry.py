"""The registries (名录库): an import previewed before upload, refused whole with its error
report, a good import completing, the item list's versions, and conflicts of interest."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from spotcheck_common import uscc

from .conftest import ENTITY_HEADER, EXPERT_HEADER, csv_file, serious_violations, sign_in


def test_a_bad_import_is_refused_with_its_error_report_and_a_good_one_completes(
    page: Page, shot: Callable[[Page, str], Path]
) -> None:
    sign_in(page, "张信用")
    page.goto("/console/registry")
    expect(page.get_by_role("heading", name="名录库")).to_be_visible()
    assert serious_violations(page) == []
    shot(page, "home")

    # A class-F entity: previewed in the browser before anything is uploaded…
    code = uscc.synthetic(1, seed=uuid.uuid4().int % 10**6, area_code="371071")[0]
    bad = csv_file(
        "bad.csv",
        ENTITY_HEADER,
        f"{code},预览测试有限公司,有限责任公司,批发和零售业,草庙子镇,F,存续,临港区1号",
    )
    page.get_by_label("名录类别").select_option("entities")
    page.get_by_label("文件").set_input_files(files=[bad])
    preview = page.locator("[data-preview-table] table")
    expect(preview.locator("th").first).to_have_text("统一社会信用代码")
    expect(preview.locator("tbody tr")).to_have_count(1)
    expect(preview.locator("tbody td").nth(1)).to_have_text("预览测试有限公司")
    shot(page, "preview")

    # …refused whole by the registry: the job page names the line and the column.
    page.get_by_role("button", name="上传并导入").click()
    expect(page).to_have_url(re.compile(r"/console/registry/imports/[\w-]+"))
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "failed")
    errors = page.get_by_role("table", name="错误的行、列和原因")
    expect(errors.get_by_role("row").filter(has_text="风险等级")).to_contain_text("2")
    shot(page, "refused")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载错误报告（CSV）").click()
    report = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert report.startswith("行号,列,字段,原因") and "风险等级" in report

    # Nothing of the file was imported.
    page.goto(f"/console/registry/entities?q={code}")
    expect(page.get_by_text("没有符合条件的检查对象")).to_be_visible()

    # A good file (two experts in a field of their own) completes.
    field = f"测试领域{uuid.uuid4().hex[:6]}"
    ids = [f"ZT{uuid.uuid4().hex[:6].upper()}{n}" for n in range(2)]
    good = csv_file(
        "experts.csv",
        EXPERT_HEADER,
        *(f"{i},专家{n},{field},市质检院,是" for n, i in enumerate(ids)),
    )
    page.goto("/console/registry")
    page.get_by_label("名录类别").select_option("experts")
    page.get_by_label("文件").set_input_files(files=[good])
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "succeeded")
    expect(page.get_by_role("status").filter(has_text="已导入 2 行")).to_be_visible()
    expect(page.get_by_text("共 2 行")).to_be_visible()
    shot(page, "completed")
    page.goto(f"/console/registry/experts?field={field}")
    for i in ids:
        expect(page.get_by_role("cell", name=i)).to_be_visible()


def test_registers_item_list_and_conflicts(page: Page, shot: Callable[[Page, str], Path]) -> None:
    sign_in(page, "张信用")
    page.goto("/console/registry/entities?risk_class=E")
    expect(page.get_by_text("第 1 /")).to_be_visible()  # paged: 50 of the district's class E
    first_uscc = page.locator("tbody tr td.mono").first.inner_text()
    page.get_by_role("link", name="下一页").click()
    expect(page.get_by_text("第 2 /")).to_be_visible()
    page.goto("/console/registry/inspectors")
    expect(page.get_by_text("第 1 /")).to_be_visible()  # 80 demo inspectors, 50 a page
    expect(page.get_by_role("cell", name="LG0001", exact=True)).to_be_visible()
    page.goto("/console/registry/experts")
    expect(page.get_by_role("cell", name="ZJ0001", exact=True)).to_be_visible()

    # The item list: the version in force; a new version needs its reason (beside the field).
    page.goto("/console/registry/items")
    expect(page.get_by_role("heading", name="各版本")).to_be_visible()
    expect(page.get_by_role("cell", name="LG-GS-01")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("清单文件（CSV 或 .xlsx）").set_input_files(
        files=[csv_file("items.csv", "事项编号,抽查类别")]
    )
    page.get_by_role("button", name="上传并导入新版本").click()
    reason = page.locator(".field", has=page.get_by_label("发布或调整的理由"))
    expect(reason.locator(".field-error")).to_have_text("必填")
    shot(page, "items-refused")

    # Conflicts: an unknown inspector is refused beside the field; a real one is recorded.
    page.goto("/console/registry/conflicts")
    page.get_by_label("执法人员或专家编号").fill("NOSUCH")
    page.get_by_label("统一社会信用代码").fill(first_uscc)
    page.locator("#f-reason").fill("亲属在该企业任职")
    page.get_by_role("button", name="登记回避").click()
    expect(page.locator("#e-inspector_id")).to_be_visible()
    shot(page, "conflict-refused")
    page.get_by_label("执法人员或专家编号").fill("LG0079")
    page.get_by_role("button", name="登记回避").click()
    expect(page.get_by_role("status")).to_contain_text("登记")
    page.get_by_label("第一名人员编号").fill("LG0078")
    page.get_by_label("第二名人员编号").fill("LG0077")
    page.get_by_label("理由（如：近亲属）").fill("近亲属")
    page.get_by_role("button", name="登记不得同组").click()
    expect(page.get_by_role("status")).to_contain_text("登记")
    shot(page, "conflicts")
