"""Unified social credit codes (统一社会信用代码, GB 32100-2015): check digit and synthesis."""

from __future__ import annotations

import random

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_char(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str | None:
    """None when valid, else the reason (in Chinese, as shown to staff)."""
    if len(code) != 18:
        return f"长度应为18位，实为{len(code)}位"
    bad = [c for c in code if c not in _VALUE]
    if bad:
        return f"含非法字符「{bad[0]}」"
    if check_char(code[:17]) != code[17]:
        return "校验码错误"
    return None


def synthetic(count: int, seed: int = 0, area_code: str = "371000") -> list[str]:
    """``count`` distinct valid codes (91 = enterprise, registered in ``area_code``)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        body = "91" + area_code + "".join(rng.choice(ALPHABET) for _ in range(9))
        code = body + check_char(body)
        if code not in seen:
            seen.add(code)
            out.append(code)
    return out
