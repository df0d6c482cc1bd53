"""The service level objectives of every district's spotcheck, as code: one table (SLOS), from
which this script writes the recording rules and multi-window, multi-burn-rate alerts
(deploy/helm/spotcheck/files/prometheus/slo-rules.yaml, shipped by the chart) and their promtool
tests (slo_page_test.yaml, slo_ticket_test.yaml beside this file). What they mean:
docs/operations/slos.md.

Every SLO is a ratio of bad to all events per (district, component), over the windows the
Google SRE workbook's alerting needs: it pages when the error budget burns 14.4 times too fast
over 1h (and 5m) or 6 times over 6h (and 30m), and opens a ticket at 3 times over 1d (and 2h) or
once over 3d (and 6h). The short window makes an alert stop soon after the burning stops.

Usage: slos.py            write the three files
       slos.py --check    exit 1 if any of them differs from what this script writes
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
RULES = ROOT / "deploy" / "helm" / "spotcheck" / "files" / "prometheus" / "slo-rules.yaml"
PAGE_TEST = HERE / "slo_page_test.yaml"
TICKET_TEST = HERE / "slo_ticket_test.yaml"
DOCS = "https://spotcheck.example/docs/operations/deploy.md"
HTTP = "spotcheck_http_request_duration_seconds"
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


@dataclass(frozen=True)
class Burn:
    """One alerting pair: both windows' bad ratios above ``factor`` times the budget."""

    factor: float
    long: str
    short: str


# Severity -> the two pairs that raise it (the workbook's table), and how long they must hold.
BURNS = {
    "page": ((Burn(14.4, "1h", "5m"), Burn(6, "6h", "30m")), "2m"),
    "ticket": ((Burn(3, "1d", "2h"), Burn(1, "3d", "6h")), "15m"),
}


@dataclass(frozen=True)
class SLO:
    name: str  # the `slo` label, e.g. public-availability
    alert: str  # the alerts' name stem, e.g. SpotcheckPublicAvailability
    objective: float  # share of good events, e.g. 0.995
    kind: str  # availability | latency | outbox | consumer
    what: str  # for people: what a bad event is
    routes: str = ""  # route regex (HTTP SLOs)
    le: str = ""  # latency threshold, a histogram bucket bound as exposed (HTTP latency)

    @property
    def budget(self) -> float:
        return round(1 - self.objective, 6)

    @property
    def anchor(self) -> str:
        return f"slo-{self.name}"


# The objectives, in one place. Latency thresholds are bucket bounds of the HTTP histogram
# (prometheus_client's defaults: ... 0.1, 0.25, 0.5, 0.75, 1.0 ...).
SLOS = (
    SLO("public-availability", "SpotcheckPublicAvailability", 0.995, "availability",
        "a request to the public site (/public...) answered 5xx", routes="/public.*"),
    SLO("public-latency", "SpotcheckPublicLatency", 0.99, "latency",
        "a request to the public site (/public...) slower than 250 ms", routes="/public.*",
        le="0.25"),
    SLO("staff-availability", "SpotcheckStaffAvailability", 0.99, "availability",
        "a request to the staff APIs (/api/...) answered 5xx", routes="/api/.*"),
    SLO("staff-latency", "SpotcheckStaffLatency", 0.95, "latency",
        "a request to the staff APIs (/api/...) slower than 1 s", routes="/api/.*", le="1.0"),
    SLO("outbox-freshness", "SpotcheckOutboxFreshness", 0.99, "outbox",
        "a minute in which the oldest unrelayed outbox event is older than 60 s"),
    SLO("consumer-freshness", "SpotcheckConsumerFreshness", 0.99, "consumer",
        "a minute in which a consumer group of the component never caught up (lag > 0)"),
)  # fmt: skip


# ------------------------------------------------------------------------------- rules


def _http(slo: SLO, window: str, extra: str = "", suffix: str = "count") -> str:
    selector = f'job="spotcheck", route=~"{slo.routes}"{extra}'
    return f"sum by (job, district, component) (rate({HTTP}_{suffix}{{{selector}}}[{window}]))"


def bad_ratio(slo: SLO, window: str) -> str:
    """The share of bad events over ``window`` (0 when there were events and none was bad)."""
    if slo.kind == "availability":
        total, errors = _http(slo, window), _http(slo, window, ', status=~"5.."')
        return f"({errors} or 0 * {total})\n/\n{total}"
    if slo.kind == "latency":
        fast = _http(slo, window, f', le="{slo.le}"', "bucket")
        return f"1 - (\n  {fast}\n  /\n  {_http(slo, window)}\n)"
    minutes = f'spotcheck:slo_bad_minute:bool{{job="spotcheck", slo="{slo.name}"}}'
    return f"avg_over_time({minutes}[{window}])"


def bad_minute(slo: SLO) -> str:
    """1 when the current minute is bad for a freshness SLO, else 0."""
    if slo.kind == "outbox":
        gauge = 'spotcheck_outbox_oldest_pending_seconds{job="spotcheck"}'
        return f"max by (job, district, component) ({gauge}) > bool 60"
    lag = 'min_over_time(spotcheck_consumer_lag{job="spotcheck"}[1m])'
    return f"max by (job, district, component) ({lag}) > bool 0"


def ratio(slo: SLO, window: str) -> str:
    return f'spotcheck:slo_errors:ratio_rate{window}{{job="spotcheck", slo="{slo.name}"}}'


def burn_expr(slo: SLO, severity: str) -> str:
    pairs = []
    for burn in BURNS[severity][0]:
        limit = f"({burn.factor:g} * {slo.budget:g})"
        long, short = ratio(slo, burn.long), ratio(slo, burn.short)
        pairs.append(f"(\n  {long} > {limit}\n  and\n  {short} > {limit}\n)")
    return "\nor\n".join(pairs)


def alert(slo: SLO, severity: str) -> dict[str, Any]:
    (fast, slow), hold = BURNS[severity]
    speed = "fast" if severity == "page" else "steadily"
    return {
        "alert": f"{slo.alert}Burn{severity.capitalize()}",
        "expr": burn_expr(slo, severity),
        "for": hold,
        "labels": {"severity": severity, "slo": slo.name},
        "annotations": {
            "summary": (
                f"{{{{ $labels.district }}}}/{{{{ $labels.component }}}}: {slo.name} error "
                f"budget burning {speed}"
            ),
            "description": (
                f"Bad events ({slo.what}) of {{{{ $labels.component }}}} in "
                f"{{{{ $labels.district }}}} use up the error budget of {slo.name} (objective "
                f"{slo.objective:.1%}) {fast.factor:g} times too fast over {fast.long} and "
                f"{fast.short}, or {slow.factor:g} times over {slow.long} and {slow.short}."
            ),
            "runbook_url": f"{DOCS}#{slo.anchor}",
        },
    }


def group(slo: SLO) -> dict[str, Any]:
    # The budget as a series of every scraped component, so that dashboards divide by it
    # (burn rate = ratio / budget) instead of repeating the objectives.
    budget = f'0 * group by (job, district, component) (up{{job="spotcheck"}}) + {slo.budget:g}'
    rules: list[dict[str, Any]] = [
        {"record": "spotcheck:slo_budget:ratio", "expr": budget, "labels": {"slo": slo.name}}
    ]
    if slo.kind in ("outbox", "consumer"):
        rules.append(
            {
                "record": "spotcheck:slo_bad_minute:bool",
                "expr": bad_minute(slo),
                "labels": {"slo": slo.name},
            }
        )
    rules += [
        {
            "record": f"spotcheck:slo_errors:ratio_rate{w}",
            "expr": bad_ratio(slo, w),
            "labels": {"slo": slo.name},
        }
        for w in WINDOWS
    ]
    rules += [alert(slo, severity) for severity in BURNS]
    return {"name": f"spotcheck.slo.{slo.name}", "rules": rules}


# ------------------------------------------------------------------------------- tests


@dataclass(frozen=True)
class Segment:
    minutes: int
    bad: float  # share of bad events (or bad minutes) in it
    volume: int = 1  # traffic, relative


def _counter(segments: list[Segment], step: int, share: Callable[[Segment], float]) -> str:
    """promtool's expanding notation of a counter of 100 events a minute x volume, counting
    ``share(segment)`` of them."""
    parts, value = [], 0.0
    for i, seg in enumerate(segments):
        inc = round(100 * step * seg.volume * share(seg), 6)
        n = seg.minutes // step
        parts.append(f"{value + inc:g}+{inc:g}x{n - 1}" if i else f"0+{inc:g}x{n}")
        value += inc * n
    return " ".join(parts)


def _samples(segments: list[Segment], step: int, bad: float, good: float) -> str:
    """A gauge, ``bad`` on an evenly spread share of samples of each segment, else ``good``."""
    values = [good]
    for seg in segments:
        n = seg.minutes // step
        values += [bad if int((k + 1) * seg.bad) > int(k * seg.bad) else good for k in range(n)]
    return " ".join(f"{v:g}" for v in values)


LABELS = 'job="spotcheck", district="lingang", component="publication", pod="a"'


def input_series(slo: SLO, segments: list[Segment], step: int) -> dict[str, str]:
    route = "/public/results" if slo.routes.startswith("/public") else "/api/inspections"
    http = f'{LABELS}, method="GET", route="{route}", status'
    good: Callable[[Segment], float] = lambda seg: 1 - seg.bad  # noqa: E731
    if slo.kind == "availability":
        return {
            f'{HTTP}_count{{{http}="200"}}': _counter(segments, step, good),
            f'{HTTP}_count{{{http}="503"}}': _counter(segments, step, lambda seg: seg.bad),
        }
    if slo.kind == "latency":
        return {
            f'{HTTP}_count{{{http}="200"}}': _counter(segments, step, lambda seg: 1),
            f'{HTTP}_bucket{{{http}="200", le="{slo.le}"}}': _counter(segments, step, good),
        }
    if slo.kind == "outbox":
        name = f'spotcheck_outbox_oldest_pending_seconds{{{LABELS}, service="publication"}}'
        return {name: _samples(segments, step, 120, 0)}
    group = 'group="lingang.publication.inspections.result-submitted"'
    topic = 'topic="lingang.inspections.result-submitted.v1"'
    return {f"spotcheck_consumer_lag{{{LABELS}, {group}, {topic}}}": _samples(segments, step, 5, 0)}


def _case(slo: SLO, severity: str, title: str, segments: list[Segment], step: int,
          checks: list[tuple[int, bool]]) -> dict[str, Any]:  # fmt: skip
    name = f"{slo.alert}Burn{severity.capitalize()}"
    notes = {
        k: v.replace("{{ $labels.district }}", "lingang").replace(
            "{{ $labels.component }}", "publication"
        )
        for k, v in alert(slo, severity)["annotations"].items()
    }
    return {
        "name": f"{slo.name} {severity}: {title}",
        "interval": f"{step}m",
        "input_series": [
            {"series": name, "values": values}
            for name, values in input_series(slo, segments, step).items()
        ],
        "alert_rule_test": [
            {
                "eval_time": f"{minute}m",
                "alertname": name,
                "exp_alerts": [
                    {
                        "exp_labels": {
                            "severity": severity, "slo": slo.name, "job": "spotcheck",
                            "district": "lingang", "component": "publication",
                        },
                        "exp_annotations": notes,
                    }
                ]
                if fires
                else [],
            }
            for minute, fires in checks
        ],
    }  # fmt: skip


def page_cases(slo: SLO) -> Iterator[dict[str, Any]]:
    """Each page pair fires on its own, and stops once its short window is clean."""
    e = slo.budget
    cases = [
        ("1h/5m at 20x after 5h clean fires (6h stays under 6x)",
         [Segment(300, 0), Segment(60, min(1, 20 * e))], [(300, False), (360, True)]),
        ("1h/5m: 50 min at 25x then 10 clean: the 5m window stops it",
         [Segment(300, 0), Segment(50, min(1, 25 * e)), Segment(10, 0)],
         [(350, True), (360, False)]),
        ("6h/30m at 10x fires (1h stays under 14.4x)", [Segment(420, 10 * e)], [(420, True)]),
        ("6h/30m: 400 min at 10x then 40 clean: the 30m window stops it",
         [Segment(400, 10 * e), Segment(40, 0)], [(400, True), (440, False)]),
    ]  # fmt: skip
    for title, segments, checks in cases:
        yield _case(slo, "page", title, segments, 1, checks)
    yield budget_case(slo)


def budget_case(slo: SLO) -> dict[str, Any]:
    """The budget series: one per scraped component, whatever its traffic."""
    return {
        "name": f"{slo.name}: the budget of every scraped component",
        "interval": "1m",
        "input_series": [{"series": f"up{{{LABELS}}}", "values": "1x5"}],
        "promql_expr_test": [
            {
                "expr": f'spotcheck:slo_budget:ratio{{slo="{slo.name}"}}',
                "eval_time": "5m",
                "exp_samples": [
                    {
                        "labels": (
                            f'spotcheck:slo_budget:ratio{{job="spotcheck", district="lingang", '
                            f'component="publication", slo="{slo.name}"}}'
                        ),
                        "value": slo.budget,
                    }
                ],
            }
        ],
    }


def ticket_cases(slo: SLO) -> Iterator[dict[str, Any]]:
    """Each ticket pair fires, and stops once its short window is clean. For requests, pair
    1d/2h fires alone behind two busy clean days (3d stays under 1x); for minutes, which weigh
    the same, 1d above 3x implies 3d above 1x, so it fires with 3d/6h."""
    e = slo.budget
    if slo.kind in ("availability", "latency"):
        before, clean = [Segment(2880, 0, 10)], 150
        title = "1d/2h at 5x after two clean days of 10x traffic fires (3d stays under 1x)"
    else:  # the 6h window must be clean too
        before, clean, title = [], 420, "1d/2h at 5x fires"
    day = sum(s.minutes for s in before) + 1440
    cases = [
        (title, [*before, Segment(1440, 5 * e)], [(day, True)]),
        (f"1d/2h: a day at 5x then {clean} min clean: the 2h window stops it",
         [*before, Segment(1440, 5 * e), Segment(clean, 0)], [(day, True), (day + clean, False)]),
        ("3d/6h at 2x fires (1d stays under 3x)", [Segment(4320, 2 * e)], [(4320, True)]),
        ("3d/6h: 3 days at 2x then 7h clean: the 6h window stops it",
         [Segment(4320, 2 * e), Segment(420, 0)], [(4320, True), (4740, False)]),
    ]  # fmt: skip
    for case_title, segments, checks in cases:
        yield _case(slo, "ticket", case_title, segments, 5, checks)


# ------------------------------------------------------------------------------- output


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data: dict[str, Any], header: str) -> str:
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
    return header + body


def outputs() -> dict[Path, str]:
    note = "# Generated by infra/regional/prometheus/slos.py from its SLOS table: do not edit.\n"
    rules = {"groups": [group(slo) for slo in SLOS]}
    page = {
        "rule_files": ["slo-rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [case for slo in SLOS for case in page_cases(slo)],
    }
    ticket = {
        "rule_files": ["slo-rules.yaml"],
        "evaluation_interval": "5m",
        "tests": [case for slo in SLOS for case in ticket_cases(slo)],
    }
    return {
        RULES: dump(rules, note + "# What they mean: docs/operations/slos.md.\n"),
        PAGE_TEST: dump(page, note + "# promtool test rules slo_page_test.yaml\n"),
        TICKET_TEST: dump(
            ticket, note + "# promtool test rules slo_ticket_test.yaml (5-minute steps over days)\n"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    files = outputs()
    if not args.check:
        for path, text in files.items():
            path.write_text(text)
        return 0
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    for path in stale:
        print(f"FAIL {path.relative_to(ROOT)} is not what slos.py writes: run it")
    if not stale:
        print(f"ok   slos: {len(SLOS)} SLOs, rules and tests generated from the table")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
