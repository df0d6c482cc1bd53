"""Inspection objects beyond market entities (检查对象, 第一条; ADR 0011).

Every object has one id of 18 ASCII characters. An organisation's is its unified social credit
code (GB 32100), whatever authority registered it; its kind is read from the code's first two
characters. An object without a code — a product, a project, a conduct — gets one assigned by the
registry in a namespace no USCC can use: ``Z`` (outside GB 32100's alphabet), a kind letter,
15 characters of the USCC alphabet taken from a hash of the object's identifying fields, and a
check character by GB 32100's rule over characters 2–17. So a draw's population column, its
encoding and its Merkle proofs are the same for every kind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from enum import StrEnum

from spotcheck_common import uscc

NAMESPACE = "Z"
ID_LENGTH = 18


class ObjectKind(StrEnum):
    """What a task targets; one kind per task."""

    MARKET_ENTITY = "market_entity"  # 市场主体 (工商 9x: 企业、个体工商户、农民专业合作社)
    ORGAN = "organ"  # 国家机关 (机构编制 11)
    INSTITUTION = "institution"  # 事业单位 (机构编制 12)
    SOCIAL_ORGANISATION = "social_organisation"  # 社会组织 (民政 5x)
    OTHER_ORGANISATION = "other_organisation"  # 其他组织 (any other registration authority)
    PRODUCT = "product"  # 产品
    PROJECT = "project"  # 项目
    CONDUCT = "conduct"  # 行为


LABELS = {
    ObjectKind.MARKET_ENTITY: "市场主体",
    ObjectKind.ORGAN: "国家机关",
    ObjectKind.INSTITUTION: "事业单位",
    ObjectKind.SOCIAL_ORGANISATION: "社会组织",
    ObjectKind.OTHER_ORGANISATION: "其他组织",
    ObjectKind.PRODUCT: "产品",
    ObjectKind.PROJECT: "项目",
    ObjectKind.CONDUCT: "行为",
}

# Kinds without a USCC of their own: the letter after "Z" in their id.
LETTER = {ObjectKind.PRODUCT: "P", ObjectKind.PROJECT: "J", ObjectKind.CONDUCT: "X"}
_KIND_OF_LETTER = {letter: kind for kind, letter in LETTER.items()}

# The fields that describe an object without a USCC, in the order the registry's template, the
# publication and the console show them; the first ``KEY_FIELDS[kind]`` identify it (same key,
# same id, import after import).
FIELDS: dict[ObjectKind, tuple[tuple[str, str], ...]] = {
    ObjectKind.PRODUCT: (
        ("producer_uscc", "生产者统一社会信用代码"),
        ("product_name", "产品名称"),
        ("brand", "商标"),
        ("specification", "规格型号"),
        ("batch", "生产日期或批号"),
        ("producer_name", "生产者名称"),
        ("sold_at", "销售场所"),
    ),
    ObjectKind.PROJECT: (
        ("project_code", "项目编号"),
        ("project_name", "项目名称"),
        ("owner", "建设或实施单位"),
        ("location", "项目地点"),
    ),
    ObjectKind.CONDUCT: (
        ("activity", "行为类别"),
        ("place", "地点"),
        ("period", "期间"),
        ("actor", "行为人"),
    ),
}
KEY_FIELDS = {ObjectKind.PRODUCT: 5, ObjectKind.PROJECT: 1, ObjectKind.CONDUCT: 3}
FIELD_LABELS = {name: label for fields in FIELDS.values() for name, label in fields}


def has_uscc(kind: ObjectKind) -> bool:
    return kind not in LETTER


# The first characters of each kind's ids: the GB 32100 registration authority (character 1)
# and organisation type (character 2), or the ``Z`` namespace's letter. Any other code is an
# other organisation's. A kind is thus a prefix range of a sorted column of ids.
PREFIXES: dict[ObjectKind, tuple[str, ...]] = {
    ObjectKind.MARKET_ENTITY: ("9",),
    ObjectKind.ORGAN: ("11",),
    ObjectKind.INSTITUTION: ("12",),
    ObjectKind.SOCIAL_ORGANISATION: ("5",),
    **{kind: (NAMESPACE + letter,) for kind, letter in LETTER.items()},
}


def kind_of(code: str) -> ObjectKind:
    """The kind of an object id (``PREFIXES``)."""
    for kind, prefixes in PREFIXES.items():
        if code.startswith(prefixes):
            return kind
    return ObjectKind.OTHER_ORGANISATION


def _check(body17: str) -> str:
    """GB 32100's check character over characters 2–17 (the namespace's ``Z`` counts as 0)."""
    return uscc.check_char("0" + body17[1:])


def assigned_id(kind: ObjectKind, details: Mapping[str, str]) -> str:
    """The registry's id for an object without a USCC: a hash of its identifying fields, so
    the same product, project or conduct keeps its id import after import."""
    names = [name for name, _ in FIELDS[kind][: KEY_FIELDS[kind]]]
    key = "\x1f".join([kind.value, *(details.get(name, "").strip() for name in names)])
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:12], "big")
    chars = []
    for _ in range(15):
        number, digit = divmod(number, len(uscc.ALPHABET))
        chars.append(uscc.ALPHABET[digit])
    body = NAMESPACE + LETTER[kind] + "".join(chars)
    return body + _check(body)


def is_assigned_id(code: str) -> bool:
    return (
        len(code) == ID_LENGTH
        and code[0] == NAMESPACE
        and code[1] in _KIND_OF_LETTER
        and uscc.is_valid("0" + code[1:])
    )


def is_object_id(code: str) -> bool:
    """A USCC with its check character right, or an id the registry assigned."""
    return uscc.is_valid(code) or is_assigned_id(code)


def validate(code: str) -> str | None:
    """None when ``code`` is an object id, else the reason (in Chinese, as shown to staff)."""
    if code[:1] == NAMESPACE:
        if len(code) != ID_LENGTH:
            return f"长度应为18位，实为{len(code)}位"
        if code[1:2] not in _KIND_OF_LETTER:
            return "Z 开头的对象编码第二位应为 P（产品）、J（项目）或 X（行为）"
        return uscc.validate("0" + code[1:])
    return uscc.validate(code)


def display_name(kind: ObjectKind, details: Mapping[str, str], fallback: str = "") -> str:
    """A short name for lists (the publication and console show every field apart)."""
    if kind is ObjectKind.PRODUCT:
        parts = [details.get(k, "") for k in ("brand", "product_name", "specification")]
        batch = details.get("batch", "")
        name = " ".join(p for p in parts if p)
        return f"{name}（{batch}）" if batch else name or fallback
    if kind is ObjectKind.PROJECT:
        return details.get("project_name") or details.get("project_code") or fallback
    if kind is ObjectKind.CONDUCT:
        return "，".join(v for v in (details.get("activity"), details.get("place")) if v) or (
            fallback
        )
    return fallback


def described(kind: ObjectKind, details: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, value) for each field of an object without a USCC, in the published order."""
    return [(label, details.get(name, "")) for name, label in FIELDS.get(kind, ())]
