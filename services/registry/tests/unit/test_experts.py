"""Parsing the expert pool (专家库) CSV: every row valid or nothing, errors name line and field."""

from __future__ import annotations

from typing import Any

import pytest

from registry.adapters import demo, files
from registry.domain import imports
from registry.domain.imports import ImportRejected

HEADER = "专家编号,姓名,专业领域,工作单位,在库\n"


def parse(kind: str, data: bytes, ids: set[str] | None = None) -> list[dict[str, Any]]:
    reason = imports.TAKEN_BY_INSPECTORS if kind == "experts" else imports.TAKEN_BY_EXPERTS
    taken = (frozenset(ids), reason) if ids else None
    _, rows = files.validate_file(kind, data, taken=taken)
    return [imports.as_record(imports.KINDS[kind], r) for r in rows]


def test_experts_parse_with_bom_and_optional_organization() -> None:
    data = ("\ufeff" + HEADER + "ZJ1, 张工 ,特种设备,,是\nZJ2,李工,计量,市质检院,否\n").encode()
    rows = parse("experts", data)
    assert [
        (r["expert_id"], r["name"], r["field"], r["organization"], r["active"]) for r in rows
    ] == [
        ("ZJ1", "张工", "特种设备", "", True),
        ("ZJ2", "李工", "计量", "市质检院", False),
    ]


def test_a_missing_column_or_a_bad_row_rejects_the_file() -> None:
    with pytest.raises(ImportRejected) as missing:
        parse("experts", "专家编号,姓名,专业领域,在库\nZJ1,张工,计量,是\n".encode())
    assert [(e.line, e.field) for e in missing.value.errors] == [(1, "工作单位")]
    with pytest.raises(ImportRejected) as bad:
        parse("experts", (HEADER + "ZJ1,,计量,,是\nZJ1,王工,计量,,x\n").encode())
    assert [(e.line, e.field) for e in bad.value.errors] == [
        (2, "姓名"),
        (3, "在库"),
        (3, "专家编号"),
    ]


def test_an_inspector_id_is_refused_as_an_expert_id_and_back() -> None:
    with pytest.raises(ImportRejected) as clash:
        parse(
            "experts", (HEADER + "ZJ1,张工,计量,,是\nLG0001,王工,计量,,是\n").encode(), {"LG0001"}
        )
    assert [(e.line, e.field) for e in clash.value.errors] == [(3, "专家编号")]
    with pytest.raises(ImportRejected):
        parse("inspectors", demo.demo_inspectors(count=2), {"LG0002"})


def test_demo_experts_parse_and_do_not_reuse_inspector_ids() -> None:
    experts = parse("experts", demo.demo_experts())
    inspectors = parse("inspectors", demo.demo_inspectors())
    assert len(experts) == 20 and any(not e["active"] for e in experts)
    assert not {e["expert_id"] for e in experts} & {i["inspector_id"] for i in inspectors}
