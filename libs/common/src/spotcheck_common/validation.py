"""Pydantic's validation errors in Chinese, naming each field, for every service's 422s."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError


def _reason(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "必填"
    if kind == "extra_forbidden":
        return "不允许的字段"
    if kind == "string_too_short":
        return "不能为空" if ctx.get("min_length") == 1 else f"长度不能少于 {ctx.get('min_length')}"
    if kind == "string_too_long":
        return f"长度不能超过 {ctx.get('max_length')}"
    if kind == "too_short":
        return f"至少需要 {ctx.get('min_length')} 项"
    if kind == "too_long":
        return f"最多 {ctx.get('max_length')} 项"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return "应为整数"
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')}"
    if kind == "enum":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"应为 {'、'.join(choices)} 之一"
    if kind.startswith("date"):
        return "日期格式应为 YYYY-MM-DD"
    if kind == "string_type":
        return "应为字符串"
    if kind == "list_type":
        return "应为列表"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return "应为对象"
    if kind == "string_pattern_mismatch":
        return "格式不正确"
    if kind == "bool_type" or kind == "bool_parsing":
        return "应为 true 或 false"
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
