"""The Grafana dashboards of spotcheck, as code: one list of panels (SECTIONS) written as two
dashboards into the chart's files/grafana/ (their one source; the JSON files beside this script
are links to them), which the chart ships as ConfigMaps for Grafana's dashboard sidecar
(templates/dashboards.yaml). What they show: docs/operations/dashboards.md.

- spotcheck-district.json: one district. Every query selects district="$district" (the
  spotcheck series) or namespace="spotcheck-$district" (the cluster's exporters); the chart
  replaces $district by the release's district and drops the variable.
- spotcheck-overview.json: every district, a multi-valued district variable, each panel broken
  down by district. The chart ships it in the regional release only.

Usage: dashboards.py            write both files
       dashboards.py --check    exit 1 if either differs from what this script writes
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
OUT = ROOT / "deploy" / "helm" / "spotcheck" / "files" / "grafana"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


@dataclass(frozen=True)
class Scope:
    """How one dashboard selects its districts: the matcher operator, and the extra grouping
    label and legend prefix of the regional breakdown."""

    op: str
    by: str = ""
    legend: str = ""

    def s(self, extra: str = "") -> str:
        """Selector of the spotcheck series (job, district) plus ``extra`` matchers."""
        return f'{{job="spotcheck", district{self.op}"$district"{extra}}}'

    def ns(self, extra: str = "") -> str:
        """Selector of the cluster exporters' series of the district's namespace."""
        return f'{{namespace{self.op}"spotcheck-$district"{extra}}}'

    def group(self, *labels: str) -> str:
        return ", ".join(([self.by] if self.by else []) + list(labels))

    def agg(self, op: str) -> str:
        """``op`` over the dashboard's whole scope: one value, or one per district."""
        return f"{op} by ({self.by}) " if self.by else op


DISTRICT = Scope("=")
REGIONAL = Scope("=~", "district", "{{district}} ")


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[tuple[str, str], ...]  # (expr, legend) for the scope
    kind: str = "timeseries"
    unit: str = "short"
    width: int = 8
    height: int = 8
    description: str = ""
    thresholds: tuple[tuple[float | None, str], ...] = ()


def ratio_by(sc: Scope, metric: str, by: str, extra: str = "") -> str:
    rate = f"rate({metric}{sc.s(extra)}[$__rate_interval])"
    return f"sum by ({sc.group(by)}) ({rate})"


def now(sc: Scope) -> list[Panel]:
    """The stat row: what needs attention at a glance (per district on the overview)."""
    stat: dict[str, Any] = {"kind": "stat", "width": 3, "height": 4}
    red_above_0 = ((None, "green"), (1, "red"))
    total, most, least = sc.agg("sum"), sc.agg("max"), sc.agg("min")

    def count_of(metric: str, *labels: str) -> str:
        return f"{total}(max by ({sc.group(*labels)}) ({metric}{sc.s()})) or vector(0)"

    return [
        Panel("Targets up", ((f"{total}(up{sc.s()})", f"{sc.legend}up"),), **stat),
        Panel("Targets down", ((f"{total}(1 - up{sc.s()})", f"{sc.legend}down"),),
              thresholds=red_above_0, **stat),
        Panel("Overdue items",
              ((count_of("spotcheck_overdue_items", "kind", "department"),
                f"{sc.legend}overdue"),), thresholds=red_above_0, **stat),
        Panel("Due soon",
              ((count_of("spotcheck_due_soon_items", "kind", "department"),
                f"{sc.legend}due soon"),),
              thresholds=((None, "green"), (1, "orange")), **stat),
        Panel("Dead letters",
              ((count_of("spotcheck_dead_letters", "service"), f"{sc.legend}dead"),),
              thresholds=red_above_0, **stat),
        Panel("Max consumer lag",
              ((f"{most}(spotcheck_consumer_lag{sc.s()})", f"{sc.legend}lag"),), **stat),
        Panel("Oldest outbox event",
              ((f"{most}(spotcheck_outbox_oldest_pending_seconds{sc.s()})",
                f"{sc.legend}age"),), unit="s",
              thresholds=((None, "green"), (60, "orange"), (300, "red")), **stat),
        Panel("Calendar days left",
              ((f"{least}(spotcheck_calendar_coverage_days{sc.s()})", f"{sc.legend}days"),),
              thresholds=((None, "red"), (32, "orange"), (62, "green")), **stat),
    ]  # fmt: skip


def slos(sc: Scope) -> list[Panel]:
    on = "on (job, district, component, slo)"
    legend = f"{sc.legend}{{{{component}}}} {{{{slo}}}}"

    def burn(window: str) -> str:
        return (f"spotcheck:slo_errors:ratio_rate{window}{sc.s()} / {on} "
                f"spotcheck:slo_budget:ratio{sc.s()}")  # fmt: skip

    return [
        Panel("Remaining error budget (3 days)", ((f"1 - ({burn('3d')})", legend),),
              kind="bargauge", unit="percentunit", width=12,
              description="1 - bad share over 3 days / error budget, per SLO and component: "
                          "below 0 the budget of the last 3 days is spent.",
              thresholds=((None, "red"), (0, "orange"), (0.5, "green"))),
        Panel("SLO attainment (3 days)",
              ((f"1 - spotcheck:slo_errors:ratio_rate3d{sc.s()}", legend),),
              kind="bargauge", unit="percentunit", width=12,
              description="Share of good events over 3 days, per SLO and component "
                          "(objectives: docs/operations/slos.md)."),
        Panel("Burn rate (1h): page above 14.4", ((burn("1h"), legend),), width=12,
              thresholds=((None, "green"), (6, "orange"), (14.4, "red"))),
        Panel("Burn rate (3d): ticket above 1", ((burn("3d"), legend),), width=12,
              thresholds=((None, "green"), (1, "red"))),
    ]  # fmt: skip


def deadlines(sc: Scope) -> list[Panel]:
    legend = f"{sc.legend}{{{{kind}}}} {{{{department}}}}"
    by = sc.group("kind", "department")
    return [
        Panel("Due soon by kind and department",
              ((f"max by ({by}) (spotcheck_due_soon_items{sc.s()})", legend),), width=12,
              description="Open items whose legal deadline falls within the next working days "
                          "(SpotcheckLegalDeadlineDueSoon)."),
        Panel("Overdue by kind and department",
              ((f"max by ({by}) (spotcheck_overdue_items{sc.s()})", legend),), width=12,
              description="Items past their legal deadline (SpotcheckLegalDeadlineMissed)."),
        Panel("Deadlines pending a calendar year",
              ((f"max by ({sc.group('source', 'kind')}) "
                f"(spotcheck_deadlines_pending_calendar{sc.s()})",
                f"{sc.legend}{{{{source}}}} {{{{kind}}}}"),), width=24, height=6),
    ]  # fmt: skip


def events(sc: Scope) -> list[Panel]:
    return [
        Panel("Consumer lag by group and topic",
              ((f"max by ({sc.group('group', 'topic')}) (spotcheck_consumer_lag{sc.s()})",
                f"{sc.legend}{{{{group}}}} {{{{topic}}}}"),), width=12),
        Panel("Dead letters by service",
              ((f"max by ({sc.group('service')}) (spotcheck_dead_letters{sc.s()})",
                f"{sc.legend}{{{{service}}}}"),), width=12,
              description="Events given up after their retry budget: spotcheck dead-letters "
                          "--replay once fixed (SpotcheckDeadLetters)."),
        Panel("Waiting events by service",
              ((f"max by ({sc.group('service')}) (spotcheck_waiting_events{sc.s()})",
                f"{sc.legend}{{{{service}}}}"),), width=12,
              description="Events received before what they depend on, and those of their "
                          "aggregate behind them (SpotcheckEventsWaiting)."),
        Panel("Oldest waiting event",
              ((f"max by ({sc.group('service')}) (spotcheck_waiting_oldest_seconds{sc.s()})",
                f"{sc.legend}{{{{service}}}}"),), unit="s", width=12),
        Panel("Event processing time p99 by consumer",
              ((f"histogram_quantile(0.99, sum by ({sc.group('le', 'consumer')}) "
                f"(rate(spotcheck_consumer_processing_seconds_bucket{sc.s()}[$__rate_interval])))",
                f"{sc.legend}{{{{consumer}}}}"),), unit="s", width=24,
              description="A handler's time for one event, its commit included."),
        Panel("Events consumed per second by outcome",
              ((ratio_by(sc, "spotcheck_events_consumed_total", "outcome"),
                f"{sc.legend}{{{{outcome}}}}"),), width=12),
        Panel("Events published per second by type",
              ((ratio_by(sc, "spotcheck_events_published_total", "event_type"),
                f"{sc.legend}{{{{event_type}}}}"),), width=12),
    ]  # fmt: skip


def outbox(sc: Scope) -> list[Panel]:
    legend = f"{sc.legend}{{{{service}}}}"
    by = sc.group("service")
    return [
        Panel("Pending outbox rows",
              ((f"max by ({by}) (spotcheck_outbox_pending{sc.s()})", legend),), width=6),
        Panel("Age of the oldest pending row",
              ((f"max by ({by}) (spotcheck_outbox_oldest_pending_seconds{sc.s()})", legend),),
              unit="s", width=6),
        Panel("Relay failures per second",
              ((ratio_by(sc, "spotcheck_outbox_relay_failures_total", "service"), legend),),
              width=6),
        Panel("Parked outbox rows",
              ((f"max by ({by}) (spotcheck_outbox_parked{sc.s()})", legend),), width=6,
              description="Events Kafka can never accept, set aside: spotcheck parked-events "
                          "--release once mended (SpotcheckOutboxParked)."),
    ]  # fmt: skip


def http(sc: Scope) -> list[Panel]:
    metric = "spotcheck_http_request_duration_seconds"
    legend = f"{sc.legend}{{{{component}}}}"
    p99 = (f"histogram_quantile(0.99, sum by ({sc.group('le', 'component')}) "
           f"(rate({metric}_bucket{sc.s()}[$__rate_interval])))")  # fmt: skip
    requests = ratio_by(sc, f"{metric}_count", "component")
    errors = ratio_by(sc, f"{metric}_count", "component", ', status=~"5.."')
    return [
        Panel("Requests per second", ((requests, legend),), unit="reqps", width=6),
        Panel("5xx ratio", ((f"{errors} / {requests}", legend),), unit="percentunit", width=6),
        Panel("Latency p99", ((p99, legend),), unit="s", width=6),
        Panel("401 answers per second",
              ((ratio_by(sc, f"{metric}_count", "component", ', status="401"'), legend),),
              unit="reqps", width=6),
    ]  # fmt: skip


def saturation(sc: Scope) -> list[Panel]:
    legend = f"{sc.legend}{{{{pod}}}}"
    by = sc.group("pod")
    containers = ', container!="", container!="POD"'
    each = "max by (namespace, pod, container)"
    memory = f"{each} (container_memory_working_set_bytes{sc.ns(containers)})"
    limits = sc.ns(', resource="memory"')
    limit = f"{each} (kube_pod_container_resource_limits{limits})"
    return [
        Panel("CPU by pod (cores)",
              ((f"sum by ({by}) (rate(process_cpu_seconds_total{sc.s()}[$__rate_interval]))",
                legend),), width=6),
        Panel("Resident memory by pod",
              ((f"max by ({by}) (process_resident_memory_bytes{sc.s()})", legend),),
              unit="bytes", width=6),
        Panel("Memory of its limit by container",
              ((f"{memory} / on (namespace, pod, container) {limit}",
                "{{namespace}} {{pod}}/{{container}}"),),
              unit="percentunit", width=6,
              description="Working set (cAdvisor) over the container's limit "
                          "(kube-state-metrics): OOM kills start at 100 %.",
              thresholds=((None, "green"), (0.8, "orange"), (0.95, "red"))),
        Panel("Requests per second by pod",
              ((ratio_by(sc, "spotcheck_http_request_duration_seconds_count", "pod"),
                legend),), unit="reqps", width=6),
        Panel("Targets by pod (1 up, 0 down)", ((f"up{sc.s()}", legend),), width=24,
              height=6),
    ]  # fmt: skip


SECTIONS = (
    ("Now", now),
    ("Service level objectives (docs/operations/slos.md)", slos),
    ("Legal deadlines", deadlines),
    ("Events: consumer lag and dead letters", events),
    ("Outbox (transactional outbox to Kafka)", outbox),
    ("HTTP", http),
    ("Saturation", saturation),
)


def panel_json(p: Panel, pid: int, x: int, y: int) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": p.unit}
    if p.thresholds:
        steps = [{"value": v, "color": c} for v, c in p.thresholds]
        defaults["thresholds"] = {"mode": "absolute", "steps": steps}
    return {
        "id": pid,
        "type": p.kind,
        "title": p.title,
        "description": p.description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": p.width, "h": p.height},
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}}
        if p.kind == "timeseries"
        else {},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": e, "legendFormat": lg}
            for i, (e, lg) in enumerate(p.queries)
        ],
    }


def panels(sc: Scope) -> list[dict[str, Any]]:
    """Each section a row, its panels flowing left to right on the 24-column grid."""
    out: list[dict[str, Any]] = []
    y = 0
    for title, make in SECTIONS:
        out.append({"id": len(out) + 1, "type": "row", "title": title, "collapsed": False,
                    "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []})  # fmt: skip
        y, x, line = y + 1, 0, 0
        for p in make(sc):
            if x + p.width > 24:
                y, x, line = y + line, 0, 0
            out.append(panel_json(p, len(out) + 1, x, y))
            x, line = x + p.width, max(line, p.height)
        y += line
    return out


def variables(sc: Scope) -> list[dict[str, Any]]:
    multi = sc is REGIONAL
    district = {
        "name": "district",
        "label": "District",
        "type": "query",
        "datasource": DATASOURCE,
        "definition": 'label_values(up{job="spotcheck"}, district)',
        "query": {"query": 'label_values(up{job="spotcheck"}, district)', "refId": "district"},
        "refresh": 2,
        "sort": 1,
        "multi": multi,
        "includeAll": multi,
        "hide": 0,
        "options": [],
        "current": {},
    }
    if multi:
        district["allValue"] = ".*"
    datasource = {"name": "datasource", "label": "Data source", "type": "datasource",
                  "query": "prometheus", "hide": 0, "current": {}, "options": []}  # fmt: skip
    return [datasource, district]


def dashboard(sc: Scope, uid: str, title: str, description: str) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["spotcheck"],
        "timezone": "browser",
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": variables(sc)},
        "panels": panels(sc),
    }


def outputs() -> dict[Path, str]:
    note = "docs/operations/dashboards.md; generated by infra/regional/grafana/dashboards.py."
    boards = {
        "spotcheck-district.json": dashboard(
            DISTRICT, "spotcheck-district", "spotcheck district",
            f"One district's spotcheck: SLOs and error budgets, legal deadlines, lag, dead "
            f"letters, outbox, HTTP, saturation. {note}"),
        "spotcheck-overview.json": dashboard(
            REGIONAL, "spotcheck-overview", "spotcheck overview",
            f"Every district's spotcheck side by side (the regional overview). {note}"),
    }  # fmt: skip
    return {OUT / n: json.dumps(d, indent=2, ensure_ascii=False) + "\n" for n, d in boards.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    files = outputs()
    if not args.check:
        OUT.mkdir(parents=True, exist_ok=True)
        for path, text in files.items():
            path.write_text(text)
        return 0
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    for path in stale:
        print(f"FAIL {path.relative_to(ROOT)} is not what dashboards.py writes: run it")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
