"""What the services' codes read as on a page, in the bureau's words.

The services answer codes (``draft``, ``pending``, ``credit_dept``); the web application shows
the Chinese the rules use. A code with no label shows as itself, never as a blank.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from spotcheck_common.roles import ROLE_LABELS, Role

STATUS: dict[str, dict[str, str]] = {
    "plan": {
        "draft": "草稿",
        "submitted": "已报分管局长",
        "signed": "分管局长已签字",
        "consolidated": "信用监管科已汇总",
        "approved": "局长办公会已批准",
        "filed": "已报市局备案",
        "published": "已公示",
        "superseded": "已被调整后的版本替代",
    },
    "task": {"draft": "草稿", "approved": "已批准", "published": "已公示", "closed": "已结束"},
    "draw": {
        "frozen": "清单已冻结，待各方提交种子承诺",
        "committed": "承诺已齐，待各方揭示种子",
        "assigning": "对象已抽取，待信用监管科直接委派检查组",
        "drawn": "已抽取，待办公室监督会签",
        "completed": "已完成",
        "cancelled": "已作废",
        "aborted": "已中止",
    },
    "joint": {  # this bureau's side of a neighbour's joint draw
        "awaiting-commit": "待本局提交种子承诺",
        "committed": "本局已承诺，待各方承诺齐后揭示",
        "revealed": "本局已揭示，待抽取区完成抽取",
        "completed": "抽取区已完成抽取",
        "cancelled": "抽取区已作废",
    },
    "inspection": {
        "pending": "待录入结果",
        "recorded": "已录入，待签名",
        "signed": "全员已签名，待提交",
        "submitted": "已提交",
    },
    "objection": {"pending": "待复查", "upheld": "复查维持原结果", "corrected": "予以更正"},
    "follow_up": {
        "open": "待处理",
        "case_filed": "已立案查处",
        "transferred": "已移送司法机关",
        "closed": "已办结",
    },
    "import": {"running": "导入中", "succeeded": "已完成", "failed": "未导入（有错误）"},
}


def zh(code: object, kind: str) -> str:
    """The label of ``code`` among ``kind``'s statuses."""
    text = "" if code is None else str(code)
    return STATUS.get(kind, {}).get(text, text)


def role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


# Beijing time: the bureau's (China keeps no daylight saving time).
BEIJING = timezone(timedelta(hours=8))


def datetime_zh(value: object) -> str:
    """An ISO instant as the bureau writes it, in Beijing time (``2026-11-30 09:01``); dates
    pass unchanged."""
    if not isinstance(value, str) or "T" not in value:
        return "" if value is None else str(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(BEIJING)
    return moment.strftime("%Y-%m-%d %H:%M")
