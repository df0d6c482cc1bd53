"""A task's dossier (档案) as a page reads it: what each archived event was, in the bureau's
words, and what a verification of the hash chain found."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EVENTS = {
    "planning.task-drafted": "实施方案拟定",
    "planning.task-approved": "实施方案批准",
    "planning.task-published": "实施方案公示",
    "planning.annual-plan-published": "年度抽查工作计划公示",
    "draws.draw-manifest-frozen": "抽取清单冻结",
    "draws.draw-share-committed": "提交种子承诺",
    "draws.draw-share-revealed": "揭示种子份额",
    "draws.draw-seed-revealed": "种子确定、计算抽取结果",
    "draws.draw-countersigned": "办公室监督会签",
    "draws.draw-completed": "抽取完成",
    "draws.draw-inspector-replaced": "经批准调换检查人员",
    "draws.draw-cancelled": "抽取作废",
    "inspections.inspection-submitted": "提交检查记录表",
    "inspections.attachment-added": "归档附件",
    "inspections.follow-up-opened": "转入后续处理",
    "inspections.follow-up-recorded": "后续处理结果",
    "inspections.transfer-due-set": "确定移送期限",
    "publication.result-published": "公示检查结果",
    "publication.publish-due-set": "确定公示期限",
    "publication.result-corrected": "更正检查结果（新版本）",
    "publication.result-withheld": "依法不予公示",
    "objections.objection-filed": "收到异议申请",
    "objections.objection-deadlines-set": "确定异议期限",
    "objections.objection-decided": "异议复查结果",
    "objections.objection-feedback-given": "复查情况已反馈",
    "objections.objection-correction-submitted": "报请更正",
}
KINDS = {"event": "事件", "attachment": "附件", "plan": "抽查工作计划"}


def entry_label(entry: Mapping[str, Any]) -> str:
    """What an entry of the dossier's contents is: the plan, an attachment, or an event."""
    if entry.get("kind") == "plan":
        return f"抽查工作计划 {entry.get('plan_no') or ''} 第 {entry.get('plan_version')} 版"
    if entry.get("kind") == "attachment":
        return f"附件 {entry.get('filename') or entry.get('attachment_id') or ''}"
    code = str(entry.get("event_type") or "")
    return EVENTS.get(code, code or "条目")


def verification_text(result: Mapping[str, Any]) -> tuple[bool, str]:
    """The outcome of ``…/verify`` in words: intact, or the first entry that does not match."""
    if result.get("ok"):
        return True, f"哈希链完整：{result.get('checked', 0)} 个条目逐一校验通过。"
    seq = result.get("first_bad_seq")
    where = f"第 {seq} 个条目起不符" if seq is not None else "哈希链不符"
    reason = result.get("reason") or "重新计算的哈希与归档的不一致"
    return (
        False,
        f"哈希链断裂：{where}（{reason}）；此前 {result.get('checked', 0)} 个条目校验通过。",
    )


def check_text(result: Mapping[str, Any]) -> tuple[bool, str]:
    """The outcome of an attachment check: the file matches what was archived, or not."""
    name = result.get("filename") or result.get("attachment_id")
    if result.get("matches"):
        return True, f"文件与档案一致：{name} 的 SHA-256 与归档的相同。"
    given = f"{result.get('sha256')}（{result.get('size')} 字节）"
    filed = f"{result.get('filed_sha256')}（{result.get('filed_size')} 字节）"
    return False, f"文件与档案不一致：所交文件 SHA-256 为 {given}，归档的为 {filed}。"
