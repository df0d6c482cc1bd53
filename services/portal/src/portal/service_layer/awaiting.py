"""What awaits a person: for each of their roles, the steps of the rules that are theirs to
take now, with a link to the page that takes them. Each list is the services' own answer
(the services decide what a person may read); a list a role may not read is left out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field

from portal.adapters.api import Api, ApiError
from portal.domain import joint_inspections, not_inspected
from portal.domain.draws import agency_awaits, agency_party, joint_awaits
from portal.domain.labels import datetime_zh
from portal.service_layer.inspections import today_of


@dataclass
class Waiting:
    """One kind of step awaiting the person: what, how many, where, and the first few."""

    title: str
    link: str
    items: list[tuple[str, str, str]] = field(default_factory=list)  # (label, link, note)

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Person:
    """Who the person is where a step is theirs by name: their district, inspector id and
    department, and a liaison's co-organising agency (第三条)."""

    district: str = ""
    inspector_id: str = ""
    department: str = ""
    agency: str = ""


NOBODY = Person()
Finder = Callable[[Api, Person], list[Awaitable[Waiting]]]


async def _plans(api: Api, status: str, title: str) -> Waiting:
    plans = await api.get("/api/planning/plans", status=status)
    return Waiting(
        title,
        "/console/plans",
        [
            (
                f"{p.get('plan_no', '')} {p.get('plan_name', '')}",
                f"/console/plans/{p['plan_id']}",
                p.get("department", ""),
            )
            for p in plans["items"]
        ],
    )


async def _draws_in(api: Api, statuses: Iterable[str], title: str) -> Waiting:
    """The district's draws in one of ``statuses`` (one list, whatever the task's state)."""
    wanted = set(statuses)
    found = await api.get("/api/draws/draws")
    return Waiting(
        title,
        "/console/draws",
        [
            (
                f"{d['task_no']} {d['task_title']}",  # a summary: no manifest in a list
                f"/console/draws/{d['draw_id']}",
                d["status_label"],
            )
            for d in found["items"]
            if d["status"] in wanted
        ],
    )


async def _inspections(api: Api, status: str, title: str) -> Waiting:
    page = await api.get("/api/inspections/inspections", status=status, limit=200)
    return Waiting(
        title,
        "/console/inspections",
        [
            (
                f"{i['entity_name']}（{i['task_no']}）",
                f"/console/inspections/{i['inspection_id']}",
                f"期限 {i.get('deadline') or '—'}",
            )
            for i in page.get("items", [])
        ],
    )


async def _objections(api: Api, title: str) -> Waiting:
    page = await api.get("/api/objections/objections", status="pending", limit=200)
    return Waiting(
        title,
        "/console/objections",
        [
            (
                f"{o['uscc']} 对 {o['record_id'][:8]}…的异议",
                f"/console/objections/{o['objection_id']}",
                f"复查期限 {o.get('review_due_on') or '—'}",
            )
            for o in page.get("items", [])
        ],
    )


async def _corrections(api: Api) -> Waiting:
    """Objections reviewed as wrong whose correction the credit department has yet to ask
    for (第九条)."""
    page = await api.get("/api/objections/objections", status="corrected", limit=200)
    return Waiting(
        "更正待报请",
        "/console/objections",
        [
            (
                f"{o['uscc']} 的异议",
                f"/console/objections/{o['objection_id']}",
                f"期限 {o.get('correction_due_on') or '—'}",
            )
            for o in page.get("items", [])
            if o.get("awaiting_credit_department")
        ],
    )


async def _city_replies(api: Api) -> Waiting:
    """Corrections requested of the city bureau whose reply is yet to be recorded (第九条)."""
    page = await api.get("/api/objections/corrections", status="requested", limit=200)
    return Waiting(
        "更正报请待登记市局批复",
        "/console/corrections?status=requested",
        [
            (
                f"{r['request_no']}（{r['uscc']}）",
                f"/console/corrections/{r['request_id']}",
                f"报请于 {r['requested_on']}",
            )
            for r in page.get("items", [])
        ],
    )


async def _follow_ups(api: Api) -> Waiting:
    found = await api.get("/api/inspections/follow-ups", status="open")
    return Waiting(
        "后续处理待办理",
        "/console/follow-ups",
        [
            (
                f.get("entity_name") or f.get("uscc", ""),
                f"/console/follow-ups/{f['follow_up_id']}",
                "已逾期" if f.get("overdue") else "",
            )
            for f in found["items"]
        ],
    )


async def _joint_draws(api: Api) -> Waiting:
    """Neighbours' joint draws awaiting this bureau's share: its commitment, or its reveal
    once the drawing district has recorded every party's commitment."""
    found = await api.get("/api/draws/joint-draws")
    notes = {"commit": "待提交种子承诺", "reveal": "各方承诺已齐，待揭示种子"}
    return Waiting(
        "联合抽取（相邻区发起）待本局提交或揭示种子",
        "/console/joint-draws",
        [
            (
                f"{j['drawing_district']} {j['task_no']}",
                f"/console/joint-draws/{j['draw_id']}",
                notes[awaits],
            )
            for j in found["items"]
            if (awaits := joint_awaits(j))
        ],
    )


async def _report_due(api: Api, person: Person) -> Waiting:
    """The department's "counted as done" list of last month (第八条), while not submitted (a
    month with no object is reported too: 零报告)."""
    period = not_inspected.last_month(await today_of(api))
    draft = await api.get(
        "/api/inspections/not-inspected-reports/department-draft",
        department=person.department,
        **period.query(),
    )
    link = "/console/not-inspected-reports"
    label = f"{period.start} 至 {period.end}（{draft['total']} 个检查对象）"
    return Waiting(
        "上月视为完成抽查名单待报送（第八条）",
        link,
        [] if draft["current"] else [(label, link, person.department)],
    )


def _reports(api: Api, person: Person) -> list[Awaitable[Waiting]]:
    """A department reports its own list: only a token naming the department can."""
    return [_report_due(api, person)] if person.department else []


async def _exemptions(api: Api) -> Waiting:
    """Exemptions from accountability proposed, awaiting the director's meeting (第十三条)."""
    page = await api.get("/api/archives/exemptions", status="proposed")
    return Waiting(
        "免责申请待局长办公会决定",
        "/console/exemptions?status=proposed",
        [
            (
                f"{x['item'].get('kind_label', '')}（{x['department']}）",
                f"/console/exemptions/{x['exemption_id']}",
                f"申请于 {datetime_zh(x['proposed_at'])}",
            )
            for x in page.get("items", [])
        ],
    )


def _credit(api: Api, person: Person) -> list[Awaitable[Waiting]]:
    return [
        _plans(api, "signed", "年度计划待汇总"),
        _plans(api, "approved", "年度计划待报市局备案"),
        _plans(api, "filed", "年度计划待公示"),
        _draws_in(api, ["frozen", "committed"], "抽取待提交或揭示种子"),
        _draws_in(api, ["assigning"], "抽取待直接委派检查组（第六条）"),
        _joint_draws(api),
        _objections(api, "异议待复查"),
        _corrections(api),
        _city_replies(api),
        *_reports(api, person),
    ]


def _supervising(api: Api, person: Person) -> list[Awaitable[Waiting]]:
    return [
        _plans(api, "draft", "年度计划草稿（待报分管局长）"),
        _objections(api, "异议待复查"),
        _follow_ups(api),
        _inspections(api, "pending", "检查结果待录入"),
        *_reports(api, person),
    ]


async def _task_drafts(api: Api) -> Waiting:
    drafts = (await api.get("/api/planning/tasks", status="draft", limit=200))["items"]
    return Waiting(
        "实施方案待审批",
        "/console/tasks",
        [(f"{t['task_no']} {t['title']}", f"/console/tasks/{t['task_id']}", "") for t in drafts],
    )


def _deputy(api: Api, _: Person) -> list[Awaitable[Waiting]]:
    return [_plans(api, "submitted", "年度计划待签字"), _task_drafts(api)]


def _office(api: Api, _: Person) -> list[Awaitable[Waiting]]:
    return [
        _draws_in(api, ["frozen", "committed"], "抽取待提交或揭示种子"),
        _draws_in(api, ["drawn"], "抽取待监督会签"),
        _plans(api, "filed", "年度计划待公示"),
    ]


async def _agency_draws(api: Api, agency: str) -> Waiting:
    """第三条: the district's open draws awaiting the agency's share (its commitment, or its
    reveal once every party has committed); the liaison reads only those its agency is in."""
    party = agency_party(agency)
    listed = await api.get("/public/draws")
    items = []
    for summary in listed["items"]:
        if summary["status"] not in ("frozen", "committed"):
            continue
        try:
            draw = await api.get(f"/api/draws/draws/{summary['draw_id']}")
        except ApiError as exc:
            if exc.status != 403:  # 403: a draw without this agency
                raise
            continue
        if note := agency_awaits(draw, party):
            title = f"{draw['task_no']} {draw['manifest']['task']['title']}"
            items.append((title, f"/console/draws/{draw['draw_id']}", note))
    return Waiting("抽取待本单位提交或揭示种子（联合检查）", "/console/draws/keys", items)


def _liaison(api: Api, person: Person) -> list[Awaitable[Waiting]]:
    return [_agency_draws(api, person.agency)] if person.agency else []


def _meeting(api: Api, _: Person) -> list[Awaitable[Waiting]]:
    return [_plans(api, "consolidated", "年度计划待局长办公会批准"), _exemptions(api)]


async def _joint_inspections(api: Api, person: Person) -> Waiting:
    """A neighbour's joint inspections the person is on, where the next step is theirs: the
    leader's recording or submission, their signature (not one done here and on its way)."""
    page = await api.get("/api/inspections/joint-inspections", limit=200)
    return Waiting(
        "联合检查（相邻区抽取）待办理",
        "/console/joint-inspections",
        [
            (
                f"{j['entity_name']}（{j['drawing_district']} {j['task_no']}）",
                f"/console/joint-inspections/{j['inspection_id']}",
                joint_inspections.AWAITS[step],
            )
            for j in page.get("items", [])
            if (step := joint_inspections.awaits(j, person.district, person.inspector_id))
        ],
    )


def _field(api: Api, person: Person) -> list[Awaitable[Waiting]]:
    return [
        _inspections(api, "pending", "检查结果待录入（组长）"),
        _inspections(api, "recorded", "检查记录待签名"),
        _inspections(api, "signed", "检查记录待提交（组长）"),
        _joint_inspections(api, person),
    ]


def _station(api: Api, person: Person) -> list[Awaitable[Waiting]]:
    """A market supervision station inspects, and leads tasks whose list it reports."""
    return [*_field(api, person), *_reports(api, person)]


FINDERS: dict[str, Finder] = {
    "credit_dept": _credit,
    "supervising_dept": _supervising,
    "deputy_director": _deputy,
    "general_office": _office,
    "director_meeting": _meeting,
    "inspector": _field,
    "expert": _field,
    "station": _station,
    "agency_liaison": _liaison,
}


async def of(api: Api, roles: Iterable[str], person: Person = NOBODY) -> list[Waiting]:
    """Everything awaiting the person, by role; a list the person may not read is left out
    (the services decide), any other failure is not hidden as "nothing awaits you"."""
    found: list[Waiting] = []
    for role in sorted(roles):
        finder = FINDERS.get(role)
        steps = finder(api, person) if finder else []
        for n, step in enumerate(steps):
            try:
                found.append(await step)
            except ApiError as exc:
                if exc.status not in (403, 404):
                    _close(steps[n + 1 :])
                    raise
    return found


def _close(steps: Iterable[Awaitable[Waiting]]) -> None:
    """The role's steps not yet run, dropped without running (no "never awaited" warning)."""
    for step in steps:
        if isinstance(step, Coroutine):
            step.close()
