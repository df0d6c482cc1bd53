"""Object ids (ADR 0011): a registry-assigned id is stable for the same identifying fields,
distinct when they differ, checked like a USCC, never mistaken for one; every kind is read
from its id; events accept both namespaces and nothing else."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from spotcheck_common import objects, uscc
from spotcheck_common.events.types import ObjectId
from spotcheck_common.objects import ObjectKind

WATER = {
    "producer_uscc": "91371000MA3C5X1237",
    "product_name": "饮用天然矿泉水",
    "brand": "临港泉",
    "specification": "550mL",
    "batch": "2026-10-01",
    "sold_at": "惠民超市",
}


def test_a_products_id_is_stable_and_depends_only_on_its_identifying_fields() -> None:
    first = objects.assigned_id(ObjectKind.PRODUCT, WATER)
    assert first == objects.assigned_id(ObjectKind.PRODUCT, {**WATER, "sold_at": "另一家超市"})
    assert first == objects.assigned_id(ObjectKind.PRODUCT, {**WATER, "brand": " 临港泉 "})
    other_batch = objects.assigned_id(ObjectKind.PRODUCT, {**WATER, "batch": "2026-10-02"})
    assert other_batch != first
    assert first.startswith("ZP") and len(first) == 18
    assert objects.kind_of(first) is ObjectKind.PRODUCT
    assert objects.is_object_id(first) and objects.validate(first) is None


def test_an_assigned_id_has_a_check_character_and_is_never_a_uscc() -> None:
    code = objects.assigned_id(ObjectKind.PROJECT, {"project_code": "LG-2026-GC-01"})
    assert not uscc.is_valid(code)  # Z is outside GB 32100's alphabet
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert not objects.is_object_id(wrong)
    assert objects.validate(wrong) == "校验码错误"
    assert objects.validate("ZQ" + code[2:]) == (
        "Z 开头的对象编码第二位应为 P（产品）、J（项目）或 X（行为）"
    )
    assert objects.validate(code[:17]) == "长度应为18位，实为17位"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("91371000MA3C5X1237", ObjectKind.MARKET_ENTITY),
        ("92371000MA3C5X1237", ObjectKind.MARKET_ENTITY),
        ("11371000004435218X", ObjectKind.ORGAN),
        ("12371000494210093N", ObjectKind.INSTITUTION),
        ("51371000MJE1234567", ObjectKind.SOCIAL_ORGANISATION),
        ("53371000MJE1234567", ObjectKind.SOCIAL_ORGANISATION),
        ("13371000494210093N", ObjectKind.OTHER_ORGANISATION),
        ("Y1371000494210093N", ObjectKind.OTHER_ORGANISATION),
    ],
)
def test_the_kind_of_an_organisation_is_read_from_its_code(code: str, kind: ObjectKind) -> None:
    assert objects.kind_of(code) is kind
    assert objects.has_uscc(kind)


def test_events_take_both_namespaces_and_refuse_anything_else() -> None:
    adapter = TypeAdapter(ObjectId)
    product = objects.assigned_id(ObjectKind.PRODUCT, WATER)
    conduct = objects.assigned_id(ObjectKind.CONDUCT, {"activity": "直播带货", "place": "x"})
    for code in ("91371000MA3C5X1237", product, conduct):
        assert adapter.validate_python(code) == code
    for bad in ("ZQ" + product[2:], "Z" + product[1:17], product.lower(), "91371000MA3C5X123I"):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)


def test_each_kind_without_a_uscc_is_shown_in_its_own_fields() -> None:
    assert (
        objects.display_name(ObjectKind.PRODUCT, WATER)
        == "临港泉 饮用天然矿泉水 550mL（2026-10-01）"
    )
    described = dict(objects.described(ObjectKind.PRODUCT, WATER))
    assert described["生产者统一社会信用代码"] == "91371000MA3C5X1237"
    assert described["生产日期或批号"] == "2026-10-01"
    assert objects.described(ObjectKind.MARKET_ENTITY, {}) == []
