"""Value types shared by event schemas (the words of the glossary)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

# An inspection object's id (ADR 0011): a unified social credit code (GB 32100), or an id the
# registry assigned to a product, project or conduct (``Z`` + P/J/X + 16 characters).
ObjectId = Annotated[
    str, StringConstraints(pattern=r"^(?:[0-9A-HJ-NPQRTUWXY]{18}|Z[PJX][0-9A-HJ-NPQRTUWXY]{16})$")
]


class RiskClass(StrEnum):
    """Shandong's five credit-risk classes; E is the highest risk."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class EntityStatus(StrEnum):
    ACTIVE = "active"  # 存续
    DEREGISTERED = "deregistered"  # 注销
    REVOKED = "revoked"  # 吊销
    CANCELLED = "cancelled"  # 撤销
    MOVED_OUT = "moved_out"  # 迁出


class TeamRole(StrEnum):
    LEADER = "leader"  # 组长
    MEMBER = "member"  # 组员
    EXPERT = "expert"  # 专家


class ResultCategory(StrEnum):
    """The national record form's result categories (检查结果)."""

    NO_PROBLEM = "未发现问题"
    PROBLEM_PENDING = "发现问题待后续处理"
    PROBLEM_CORRECTED = "发现问题经责令已改正"
    NO_ACTIVITY = "未发现开展本次抽查涉及的经营活动"
    CLOSED_OR_LIQUIDATING = "已关闭停业或正在组织清算"
    SERIOUS_REFUSAL = "不配合检查情节严重"
    DEREGISTERED = "注销"
    REVOKED = "被吊销"
    CANCELLED = "被撤销"
    MOVED_OUT = "迁出"


class PendingReason(StrEnum):
    """Sub-reasons of 发现问题待后续处理."""

    NOT_DISCLOSED = "未按规定公示应当公示的信息"
    FALSE_DISCLOSURE = "公示信息隐瞒真实情况弄虚作假"
    UNREACHABLE = "通过登记的住所（经营场所）无法联系"
    OTHER = "其他"


class ObjectionDecision(StrEnum):
    UPHELD = "upheld"  # 维持
    CORRECTED = "corrected"  # 更正
