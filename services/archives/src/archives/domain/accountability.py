"""Accountability and statistics (实施细则第十三条; 第九条、第十条、第十一条 for the clocks). Pure.

Archives sees every event of every task, so it keeps a small read model of *facts* (one JSON
document per task, inspection result, published record, objection and follow-up), folded from
the typed events by :mod:`archives.domain.folds` (one function per event class). Events of one
task arrive on several topics and so in no guaranteed order: every fold only sets the fields its
own event knows, so the facts come out the same in any order. :func:`overdue_items` and
:func:`statistics` read the facts as of a given day.

Rules (``as_of`` is a date in China; a deadline ``due_on`` is the last allowed day, so an item is
overdue from the day after; an act dated after ``as_of`` has not happened yet as of that day):

``task_not_run`` (不执行或者拖延执行抽查任务)
    deadline = the task's ``deadline`` (planning.task-approved). Once it has passed: an approved
    task with no draw is one item (the lead department); otherwise every drawn target (staffed or
    not, ``draws.draw-completed``) without an ``inspections.inspection-submitted`` (counted-done
    outcomes included) dated on or before the deadline is one item, naming the lead department
    and the target's team (every member; replacements applied). Done on = the submission date
    (the envelope's occurred-at, China date).
``result_publication`` (未依法及时公示抽查检查结果)
    deadline = ``publish_due_on`` of publication.result-published, else 20 working days after
    the inspection's ``completed_on`` (the same rule publication applies). Closed by
    publication.result-published (``published_at``) or publication.result-withheld
    (``recorded_at``). Names the lead department (发起检查任务的科室负责公示) and the team
    leader (谁检查、谁录入).
``objection_review`` / ``objection_feedback`` / ``objection_correction`` (第十一条)
    deadlines = ``review_due_on`` (objection-filed or -decided; else 20 working days after
    ``received_on``), ``feedback_due_on``
    (objection-decided or -feedback-given; else 15 working days after ``decided_on``),
    ``correction_due_on`` (objection-decided; else 5 working days after ``decided_on`` when the
    decision is ``corrected``). Closed by objection-decided (``decided_on``),
    objection-feedback-given (``given_on``) and publication.result-corrected naming the
    objection (``published_at``); objection-correction-submitted (the credit department
    submitting the correction, 第九条) is shown on the item but does not close it. 第九条's
    request to the city bureau (correction-requested, sent within the clock) stops the
    correction clock until the city replies (not listed meanwhile); its grant restarts it
    (``correction_due_on`` of correction-granted wins); its refusal closes it. Names the
    reviewing department (objection-filed ``review_department``, else the task's lead
    department).
``case_not_transferred`` (未对涉嫌犯罪案件依法移送)
    a follow-up that is a suspected crime: opened as ``suspected_crime``, or made one by a
    later follow-up-recorded (``suspected_crime`` / ``kind``). Deadline = ``transfer_due_on``
    of follow-up-recorded if given, else 10 working days after ``opened_on`` (opened as one) or
    after the ``recorded_on`` that made it one. Closed by follow-up-recorded with action
    ``transferred`` (``recorded_on``). Names the follow-up's lead department and the
    inspection's team.

Each item has ``status`` ``overdue`` (still not done as of ``as_of``) or ``late`` (done, after
the deadline): both are failures under 第十三条 (拖延执行); only ``overdue`` feeds the gauge.
A clock not done whose deadline falls between ``as_of`` and a *horizon* (N working days ahead,
:func:`due_soon_horizon`) is *due soon* (:func:`evaluate`): not a failure yet, the warning that
lets the department act before it becomes one (``spotcheck_due_soon_items``).
Each has a stable ``item_id`` (:func:`exemptions.item_id`). The service layer marks every item
问责 or 免责 (:func:`exemptions.classify`); the counts here keep 免责 apart (``exempt``), and an
exempted item is not an open failure for the gauge or a task's ``overdue``.

Deadlines: a date the keeping service gave in its event wins (a later ``*-set`` event — the
date computed once a year's holiday schedule was recorded, or moved by a correction of it —
over the first); else archives counts it on its own copy of the working-day calendar at read
time, never at fold time, so recording a year turns every pending clock into a date at once.
A clock whose date is still pending is listed apart (``pending``), neither overdue nor on time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from archives.domain.exemptions import EXEMPT, item_id
from spotcheck_common.workdays import CHINA_TZ, Deadline, WorkCalendar

TASK, RESULT, RECORD, OBJECTION, FOLLOW_UP = "task", "result", "record", "objection", "follow_up"

REVIEW_LIMIT_WORKDAYS = 20  # 第十一条：收到申请材料之日起 20 个工作日内复查
PUBLISH_LIMIT_WORKDAYS = 20  # 第九条 / 国家规定：结果形成之日起 20 个工作日内公示
FEEDBACK_LIMIT_WORKDAYS = 15  # 第十一条：复查结果作出之日起 15 个工作日内反馈
CORRECTION_LIMIT_WORKDAYS = 5  # 确有错误的，5 个工作日内更正
TRANSFER_LIMIT_WORKDAYS = 10  # 涉嫌犯罪案件 10 个工作日内移送（本系统的督办时限）

ID_FIELD = {
    TASK: "task_id",
    RESULT: "inspection_id",
    RECORD: "record_id",
    OBJECTION: "objection_id",
    FOLLOW_UP: "follow_up_id",
}

KIND_LABELS = {
    "task_not_run": "不执行或拖延执行抽查任务",
    "result_publication": "未按时公示检查结果",
    "objection_review": "异议未按时复查",
    "objection_feedback": "复查情况未按时反馈",
    "objection_correction": "确有错误未按时更正",
    "case_not_transferred": "涉嫌犯罪案件未按时移送司法机关",
}
KINDS = tuple(KIND_LABELS)

Key = tuple[str, str]


@dataclass
class Fact:
    """One read-model document; ``year`` and ``department`` are set on task facts only."""

    kind: str
    key: str
    task_id: str
    data: dict[str, Any]
    year: int | None = None
    department: str | None = None


# ---------------------------------------------------------------- dates


def china_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.astimezone(CHINA_TZ).date()
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(CHINA_TZ).date()


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# ---------------------------------------------------------------- reading the facts


@dataclass
class Facts:
    """The facts of a set of tasks, grouped for evaluation."""

    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # by inspection_id
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # by record_id
    objections: dict[str, dict[str, Any]] = field(default_factory=dict)
    follow_ups: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, facts: Iterable[Fact]) -> Facts:
        out = cls()
        slot = {
            TASK: out.tasks,
            RESULT: out.results,
            RECORD: out.records,
            OBJECTION: out.objections,
            FOLLOW_UP: out.follow_ups,
        }
        for f in facts:
            slot[f.kind][f.key] = {**f.data, "task_id": f.task_id, ID_FIELD[f.kind]: f.key}
        # Only what belongs to an approved task is judged (its deadline and department).
        known = {t for t, d in out.tasks.items() if d.get("approved")}
        out.tasks = {t: d for t, d in out.tasks.items() if t in known}
        for table in (out.results, out.records, out.objections, out.follow_ups):
            for key in [k for k, d in table.items() if d["task_id"] not in known]:
                del table[key]
        return out


def _d(value: Any) -> date | None:
    return china_date(value)


def _member(m: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "inspector_id": m.get("inspector_id"),
        "name": m.get("name"),
        "department": m.get("department"),
        "role": m.get("role"),
    }


def _leader(team: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    leaders = [_member(m) for m in team if m.get("role") == "leader"]
    return leaders or [_member(m) for m in team[:1]]


def drawn_targets(task: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every drawn target of a task (all its draws), with its current team."""
    targets: dict[str, dict[str, Any]] = {}
    for draw in (task.get("draws") or {}).values():
        replaced = draw.get("replaced") or {}
        for uscc, t in (draw.get("targets") or {}).items():
            team = replaced.get(uscc) or t.get("team") or []
            targets[uscc] = {"entity_name": t.get("entity_name"), "team": team}
        for uscc in draw.get("unstaffed") or []:
            targets.setdefault(
                uscc, {"entity_name": None, "team": replaced.get(uscc) or [], "unstaffed": True}
            )
    return targets


def _drawn(task: Mapping[str, Any], as_of: date) -> bool:
    return any(
        (_d(d.get("drawn_on")) or date.min) <= as_of and d.get("targets") is not None
        for d in (task.get("draws") or {}).values()
    )


def _submitted_on(result: Mapping[str, Any] | None) -> date | None:
    return _d(result.get("submitted_on")) if result and result.get("submitted") else None


def _published_on(result: Mapping[str, Any]) -> date | None:
    done = [d for d in (_d(result.get("published_on")), _d(result.get("withheld_on"))) if d]
    return min(done) if done else None


def _earliest_date(*days: date | None) -> date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def _deadline(given: Any, start: date | None, n: int, calendar: WorkCalendar) -> Deadline | None:
    """The date the keeping service gave, else ``n`` working days after ``start`` on this
    service's calendar (pending while it does not cover the year); None without a start."""
    if _d(given) is not None:
        return Deadline(_d(given))
    return calendar.deadline(start, n) if start is not None else None


def publish_deadline(result: Mapping[str, Any], calendar: WorkCalendar) -> Deadline | None:
    return _deadline(
        result.get("publish_due_on"),
        _d(result.get("completed_on")),
        PUBLISH_LIMIT_WORKDAYS,
        calendar,
    )


def is_suspected_crime(follow_up: Mapping[str, Any]) -> bool:
    return follow_up.get("follow_up_kind") == "suspected_crime" or bool(
        follow_up.get("suspected_since")
    )


def transfer_deadline(follow_up: Mapping[str, Any], calendar: WorkCalendar) -> Deadline | None:
    """The date given by inspections (``transfer_due_on``), else 10 working days after the
    follow-up was opened as a suspected crime, or after the record that made it one."""
    if follow_up.get("follow_up_kind") == "suspected_crime":
        start = _d(follow_up.get("opened_on"))
    else:
        start = _d(follow_up.get("suspected_since"))
    return _deadline(follow_up.get("transfer_due_on"), start, TRANSFER_LIMIT_WORKDAYS, calendar)


@dataclass
class _Clock:
    as_of: date
    calendar: WorkCalendar
    items: list[dict[str, Any]] = field(default_factory=list)
    # Clocks whose date waits for a year's holiday schedule (or lacks its start): listed, not
    # judged — neither overdue nor on time until the date exists.
    pending: list[dict[str, Any]] = field(default_factory=list)
    # Open clocks due between as_of and this day (both included); None: not looked for.
    horizon: date | None = None
    due_soon: list[dict[str, Any]] = field(default_factory=list)

    def watches(self, due: date) -> bool:
        """Whether a clock due on ``due`` can count today: missed, or due by the horizon."""
        return due < self.as_of or (self.horizon is not None and due <= self.horizon)

    def check(
        self,
        kind: str,
        task: Mapping[str, Any],
        deadline: Deadline | None,
        done: date | None,
        department: str | None,
        inspectors: list[dict[str, Any]],
        subject: dict[str, Any],
        ref: Any,
        what: str,
    ) -> None:
        """Judge one clock; ``ref`` names what failed within the task (target, result,
        objection, follow-up), for the item's stable ``item_id``."""
        if deadline is None or deadline.due_on is None:
            reason = deadline.reason if deadline else "缺少起算日期，无法计算期限"
            self.pending.append(
                {
                    "kind": kind,
                    "kind_label": KIND_LABELS[kind],
                    "due_status": "pending_calendar" if deadline else "no_start",
                    "task_id": task.get("task_id"),
                    "task_no": task.get("task_no"),
                    "department": department,
                    "subject": subject,
                    "reason": reason,
                    "description": f"{KIND_LABELS[kind]}：{what}（期限待定：{reason}）",
                }
            )
            return
        due = deadline.due_on
        done = done if done is not None and done <= self.as_of else None
        if done is not None and done <= due:
            return
        if done is None and self.as_of <= due:
            if self.horizon is not None and due <= self.horizon:
                self.due_soon.append(
                    {
                        "kind": kind,
                        "task_id": task.get("task_id"),
                        "department": department,
                        "due_on": due.isoformat(),
                    }
                )
            return
        status = "late" if done is not None else "overdue"
        who = "、".join(f"{m['name']}（{m['inspector_id']}）" for m in inspectors if m.get("name"))
        responsible = department or "（未知科室）"
        if who:
            responsible += f"，检查人员 {who}"
        outcome = f"于 {done} 才完成，逾期" if done else f"截至 {self.as_of} 仍未完成"
        self.items.append(
            {
                "item_id": item_id(kind, task.get("task_id"), ref),
                "kind": kind,
                "kind_label": KIND_LABELS[kind],
                "status": status,
                "task_id": task.get("task_id"),
                "task_no": task.get("task_no"),
                "task_title": task.get("title"),
                "department": department,
                "inspectors": inspectors,
                "due_on": due.isoformat(),
                # The calendar versions archives counted with; None for a date the keeping
                # service gave.
                "calendar_version": deadline.calendar_version,
                "done_on": iso(done),
                "overdue_workdays": self.calendar.elapsed(due, done or self.as_of),
                "subject": subject,
                "description": f"{responsible}：{what}，期限 {due}，{outcome}",
            }
        )


def _first_submissions(facts: Facts) -> dict[tuple[str, str], dict[str, Any]]:
    """The earliest submitted result of each (task, target)."""
    by_task_target: dict[tuple[str, str], dict[str, Any]] = {}
    for result in facts.results.values():
        if result.get("submitted"):
            key = (result["task_id"], str(result.get("uscc")))
            prev = by_task_target.get(key)
            if prev is None or (_submitted_on(result) or date.max) < (
                _submitted_on(prev) or date.max
            ):
                by_task_target[key] = result
    return by_task_target


def _check_tasks(clock: _Clock, facts: Facts) -> None:
    as_of = clock.as_of
    by_task_target = _first_submissions(facts)
    for task_id, task in sorted(facts.tasks.items()):
        task = {**task, "task_id": task_id}
        dept = task.get("lead_department")
        deadline = _d(task.get("deadline"))
        title = task.get("title") or task_id
        if deadline is None or not clock.watches(deadline):
            continue
        if not _drawn(task, as_of):
            clock.check(
                "task_not_run",
                task,
                Deadline(deadline),
                None,
                dept,
                [],
                {"reason": "not_drawn"},
                "not_drawn",
                f"任务「{title}」已批准，未抽取检查对象",
            )
            continue
        for uscc, target in sorted(drawn_targets(task).items()):
            found = by_task_target.get((task_id, uscc))
            name = target.get("entity_name") or (found or {}).get("entity_name") or uscc
            team = [_member(m) for m in target.get("team") or []]
            clock.check(
                "task_not_run",
                task,
                Deadline(deadline),
                _submitted_on(found),
                dept,
                team,
                {
                    "uscc": uscc,
                    "entity_name": name,
                    "inspection_id": (found or {}).get("inspection_id"),
                },
                uscc,
                f"任务「{title}」的检查对象 {name}（{uscc}）未提交检查记录",
            )


def _check_results(clock: _Clock, facts: Facts) -> None:
    calendar = clock.calendar
    for inspection_id, result in sorted(facts.results.items()):
        task = {**facts.tasks[result["task_id"]], "task_id": result["task_id"]}
        if not result.get("submitted"):
            continue
        name = result.get("entity_name") or result.get("uscc")
        clock.check(
            "result_publication",
            task,
            publish_deadline(result, calendar),
            _published_on(result),
            task.get("lead_department"),
            _leader(result.get("team") or []),
            {
                "uscc": result.get("uscc"),
                "entity_name": name,
                "inspection_id": inspection_id,
                "record_id": result.get("record_id"),
            },
            inspection_id,
            f"{name} 的检查结果（完成于 {result.get('completed_on')}）未公示",
        )


def _check_objections(clock: _Clock, facts: Facts) -> None:
    calendar = clock.calendar
    for objection_id, o in sorted(facts.objections.items()):
        task = {**facts.tasks[o["task_id"]], "task_id": o["task_id"]}
        dept = o.get("review_department") or task.get("lead_department")
        subject = {
            "objection_id": objection_id,
            "uscc": o.get("uscc"),
            "record_id": o.get("record_id"),
            "correction_submitted_on": o.get("correction_submitted_on"),
            "correction_submitted_by": o.get("correction_submitted_by"),
        }
        decided = _d(o.get("decided_on"))
        if o.get("received_on"):
            clock.check(
                "objection_review",
                task,
                _deadline(
                    o.get("review_due_on"),
                    _d(o.get("received_on")),
                    REVIEW_LIMIT_WORKDAYS,
                    calendar,
                ),
                _d(o.get("decided_on")),
                dept,
                [],
                subject,
                objection_id,
                f"{o.get('uscc')} 于 {o.get('received_on')} 提出的异议未复查",
            )
        if decided is not None:
            clock.check(
                "objection_feedback",
                task,
                _deadline(o.get("feedback_due_on"), decided, FEEDBACK_LIMIT_WORKDAYS, calendar),
                _d(o.get("feedback_given_on")),
                dept,
                [],
                subject,
                objection_id,
                f"异议复查结果（{o.get('decided_on')} 作出）未反馈检查对象 {o.get('uscc')}",
            )
        # A request sent in time stops the clock: nothing is due while the city holds it, and
        # its refusal leaves nothing to correct.
        stopped = o.get("correction_suspended") and (
            not o.get("city_replied_on") or o.get("correction_refused_on")
        )
        if not stopped and (
            o.get("correction_due_on") or (decided and o.get("decision") == "corrected")
        ):
            # 第九条: a clock the city's grant restarted is due when the objections service
            # says; a refusal of a request sent late closes it, late.
            due = o.get("correction_due_after_city") or o.get("correction_due_on")
            clock.check(
                "objection_correction",
                task,
                _deadline(due, decided, CORRECTION_LIMIT_WORKDAYS, calendar),
                _earliest_date(_d(o.get("corrected_on")), _d(o.get("correction_refused_on"))),
                dept,
                [],
                subject,
                objection_id,
                f"异议复查确有错误（{o.get('decided_on')} 决定更正），检查结果未更正",
            )


def _check_follow_ups(clock: _Clock, facts: Facts) -> None:
    calendar = clock.calendar
    for follow_up_id, u in sorted(facts.follow_ups.items()):
        if not is_suspected_crime(u):
            continue
        task = {**facts.tasks[u["task_id"]], "task_id": u["task_id"]}
        result = facts.results.get(str(u.get("inspection_id"))) or {}
        team = [_member(m) for m in result.get("team") or []]
        clock.check(
            "case_not_transferred",
            task,
            transfer_deadline(u, calendar),
            _d(u.get("transferred_on")),
            u.get("lead_department") or task.get("lead_department"),
            team,
            {
                "follow_up_id": follow_up_id,
                "uscc": u.get("uscc"),
                "inspection_id": u.get("inspection_id"),
            },
            follow_up_id,
            f"{u.get('uscc')} 涉嫌犯罪（{u.get('opened_on')} 立项后续处理）未移送司法机关",
        )


def evaluate(
    facts: Facts, as_of: date, calendar: WorkCalendar, horizon: date | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """One pass over every clock: the failures, the pending clocks (as :func:`overdue_items`)
    and the open clocks due by ``horizon`` (none when it is None)."""
    clock = _Clock(as_of, calendar, horizon=horizon)
    _check_tasks(clock, facts)
    _check_results(clock, facts)
    _check_objections(clock, facts)
    _check_follow_ups(clock, facts)
    return clock.items, clock.pending, clock.due_soon


def overdue_items(
    facts: Facts, as_of: date, calendar: WorkCalendar
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every failure of 第十三条 as of ``as_of``: who, what, the deadline, done or not; and
    the clocks whose deadline is pending (the calendar does not cover its year yet)."""
    items, pending, _ = evaluate(facts, as_of, calendar, None)
    return items, pending


def due_soon_horizon(as_of: date, calendar: WorkCalendar, workdays: int) -> date:
    """The ``workdays``-th working day after ``as_of``. Where that day lies in a year the
    calendar does not cover, the last covered day: every dated deadline falls before it."""
    return calendar.deadline(as_of, workdays).due_on or calendar.covered_through(as_of)


def is_exempt(item: Mapping[str, Any]) -> bool:
    """Exempted by the director's meeting (免责); items not yet classified are answerable."""
    return item.get("accountability") == EXEMPT


def _column(item: Mapping[str, Any]) -> str:
    """问责 items count by their status (overdue / late), 免责 ones apart (exempt)."""
    return "exempt" if is_exempt(item) else str(item["status"])


def group_counts(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts by department and by inspector, per kind: 问责 (overdue and late separately)
    and 免责 (exempt, whatever the status)."""
    departments: dict[str, dict[str, Counter[str]]] = defaultdict(
        lambda: {"overdue": Counter(), "late": Counter(), "exempt": Counter()}
    )
    inspectors: dict[str, dict[str, Any]] = {}
    for item in items:
        departments[item["department"] or ""][_column(item)][item["kind"]] += 1
        for m in item["inspectors"]:
            who = inspectors.setdefault(
                str(m["inspector_id"]),
                {**m, "overdue": Counter(), "late": Counter(), "exempt": Counter()},
            )
            who[_column(item)][item["kind"]] += 1

    def shape(counts: Mapping[str, Counter[str]]) -> dict[str, Any]:
        return {
            "overdue": dict(counts["overdue"]),
            "late": dict(counts["late"]),
            "exempt": dict(counts["exempt"]),
            "overdue_total": sum(counts["overdue"].values()),
            "late_total": sum(counts["late"].values()),
            "accountable_total": sum(counts["overdue"].values()) + sum(counts["late"].values()),
            "exempt_total": sum(counts["exempt"].values()),
        }

    return {
        "by_department": [{"department": d, **shape(c)} for d, c in sorted(departments.items())],
        "by_inspector": [
            {
                "inspector_id": i["inspector_id"],
                "name": i["name"],
                "department": i["department"],
                **shape(i),
            }
            for _, i in sorted(inspectors.items())
        ],
    }


def overdue_gauge(items: Iterable[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """``spotcheck_overdue_items{kind, department}``: open items only (status ``overdue``,
    not exempted: an exempted failure is no longer an open one)."""
    counts: Counter[tuple[str, str]] = Counter(
        (i["kind"], i["department"] or "")
        for i in items
        if i["status"] == "overdue" and not is_exempt(i)
    )
    return dict(counts)


def due_soon_gauge(due_soon: Iterable[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """``spotcheck_due_soon_items{kind, department}``: the open clocks due by the horizon."""
    return dict(Counter((i["kind"], i["department"] or "") for i in due_soon))


# ---------------------------------------------------------------- statistics


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _latest_results(result: Mapping[str, Any], facts: Facts) -> list[Mapping[str, Any]]:
    record = facts.records.get(str(result.get("record_id"))) if result.get("record_id") else None
    if record and record.get("results"):
        return list(record["results"])
    return list(result.get("results") or [])


def statistics(
    facts: Facts, as_of: date, calendar: WorkCalendar, items: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Completion and publication rates per task and department; results by category.

    completion_rate = targets with a submitted inspection (counted-done outcomes included) /
    drawn targets; publication_rate = results published / (results formed − results withheld
    by law); on_time_rate = results published or withheld on or before their deadline /
    results formed. Everything as of ``as_of``; results by category count item results of the
    current version (a correction replaces the published one).
    """
    if items is None:
        items, _ = overdue_items(facts, as_of, calendar)
    overdue_by_task: dict[str, Counter[str]] = defaultdict(Counter)
    exempt_by_task: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        if is_exempt(item):
            exempt_by_task[str(item["task_id"])][item["kind"]] += 1
        elif item["status"] == "overdue":
            overdue_by_task[str(item["task_id"])][item["kind"]] += 1

    results_by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for inspection_id, r in facts.results.items():
        submitted = _submitted_on(r)
        if submitted is not None and submitted <= as_of:
            results_by_task[r["task_id"]].append({**r, "inspection_id": inspection_id})

    tasks_out: list[dict[str, Any]] = []
    departments: dict[str, Counter[str]] = defaultdict(Counter)
    inspectors: dict[str, Counter[str]] = defaultdict(Counter)
    who: dict[str, dict[str, Any]] = {}
    categories: dict[str, Counter[str]] = defaultdict(Counter)
    for task_id, task in sorted(facts.tasks.items()):
        dept = str(task.get("lead_department") or "")
        targets = drawn_targets(task) if _drawn(task, as_of) else {}
        results = results_by_task.get(task_id, [])
        done_usccs = {str(r.get("uscc")) for r in results}
        by_uscc = {str(r.get("uscc")): _result_counts(r, as_of, calendar) for r in results}
        c: Counter[str] = Counter()
        c["tasks"] = 1
        c["targets"] = len(targets)
        c["submitted"] = len(done_usccs & set(targets)) if targets else 0
        for counts in by_uscc.values():
            c.update(counts)
        for r in results:
            for line in _latest_results(r, facts):
                categories[dept][str(line.get("category"))] += 1
        for uscc, target in targets.items():  # each member answers for the team's targets
            for m in target.get("team") or []:
                key = str(m.get("inspector_id"))
                who.setdefault(key, _member(m))
                mine = inspectors[key]
                mine.update({"targets": 1, "submitted": int(uscc in done_usccs)})
                mine.update(by_uscc.get(uscc, Counter()))
        deadline = _d(task.get("deadline"))
        c["closed"] = int(bool(deadline and as_of > deadline))
        c["completed"] = int(bool(targets) and c["submitted"] == len(targets))
        departments[dept].update(c)
        tasks_out.append(
            {
                "task_id": task_id,
                "task_no": task.get("task_no"),
                "title": task.get("title"),
                "department": dept,
                "deadline": task.get("deadline"),
                "drawn": bool(targets) or _drawn(task, as_of),
                **_rates(c),
                "overdue": dict(overdue_by_task.get(task_id, {})),
                "exempt": dict(exempt_by_task.get(task_id, {})),
            }
        )
    total_categories: Counter[str] = Counter()
    for counter in categories.values():
        total_categories.update(counter)
    return {
        "tasks": tasks_out,
        "departments": [
            {
                "department": d,
                "tasks": c["tasks"],
                "tasks_completed": c["completed"],
                "tasks_past_deadline": c["closed"],
                **_rates(c),
                "results_by_category": dict(categories.get(d, {})),
            }
            for d, c in sorted(departments.items())
        ],
        "results_by_category": dict(total_categories),
        # 第十三条 by person: the targets of the teams each inspector was on, and their results.
        "inspectors": [
            {
                "inspector_id": key,
                "name": who[key].get("name"),
                "department": who[key].get("department"),
                **_rates(c),
            }
            for key, c in sorted(inspectors.items())
        ],
    }


def _result_counts(r: Mapping[str, Any], as_of: date, calendar: WorkCalendar) -> Counter[str]:
    """One result as of ``as_of``: formed; published or withheld by then; on time or not;
    not inspected (第八条, counted as done)."""
    published = _d(r.get("published_on"))
    withheld = _d(r.get("withheld_on"))
    published = published if published and published <= as_of else None
    withheld = withheld if withheld and withheld <= as_of else None
    publish_due = publish_deadline(r, calendar)
    due = publish_due.due_on if publish_due else None
    done = published or withheld
    return Counter(
        {
            "formed": 1,
            "published": int(bool(published)),
            "withheld": int(bool(withheld and not published)),
            "on_time": int(bool(done and due and done <= due)),
            "not_inspected": int(bool(r.get("not_inspected_reason"))),
        }
    )


def _rates(c: Mapping[str, int]) -> dict[str, Any]:
    must_publish = c["formed"] - c["withheld"]
    return {
        "targets": c["targets"],
        "submitted": c["submitted"],
        "not_inspected_counted_done": c["not_inspected"],
        "completion_rate": _rate(c["submitted"], c["targets"]),
        "results_formed": c["formed"],
        "results_published": c["published"],
        "results_withheld": c["withheld"],
        "results_on_time": c["on_time"],
        "publication_rate": _rate(c["published"], must_publish),
        "on_time_rate": _rate(c["on_time"], c["formed"]),
    }
