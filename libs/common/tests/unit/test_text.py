"""Text fields refuse what cannot be stored and shown safely, naming the character."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from spotcheck_common.text import FileName, LongText, RequestModel, Text
from spotcheck_common.validation import errors_zh


class Form(BaseModel):
    name: Text = "x"
    reason: LongText = "x"
    file: FileName = "a.pdf"


def refusal(**fields: str) -> str:
    with pytest.raises(ValidationError) as refused:
        Form(**fields)
    errors = errors_zh(refused.value)
    assert len(errors) == 1
    return f"{errors[0]['field']}: {errors[0]['reason']}"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"name": "临港\x00食品"}, "name: 第 3 个字符是控制字符"),
        ({"name": "a\nb"}, "U+000A"),
        ({"name": "合同\u202etxt.exe"}, "双向文本控制符（U+202E）"),
        ({"name": "\u2066x"}, "U+2066"),
        ({"name": "x" * 201}, "长度不能超过 200"),
        ({"reason": "第一行\n第二行\x07"}, "U+0007"),
        ({"reason": "x" * 5001}, "长度不能超过 5000"),
        ({"file": ".."}, "路径"),
        ({"file": "../etc/passwd"}, "路径"),
        ({"file": "a\\b.txt"}, "路径"),
        ({"file": "CON"}, "保留"),
        ({"file": "nul.txt"}, "保留"),
        ({"file": "com1.jpg"}, "保留"),
        ({"file": "a.pdf."}, "保留"),
        ({"file": ""}, "不能为空"),
        ({"file": "照片\u202egpj.exe"}, "U+202E"),
    ],
)
def test_what_is_refused_and_why(fields: dict[str, str], words: str) -> None:
    assert words in refusal(**fields)


def test_what_people_write_is_accepted() -> None:
    form = Form(
        name="青岛市临港区某某食品有限公司（分店）· Café № 1",
        reason="经核查：\n1. 现场照片已补正；\r\n2.\t营业执照已更新。\u200f",
        file="现场检查记录 2026-11-30.pdf",
    )
    assert form.name.endswith("№ 1") and "\t" in form.reason and form.file.endswith(".pdf")
    assert Form(file="console.log").file == "console.log"  # only the exact reserved names


class Body(RequestModel):
    reason: str
    items: list[dict[str, str]] = Field(default_factory=list)


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"reason": "a\x00b"}, "reason：第 2 个字符"),
        ({"reason": "ok", "items": [{"name": "x\u202ey"}]}, "items[0].name：第 2 个字符"),
        ({"reason": "ok", "items": [{"na\x07me": "x"}]}, "items[0].na\x07me"),
    ],
)
def test_no_string_anywhere_in_a_request_body_carries_a_control_character(
    payload: dict[str, object], where: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Body.model_validate(payload)
    assert where in errors_zh(refused.value)[0]["reason"]


def test_line_breaks_and_tabs_are_what_people_write() -> None:
    assert Body.model_validate({"reason": "第一行\r\n第二行\t（完）"}).reason.endswith("（完）")
