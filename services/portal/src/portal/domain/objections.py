"""An objection's three clocks (第十一条) as a page shows them, and the corrected results a
review form asks for. Pure: the calendar comes from the registry's public answer.

The objections service gives each clock's due date and overdue flag; how many working days
are left (or past) is counted here on the bureau's own calendar, the one the service used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from portal.domain.inspections import PENDING
from spotcheck_common.workdays import WorkCalendar, YearSchedule

# (clock, label, length in working days, the field that says it is done)
CLOCKS = (
    ("review", "复查", 20, "decided_on"),
    ("feedback", "反馈检查对象", 15, "feedback_given_on"),
    ("correction", "更正公示", 5, "correction_published_on"),
)
DUE_SOON_WORKDAYS = 3  # a clock this close to its end is shown in warning colour


# The paper form's fields and what the objections service's reasons about each say: the
# service names no field (or names it outside ``errors``) for these, the form shows each
# reason beside its field.
@dataclass(frozen=True)
class Clock:
    """One clock as shown: ``tone`` is ok / warn / bad / '' (not running), ``text`` says the
    same in words (colour is never the only sign)."""

    key: str
    label: str
    workdays: int
    due_on: str | None
    done_on: str | None
    tone: str
    text: str


def calendar_of(years: Iterable[Mapping[str, Any]]) -> WorkCalendar:
    """The working-day calendar from ``/public/calendar/{year}`` answers (uncovered years are
    left out: counting into them gives no number)."""
    schedules = [
        YearSchedule(
            year=int(y["year"]),
            version=1,
            source=str(y.get("calendar_version") or ""),
            days_off={date.fromisoformat(d["date"]): d.get("name", "") for d in y["days_off"]},
            make_up_workdays={
                date.fromisoformat(d["date"]): d.get("name", "") for d in y["make_up_workdays"]
            },
        )
        for y in years
        if y.get("covered")
    ]
    return WorkCalendar(schedules, use_library=False)


def years_needed(objections: Iterable[Mapping[str, Any]], today: date) -> list[int]:
    """The calendar years between today and the furthest due date of open clocks."""
    last = today
    for o in objections:
        for key, _label, _days, _done in CLOCKS:
            due = o.get(f"{key}_due_on")
            if due:
                last = max(last, date.fromisoformat(due))
    received = [date.fromisoformat(o["received_on"]).year for o in objections]
    first = min([today.year, *received])
    return list(range(first, last.year + 1))


def clock_of(objection: Mapping[str, Any], key: str, today: date, calendar: WorkCalendar) -> Clock:
    label, workdays, done_field = next((c[1], c[2], c[3]) for c in CLOCKS if c[0] == key)
    deadline = (objection.get("deadlines") or {}).get(key)
    due, done = objection.get(f"{key}_due_on"), objection.get(done_field)
    overdue = bool((objection.get("overdue") or {}).get(key))

    def made(tone: str, text: str) -> Clock:
        return Clock(key, label, workdays, due, done, tone, text)

    if deadline is None and due is None:
        return made("", "未开始")
    if deadline and deadline.get("due_status") == "pending_calendar":
        return made("warn", "期限待定：" + (deadline.get("pending_reason") or "工作日历尚未录入"))
    if done:
        return made("bad", f"逾期完成（{done}）") if overdue else made("ok", f"已完成（{done}）")
    due_day = date.fromisoformat(str(due))
    if due_day < today:
        past = calendar.elapsed(due_day, today)
        return made("bad", f"已逾期 {past} 个工作日" if past is not None else "已逾期")
    if due_day == today:
        return made("warn", "今天到期")
    left = calendar.elapsed(today, due_day)
    if left is None:
        return made("ok", f"{due} 到期")
    return made("warn" if left <= DUE_SOON_WORKDAYS else "ok", f"剩余 {left} 个工作日")


def clocks_of(objection: Mapping[str, Any], today: date, calendar: WorkCalendar) -> list[Clock]:
    return [clock_of(objection, key, today, calendar) for key, *_ in CLOCKS]


def corrected_results(
    current: Iterable[Mapping[str, Any]], form: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The items whose result the review form changes (``category_<code>``,
    ``pending_reason_<code>``, ``remark_<code>``), as the decision's ``corrected_results``."""
    out = []
    for item in current:
        code = str(item["check_item_code"])
        category = form.get(f"category_{code}", item.get("category")) or ""
        reason = form.get(f"pending_reason_{code}", item.get("pending_reason") or "")
        reason = reason if category == PENDING else ""
        remark = form.get(f"remark_{code}", item.get("remark") or "").strip()
        changed = (
            category != item.get("category")
            or (reason or None) != (item.get("pending_reason") or None)
            or remark != (item.get("remark") or "")
        )
        if changed:
            line: dict[str, Any] = {
                "check_item_code": code,
                "check_item_name": item.get("check_item_name", ""),
                "category": category,
                "remark": remark,
            }
            if reason:
                line["pending_reason"] = reason
            out.append(line)
    return out
