"""Statistics and accountability (第十三条) as tables and charts. Pure: the archives service's
answers in, rows and chart data out. Every chart has the same numbers as the table beside it.

A chart is a small neutral description (kind, categories, series) that
``static/js/statistics/charts.js`` turns into an ECharts option; the page carries it in a
``data-chart`` attribute (the CSP forbids inline scripts).
"""

from __future__ import annotations

import calendar as months
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from portal.domain import exemptions
from spotcheck_common.workdays import WorkCalendar

DUE_SOON_WORKDAYS = 5
TOP_INSPECTORS = 15
STATUS = {"overdue": "逾期未完成", "late": "逾期完成"}


@dataclass(frozen=True)
class Series:
    name: str
    data: list[float | int | None]


@dataclass(frozen=True)
class Chart:
    """``kind``: bar, stacked (stacked bars), line, pie; ``percent``: values are percentages."""

    kind: str
    title: str
    categories: list[str]
    series: list[Series] = field(default_factory=list)
    percent: bool = False

    def data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "categories": self.categories,
            "series": [{"name": s.name, "data": s.data} for s in self.series],
            "percent": self.percent,
        }


def percent(rate: float | None) -> float | None:
    """A rate (0..1) as a percentage with one decimal; None stays None (nothing to divide)."""
    return None if rate is None else round(rate * 100, 1)


def percent_text(rate: float | None) -> str:
    value = percent(rate)
    return "—" if value is None else f"{value:g}%"


def rates_chart(rows: Sequence[Mapping[str, Any]], name_key: str, title: str) -> Chart:
    return Chart(
        "bar",
        title,
        [str(r[name_key]) for r in rows],
        [
            Series("完成率", [percent(r.get("completion_rate")) for r in rows]),
            Series("公示率", [percent(r.get("publication_rate")) for r in rows]),
            Series("按时公示率", [percent(r.get("on_time_rate")) for r in rows]),
        ],
        percent=True,
    )


def categories_chart(results_by_category: Mapping[str, int]) -> Chart:
    names = sorted(results_by_category, key=lambda k: -results_by_category[k])
    return Chart(
        "pie", "检查结果分类", names, [Series("事项数", [results_by_category[n] for n in names])]
    )


def month_ends(year: int, as_of: date) -> list[date]:
    """The last day of each month of ``year`` up to ``as_of`` (``as_of`` itself ends the
    current month's point)."""
    if year > as_of.year:
        return []
    last_month = 12 if year < as_of.year else as_of.month
    ends = [date(year, m, months.monthrange(year, m)[1]) for m in range(1, last_month + 1)]
    return [min(d, as_of) for d in ends]


def totals(statistics: Mapping[str, Any]) -> dict[str, Any]:
    """The year's totals over all departments, and the rates they give (as the archives
    service defines them: completion = submitted / targets; publication = published /
    (formed − withheld))."""
    c: Counter[str] = Counter()
    for d in statistics.get("departments", []):
        for key in ("targets", "submitted", "results_formed", "results_published"):
            c[key] += int(d.get(key) or 0)
        c["results_withheld"] += int(d.get("results_withheld") or 0)
    publishable = c["results_formed"] - c["results_withheld"]
    return {
        **c,
        "completion_rate": c["submitted"] / c["targets"] if c["targets"] else None,
        "publication_rate": c["results_published"] / publishable if publishable else None,
    }


def trend(points: Sequence[tuple[date, Mapping[str, Any]]]) -> tuple[list[dict[str, Any]], Chart]:
    """The year month by month: rows of totals, and the line chart of the two rates."""
    rows = [{"as_of": day.isoformat(), "month": f"{day.month}月", **totals(s)} for day, s in points]
    chart = Chart(
        "line",
        "全年趋势（各月末累计）",
        [r["month"] for r in rows],
        [
            Series("完成率", [percent(r["completion_rate"]) for r in rows]),
            Series("公示率", [percent(r["publication_rate"]) for r in rows]),
        ],
        percent=True,
    )
    return rows, chart


def due_soon(due: str | None, today: date, days: WorkCalendar) -> bool:
    """Due today or within the next ``DUE_SOON_WORKDAYS`` working days."""
    if not due:
        return False
    day = date.fromisoformat(due)
    if day < today:
        return False
    left = days.elapsed(today, day)
    return left is not None and left <= DUE_SOON_WORKDAYS


def by_kind(
    kinds: Mapping[str, str], items: Iterable[Mapping[str, Any]], soon: Mapping[str, int]
) -> tuple[list[dict[str, Any]], Chart]:
    """Per kind of duty (第十三条): overdue (still not done) and late (done after the deadline),
    both 问责; exempted by the director's meeting (免责, counted apart); and due soon."""
    counts: Counter[tuple[str, str]] = Counter(
        (i["kind"], "exempt" if i.get("accountability") == "exempt" else i["status"]) for i in items
    )
    rows: list[dict[str, Any]] = [
        {
            "kind": kind,
            "label": label,
            "overdue": counts[(kind, "overdue")],
            "late": counts[(kind, "late")],
            "exempt": counts[(kind, "exempt")],
            "due_soon": soon.get(kind, 0),
        }
        for kind, label in kinds.items()
    ]
    chart = Chart(
        "stacked",
        "逾期与即将到期（按类别）",
        [r["label"] for r in rows],
        [
            Series("逾期未完成（问责）", [r["overdue"] for r in rows]),
            Series("逾期完成（问责）", [r["late"] for r in rows]),
            Series(f"{DUE_SOON_WORKDAYS} 个工作日内到期", [r["due_soon"] for r in rows]),
            Series("免责", [r["exempt"] for r in rows]),
        ],
    )
    return rows, chart


def inspector_rates(rows: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], Chart]:
    """Each inspector's completion and publication rates over the targets of their teams; the
    chart shows those with the lowest completion first (the ones to look at)."""
    people = sorted(
        ({**r, "label": f"{r.get('name') or ''} {r['inspector_id']}".strip()} for r in rows),
        key=lambda r: (percent(r.get("completion_rate")) or 0, r["inspector_id"]),
    )
    return people, rates_chart(people[:TOP_INSPECTORS], "label", "各检查人员完成率与公示率")


def inspectors(by_inspector: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], Chart]:
    """Inspectors with a duty overdue or done late, the most first."""
    rows = sorted(
        (dict(i) for i in by_inspector),
        key=lambda i: (-(i["overdue_total"] + i["late_total"]), str(i.get("inspector_id"))),
    )
    top = rows[:TOP_INSPECTORS]
    chart = Chart(
        "stacked",
        "检查人员逾期情况",
        [f"{i.get('name') or ''} {i.get('inspector_id') or ''}".strip() for i in top],
        [
            Series("逾期未完成", [i["overdue_total"] for i in top]),
            Series("逾期完成", [i["late_total"] for i in top]),
        ],
    )
    return rows, chart


def accountability_rows(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Who failed what, and when: overdue first, the longest first; each with its exemption's
    status (第十三条: 待局长办公会决定, 免责, 不予免责), if one was proposed."""
    rows = [
        {
            **i,
            "status_label": STATUS.get(str(i.get("status")), str(i.get("status"))),
            "exemption_label": exemptions.STATUSES.get(
                str((i.get("exemption") or {}).get("status")), ""
            ),
            "who": "、".join(
                str(m.get("name") or m.get("inspector_id")) for m in i.get("inspectors") or []
            ),
        }
        for i in items
    ]
    return sorted(rows, key=lambda r: (r["status"] != "overdue", -(r["overdue_workdays"] or 0)))
