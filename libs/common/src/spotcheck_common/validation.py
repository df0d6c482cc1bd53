"""Pydantic's validation errors in Chinese, naming each field, for every service's 422s."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError


def _too_short(ctx: dict[str, Any]) -> str:
    n = ctx.get("min_length")
    return "不能为空" if n == 1 else f"长度不能少于 {n}"


def _one_of(ctx: dict[str, Any]) -> str:
    choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
    return f"应为 {'、'.join(choices)} 之一"


# Pydantic's error types and their reason in Chinese (with the error's context).
_REASONS: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda _: "必填",
    "extra_forbidden": lambda _: "不允许的字段",
    "string_too_short": _too_short,
    "string_too_long": lambda c: f"长度不能超过 {c.get('max_length')}",
    "too_short": lambda c: f"至少需要 {c.get('min_length')} 项",
    "too_long": lambda c: f"最多 {c.get('max_length')} 项",
    "int_type": lambda _: "应为整数",
    "int_parsing": lambda _: "应为整数",
    "int_from_float": lambda _: "应为整数",
    "greater_than_equal": lambda c: f"不能小于 {c.get('ge')}",
    "less_than_equal": lambda c: f"不能大于 {c.get('le')}",
    "enum": _one_of,
    "string_type": lambda _: "应为字符串",
    "list_type": lambda _: "应为列表",
    "dict_type": lambda _: "应为对象",
    "model_type": lambda _: "应为对象",
    "model_attributes_type": lambda _: "应为对象",
    "string_pattern_mismatch": lambda _: "格式不正确",
    "bool_type": lambda _: "应为 true 或 false",
    "bool_parsing": lambda _: "应为 true 或 false",
    "value_error": lambda c: str(c.get("error", "不符合要求")),  # a validator's own reason
}


def _reason(error: Any) -> str:
    kind = str(error["type"])
    ctx = error.get("ctx") or {}
    if kind in _REASONS:
        return _REASONS[kind](ctx)
    if kind.startswith("date"):
        return "日期格式应为 YYYY-MM-DD"
    return f"不符合要求（{error.get('msg', kind)}）"


def _where(loc: tuple[Any, ...]) -> str:
    if loc and loc[0] in {"body", "query", "path", "header"}:
        loc = loc[1:]
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(请求体)"


def errors_zh(errors: Sequence[Any] | ValidationError) -> list[dict[str, str]]:
    if isinstance(errors, ValidationError):
        errors = errors.errors()
    out = []
    for error in errors:
        loc = tuple(error["loc"])
        if loc and loc[-1] == "[key]":  # a mapping's key, e.g. an unknown risk class
            out.append({"field": _where(loc[:-1]), "reason": "键" + _reason(error)})
        else:
            out.append({"field": _where(loc), "reason": _reason(error)})
    return out
