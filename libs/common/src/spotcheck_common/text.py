"""What a text field may hold, for every request model: a length and the characters people write.

A name, a title or a reason is stored, published and printed in documents: it may not carry a
NUL byte, other control characters, or the bidirectional controls that make a name display as
something else (U+202E turns ``exe.txt`` into ``txt.exe``). ``Text`` is one line, ``LongText``
may have line breaks and tabs, ``FileName`` is also no path and no name Windows reserves.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, StringConstraints, model_validator

__all__ = ["FileName", "LongText", "RequestModel", "Text", "check_file_name", "check_text"]

# Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069); marks (U+200E/F) are
# harmless and common in pasted text, so they stay.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\n\r\t")
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$", re.IGNORECASE)


def check_text(value: str, multiline: bool = False) -> str:
    """``value`` if every character may be stored and shown; ValueError naming the first that
    may not."""
    for position, char in enumerate(value, 1):
        if multiline and char in _LINE_BREAKS:
            continue
        if char in _BIDI_CONTROLS:
            raise ValueError(f"第 {position} 个字符是双向文本控制符（U+{ord(char):04X}），不允许")
        if unicodedata.category(char) in {"Cc", "Cs", "Cn"} or char == "\ufeff":
            raise ValueError(f"第 {position} 个字符是控制字符或非字符（U+{ord(char):04X}），不允许")
    return value


def check_file_name(value: str) -> str:
    """``value`` if it is a plain file name: no path, not ``.``/``..``, not a name Windows
    reserves (``CON``, ``NUL``, ``COM1``…), no trailing dot or space, no control characters."""
    check_text(value)
    if "/" in value or "\\" in value or value in {".", ".."}:
        raise ValueError("文件名不能包含路径")
    if _RESERVED.match(value) or value[-1:] in {".", " "}:
        raise ValueError("文件名是系统保留名称或以点、空格结尾")
    return value


def _multiline(value: str) -> str:
    return check_text(value, multiline=True)


Text = Annotated[str, StringConstraints(max_length=200), AfterValidator(check_text)]
LongText = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_multiline)]
FileName = Annotated[
    str, StringConstraints(min_length=1, max_length=120), AfterValidator(check_file_name)
]


def _check_strings(value: object, where: str) -> None:
    if isinstance(value, str):
        try:
            check_text(value, multiline=True)
        except ValueError as refused:
            raise ValueError(f"{where}：{refused}") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, f"{where}.{key}" if where else str(key))
            _check_strings(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            _check_strings(item, f"{where}[{n}]")


class RequestModel(BaseModel):
    """The base of every request body: no string anywhere in it may carry a NUL byte, a
    control character other than line breaks and tabs, or a bidirectional control (a field
    may be stricter: ``Text``, ``FileName``)."""

    @model_validator(mode="before")
    @classmethod
    def _printable(cls, data: object) -> object:
        _check_strings(data, "")
        return data
