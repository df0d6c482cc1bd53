"""Checks of the regional pieces (called by infra/helm/check.sh; promtool, when present, adds more).

- prometheus/rules.yaml and slo-rules.yaml (links to the chart's files/prometheus/): the
  structure Prometheus loads (groups, alert/record/expr/for/labels/annotations), the alerts the
  platform promises, metric names the services really expose (spotcheck_common.metrics) or the
  exporters the region runs (EXTERNAL_METRICS), severity page or ticket, an absolute
  runbook_url whose anchor exists in docs/operations/deploy.md, a promtool test for every
  alert; slo-rules.yaml and its tests as prometheus/slos.py writes them;
- grafana/*.json (links to the chart's files/grafana/, written by grafana/dashboards.py): the
  district dashboard and the regional overview, loadable, whose queries use known metrics (the
  services', the rule files' recorded series, EXTERNAL_METRICS) and defined variables, every
  selector scoped to $district (district label, or the namespace for the cluster's exporters),
  with unique panel ids and a grid without overlaps; and what dashboards.py writes;
- alertmanager/alertmanager.yaml: every listed district has its route to its own page and
  ticket receivers (amtool, in infra/helm/check.sh, tests the routing);
- deploy/regional/kafka/kafka-metrics.yaml: the JMX exporter's rules the Kafka's metricsConfig
  names turn its MBeans into exactly the kafka_* metrics the rules use;
- deploy/regional/kafka/topics.yaml and events.txt: every event type the code registers has its
  line, and every KafkaTopic is named <district>.<service>.<event>.v<N> for a listed district;
- districts.txt and the chart's values files (deploy/helm/values/<district>.yaml) agree: every
  values file's district is listed, every listed district has a values file, and the neighbour
  lists name listed districts only, never the district itself, and are symmetric (A names B
  exactly when B names A); no Secret name given in one district's values is another's.

Usage: check.py                 every check
       check.py districts [--values-dir DIR] [--districts FILE]   the districts check only
Prints one "ok" line per check; exits 1 with the problems listed otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VALUES_DIR = ROOT / "deploy" / "helm" / "values"
TOPICS = ROOT / "deploy" / "regional" / "kafka" / "topics.yaml"
# The name of the regional joint-draw traffic, not a district bureau (no values file).
REGION = "region"
DURATION = re.compile(r"^[0-9]+(ms|s|m|h|d|w|y)$")
METRIC = re.compile(r"\b(spotcheck_[a-z0-9_]+)\b")
RULE_FILES = ("rules.yaml", "slo-rules.yaml")
RULE_TESTS = ("rules_test.yaml", "slo_page_test.yaml", "slo_ticket_test.yaml")
RUNBOOKS = "https://spotcheck.example/docs/operations/deploy.md#"
# Metrics of exporters the region runs beside the services, which rules may use: kube-state-
# metrics (restarts, OOM kills), CloudNativePG's instance exporter, Strimzi's Kafka JMX
# exporter (its example kafka-metrics configuration).
EXTERNAL_METRICS = {
    "kube_pod_container_status_restarts_total",
    "kube_pod_container_status_last_terminated_reason",
    "cnpg_collector_up",
    "cnpg_pg_replication_lag",
    "kafka_server_replicamanager_underreplicatedpartitions",
    "kafka_controller_kafkacontroller_activecontrollercount",
    "kafka_controller_kafkacontroller_offlinepartitionscount",
    # Dashboards only: the kubelet's cAdvisor and kube-state-metrics (saturation).
    "container_memory_working_set_bytes",
    "kube_pod_container_resource_limits",
}
EXTERNAL = re.compile(r"\b((?:kube|cnpg|kafka|container|process)_[a-z0-9_]+)\b")
# Series the rule files record (spotcheck:<what>:<how>), which dashboards read.
RECORDED = re.compile(r"\b(spotcheck:[a-z0-9_:]+)")
PROMISED_ALERTS = {
    "SpotcheckOutboxBacklog",
    "SpotcheckOutboxStalled",
    "SpotcheckOutboxRelayFailures",
    "SpotcheckConsumerFailures",
    "SpotcheckHTTP5xxRatio",
    "SpotcheckTargetDown",
    "SpotcheckTargetsAbsent",
    "SpotcheckDistrictVanished",
    "SpotcheckLegalDeadlineMissed",
    "SpotcheckLegalDeadlineDueSoon",
    "SpotcheckPublicAvailabilityBurnPage",
    "SpotcheckStaffAvailabilityBurnPage",
}


def exposed_metrics() -> set[str]:
    """Sample names the services expose, from the shared metric definitions."""
    from prometheus_client import PROCESS_COLLECTOR
    from prometheus_client.metrics import MetricWrapperBase

    from spotcheck_common import metrics

    names: set[str] = set()
    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_count", "_sum"]}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            names.update(value._name + s for s in suffixes[value._type])
    # The client library's process collector, served with them on /metrics (CPU, memory).
    return names | {s.name for m in PROCESS_COLLECTOR.collect() for s in m.samples}


def rule_metrics() -> set[str]:
    """The exporters' metric names the rule files use."""
    return {
        metric
        for rule_file in RULE_FILES
        for group in yaml.safe_load((HERE / "prometheus" / rule_file).read_text())["groups"]
        for rule in group["rules"]
        for metric in EXTERNAL.findall(rule["expr"])
    }


def recorded_names() -> set[str]:
    return {
        rule["record"]
        for rule_file in RULE_FILES
        for group in yaml.safe_load((HERE / "prometheus" / rule_file).read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


def balanced(expr: str) -> bool:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    quoted = False
    for ch in expr:
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in "([{":
            stack.append(ch)
        elif ch in pairs and (not stack or stack.pop() != pairs[ch]):
            return False
    return not stack and not quoted


def doc_anchors() -> set[str]:
    doc = ROOT / "docs" / "operations" / "deploy.md"
    if not doc.exists():
        return set()
    anchors = set()
    for line in doc.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


RULE_KEYS = {"alert", "record", "expr", "for", "labels", "annotations"}


def check_rules(known: set[str]) -> list[str]:
    anchors = doc_anchors()
    problems: list[str] = []
    alerts: set[str] = set()
    groups: set[str] = set()
    for rule_file in RULE_FILES:
        data = yaml.safe_load((HERE / "prometheus" / rule_file).read_text())
        if set(data) != {"groups"}:
            return [f"{rule_file}: top level must be only 'groups', got {sorted(data)}"]
        for group in data["groups"]:
            name = group.get("name")
            if not name or name in groups:
                problems.append(f"{rule_file}: group name {name!r} missing or repeated")
            groups.add(name)
            if set(group) - {"name", "interval", "rules", "limit"}:
                problems.append(f"{rule_file}: group {name}: unknown keys {set(group)}")
            for rule in group.get("rules") or []:
                problems += _rule_problems(rule_file, rule, known, anchors, alerts)
    missing = PROMISED_ALERTS - alerts
    if missing:
        problems.append(f"rules.yaml: alerts missing: {sorted(missing)}")
    tested: set[str] = set()
    for test_file in RULE_TESTS:
        test = yaml.safe_load((HERE / "prometheus" / test_file).read_text())
        tested |= {
            t["alertname"] for case in test["tests"] for t in case.get("alert_rule_test", [])
        }
    if alerts - tested:
        problems.append(f"{RULE_TESTS}: alerts without a test: {sorted(alerts - tested)}")
    if not problems:
        print(
            f"ok   rules: {len(alerts)} alerts in {len(groups)} groups, metrics and runbooks known"
        )
    return problems


def _rule_problems(
    rule_file: str, rule: dict[str, Any], known: set[str], anchors: set[str], alerts: set[str]
) -> list[str]:
    """One rule: known keys, a balanced expression over exposed metrics; an alert also a
    unique name, a valid ``for``, a severity and annotations whose runbook_url exists."""
    alert = rule.get("alert")
    where = f"{rule_file}: {alert or rule.get('record')}"
    problems = []
    if set(rule) - RULE_KEYS:
        problems.append(f"{where}: unknown keys {sorted(rule)}")
    expr = rule.get("expr")
    if not isinstance(expr, str) or not expr.strip() or not balanced(expr):
        return [*problems, f"{where}: expr missing or unbalanced"]
    problems += [
        f"{where}: metric {metric} is not exposed by the services"
        for metric in METRIC.findall(expr)
        if metric not in known
    ]
    problems += [
        f"{where}: metric {metric} is not one of the exporters' (EXTERNAL_METRICS)"
        for metric in EXTERNAL.findall(expr)
        if metric not in EXTERNAL_METRICS | known
    ]
    if not alert:
        return problems
    if alert in alerts:
        problems.append(f"{where}: alert defined twice")
    alerts.add(alert)
    if "for" in rule and not DURATION.match(str(rule["for"])):
        problems.append(f"{where}: bad 'for' {rule['for']!r}")
    if rule.get("labels", {}).get("severity") not in {"page", "ticket"}:
        problems.append(f"{where}: severity must be page or ticket")
    notes = rule.get("annotations", {})
    problems += [
        f"{where}: annotation {k} missing"
        for k in ("summary", "description", "runbook_url")
        if not notes.get(k)
    ]
    url = str(notes.get("runbook_url", ""))
    if url and not url.startswith(RUNBOOKS):
        problems.append(f"{where}: runbook_url must start with {RUNBOOKS}")
    elif url.removeprefix(RUNBOOKS) not in anchors:
        problems.append(
            f"{where}: runbook anchor #{url.partition('#')[2]} not in docs/operations/deploy.md"
        )
    return problems


def check_slos() -> list[str]:
    """The generated SLO rules and tests are what slos.py writes from its table today."""
    sys.path.insert(0, str(HERE / "prometheus"))
    import slos

    stale = [
        f"{path.relative_to(ROOT)} is not what prometheus/slos.py writes: run it"
        for path, text in slos.outputs().items()
        if not path.exists() or path.read_text() != text
    ]
    if not stale:
        print(f"ok   slos: {len(slos.SLOS)} SLOs; their rules and tests are what slos.py writes")
    return stale


# Each dashboard's scope: how every selector must name its district(s) (dashboards.py).
DASHBOARD_SCOPES = {"spotcheck-district.json": "=", "spotcheck-overview.json": "=~"}
SELECTOR = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}")


def check_dashboards(known: set[str]) -> list[str]:
    """Every dashboard of grafana/ (links to the chart's files/grafana/): loadable, known
    metrics and variables, a grid without overlaps, each selector scoped to $district; and
    what grafana/dashboards.py writes."""
    sys.path.insert(0, str(HERE / "grafana"))
    import dashboards

    problems = [
        f"{path.relative_to(ROOT)} is not what grafana/dashboards.py writes: run it"
        for path, text in dashboards.outputs().items()
        if not path.exists() or path.read_text() != text
    ]
    paths = sorted((HERE / "grafana").glob("*.json"))
    if {p.name for p in paths} != set(DASHBOARD_SCOPES):
        problems.append(f"grafana/: dashboards {[p.name for p in paths]}, want {DASHBOARD_SCOPES}")
    summary = []
    for path in paths:
        found, panels, queries = _dashboard_problems(path, known)
        problems += found
        summary.append(f"{path.stem} {panels} panels/{queries} queries")
    if not problems:
        print(f"ok   dashboards: {', '.join(summary)} over known metrics, scoped to $district")
    return problems


def _dashboard_problems(path: Path, known: set[str]) -> tuple[list[str], int, int]:
    name = path.stem
    dash: dict[str, Any] = json.loads(path.read_text())
    problems = [
        f"{name}: {key} missing"
        for key in ("uid", "title", "panels", "templating", "schemaVersion")
        if key not in dash
    ]
    variables = {v["name"] for v in dash.get("templating", {}).get("list", [])}
    scope = DASHBOARD_SCOPES.get(path.name, "=")
    ids: set[int] = set()
    cells: dict[tuple[int, int], int] = {}
    queries = 0
    for panel in dash.get("panels", []):
        pid = panel.get("id")
        if pid in ids:
            problems.append(f"{name}: panel id {pid} repeated")
        ids.add(pid)
        problems += [f"{name}: {p}" for p in _grid_problems(panel, cells)]
        if panel["type"] == "row":
            continue
        if not panel.get("targets"):
            problems.append(f"{name}: panel {pid} ({panel.get('title')}) has no query")
        for target in panel.get("targets", []):
            queries += 1
            expr = target.get("expr", "")
            found = _query_problems(pid, expr, known, variables) + _scope_problems(pid, expr, scope)
            problems += [f"{name}: {p}" for p in found]
    return problems, len(ids), queries


def _grid_problems(panel: dict[str, Any], cells: dict[tuple[int, int], int]) -> list[str]:
    """Within the 24-column grid, overlapping no panel seen before (marks its cells)."""
    pid, g = panel.get("id"), panel["gridPos"]
    problems = []
    if g["x"] + g["w"] > 24:
        problems.append(f"panel {pid} wider than the grid")
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            if (x, y) in cells:
                return [*problems, f"panel {pid} overlaps panel {cells[(x, y)]}"]
            cells[(x, y)] = pid
    return problems


def _query_problems(pid: Any, expr: str, known: set[str], variables: set[str]) -> list[str]:
    problems = [] if balanced(expr) else [f"panel {pid}: unbalanced expr"]
    names = METRIC.findall(expr) + RECORDED.findall(expr) + EXTERNAL.findall(expr)
    problems += [f"panel {pid}: unknown metric {m}" for m in names if m not in known]
    problems += [
        f"panel {pid}: undefined variable ${var}"
        for var in re.findall(r"\$\{?([a-z_]+)", expr)
        if not var.startswith("_") and var not in variables
    ]
    return problems


def _scope_problems(pid: Any, expr: str, op: str) -> list[str]:
    """Every selector names the dashboard's district(s): the spotcheck series by their
    district label, the cluster exporters' (kube-state-metrics, cAdvisor) by namespace."""
    problems = []
    for metric, matchers in SELECTOR.findall(expr):
        cluster = EXTERNAL.fullmatch(metric) and not metric.startswith("process_")
        want = f'namespace{op}"spotcheck-$district"' if cluster else f'district{op}"$district"'
        if want not in matchers:
            problems.append(f"panel {pid}: {metric}{{{matchers}}} does not select {want}")
    return problems


def check_alertmanager() -> list[str]:
    """alertmanager/alertmanager.yaml routes every listed district (district="<d>") to its own
    receivers, a page child to another; receivers exist (amtool tests the routing itself)."""
    config = yaml.safe_load((HERE / "alertmanager" / "alertmanager.yaml").read_text())
    receivers = {r["name"] for r in config["receivers"]}
    routes = {tuple(r.get("matchers", [])): r for r in config["route"].get("routes", [])}
    problems: list[str] = []
    owners: dict[str, str] = {}
    for district in (d for d in listed(HERE / "districts.txt") if d != REGION):
        route = routes.get((f'district="{district}"',))
        if not route:
            problems.append(f"alertmanager.yaml: no route for district {district}")
            continue
        pages = [
            c["receiver"]
            for c in route.get("routes", [])
            if c.get("matchers") == ['severity="page"']
        ]
        own = {route["receiver"], *pages}
        if len(pages) != 1 or len(own) != 2:
            problems.append(
                f"alertmanager.yaml: {district} needs a ticket and a separate page receiver"
            )
        for receiver in own:
            if receiver in owners:
                problems.append(
                    f"alertmanager.yaml: {receiver} of {district} is {owners[receiver]}'s too"
                )
            owners[receiver] = district
    used = {config["route"]["receiver"]} | _receivers_of(config["route"])
    problems += [
        f"alertmanager.yaml: receiver {r} is not defined" for r in sorted(used - receivers)
    ]
    if not problems:
        print(
            f"ok   alertmanager: {len(owners) // 2} districts, each routed to its own page and "
            "ticket receivers"
        )
    return problems


def _receivers_of(route: dict[str, Any]) -> set[str]:
    children = route.get("routes", [])
    return {c["receiver"] for c in children if "receiver" in c}.union(*map(_receivers_of, children))


KAFKA = ROOT / "deploy" / "regional" / "kafka"


def check_kafka_metrics(used: set[str]) -> list[str]:
    """The Kafka's metricsConfig names the JMX exporter ConfigMap of kafka-metrics.yaml, whose
    rules turn its MBeans into exactly the kafka_* metrics the rules use."""
    kafka = next(d for d in yaml.safe_load_all((KAFKA / "kafka.yaml").read_text()) if d)
    ref = kafka["spec"]["kafka"].get("metricsConfig", {}).get("valueFrom", {})
    ref = ref.get("configMapKeyRef", {})
    maps = [d for d in yaml.safe_load_all((KAFKA / "kafka-metrics.yaml").read_text()) if d]
    data: dict[str, str] = next(
        (m["data"] for m in maps if m["metadata"]["name"] == ref.get("name")), {}
    )
    if ref.get("key") not in data:
        return [f"kafka.yaml: metricsConfig {ref} is not a ConfigMap key of kafka-metrics.yaml"]
    config = yaml.safe_load(data[ref["key"]])
    produced = {_exported_name(config, mbean) for mbean in config["includeObjectNames"]}
    wanted = {m for m in used if m.startswith("kafka_")}
    if produced != wanted:
        exported = sorted(str(name) for name in produced)
        return [f"kafka-metrics.yaml: exports {exported}, the rules use {sorted(wanted)}"]
    print(f"ok   kafka metrics: the JMX exporter exports the {len(wanted)} metrics of the alerts")
    return []


def _exported_name(config: dict[str, Any], object_name: str) -> str | None:
    """The name the JMX exporter gives the Value of an MBean (domain:key=value,...): the first
    rule whose pattern matches `domain<key=value, ...><>Value`, with $n replaced."""
    domain, _, keys = object_name.partition(":")
    bean = f"{domain}<{keys.replace(',', ', ')}><>Value"
    for rule in config.get("rules", []):
        match = re.fullmatch(rule["pattern"], bean)
        if match:
            name = match.expand(re.sub(r"\$(\d+)", r"\\\1", rule["name"]))
            return name.lower() if config.get("lowercaseOutputName") else name
    return None


def listed(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].split() for line in path.read_text().splitlines())
    return [parts[0] for parts in lines if parts]


def check_topics() -> list[str]:
    problems: list[str] = []
    events = listed(HERE / "events.txt")
    districts = listed(HERE / "districts.txt")
    versioned = {e if re.search(r"\.v[0-9]+$", e) else f"{e}.v1" for e in events}
    from spotcheck_common.events import registered_events

    in_code = {f"{cls.event_type()}.v{cls.version}" for cls in registered_events()}
    for missing in sorted(in_code - versioned):
        problems.append(
            f"events.txt: {missing} is published by the code but has no topic: add the line "
            f"'{missing.removesuffix('.v1')}' and run infra/regional/topics.sh yaml"
        )
    stale = sorted(versioned - in_code)
    if stale:
        print(f"note topics: listed but not (yet) in spotcheck_common.events: {stale}")
    docs = [d for d in yaml.safe_load_all(TOPICS.read_text()) if d]
    names = [d["spec"]["topicName"] for d in docs]
    expected = {f"{d}.{e}" for d in districts for e in versioned}
    if set(names) != expected or len(names) != len(expected):
        problems.append("kafka/topics.yaml does not hold exactly districts x events")
    for doc in docs:
        topic = doc["spec"]["topicName"]
        if doc["kind"] != "KafkaTopic" or doc["metadata"]["name"] != topic:
            problems.append(f"kafka/topics.yaml: {topic}: kind/name mismatch")
        if doc["spec"]["replicas"] < 1 or doc["spec"]["partitions"] < 1:
            problems.append(f"kafka/topics.yaml: {topic}: partitions/replicas below 1")
        if doc["metadata"]["labels"]["spotcheck.io/district"] != topic.split(".")[0]:
            problems.append(f"kafka/topics.yaml: {topic}: district label mismatch")
    if not problems:
        print(
            f"ok   topics: {len(names)} KafkaTopics = {len(districts)} districts x "
            f"{len(versioned)} events; every event type in the code has its topic"
        )
    return problems


def check_districts(values_dir: Path, districts_file: Path) -> list[str]:
    """The district list, the values files and their neighbour lists agree."""
    listed_names = [d for d in listed(districts_file) if d != REGION]
    values = {
        path.stem: yaml.safe_load(path.read_text()) or {} for path in values_dir.glob("*.yaml")
    }
    problems = [
        f"{values_dir.name}/{name}.yaml: district is {v.get('district')!r}, not {name!r}"
        for name, v in values.items()
        if v.get("district") != name
    ]
    problems += [
        f"{name}: has a values file but is not listed in {districts_file.name}"
        for name in sorted(values.keys() - set(listed_names))
    ]
    problems += [
        f"{name}: listed in {districts_file.name} but has no values file {name}.yaml"
        for name in sorted(set(listed_names) - values.keys())
    ]
    neighbours = {name: v.get("neighbours") or [] for name, v in values.items()}
    problems += _neighbour_problems(neighbours, set(listed_names))
    problems += _shared_secret_problems(values)
    if not problems:
        pairs = sum(len(n) for n in neighbours.values()) // 2
        print(
            f"ok   districts: {len(values)} values files = {len(listed_names)} listed districts; "
            f"{pairs} neighbour pairs, symmetric; no Secret name shared"
        )
    return problems


def _neighbour_problems(neighbours: dict[str, list[str]], districts: set[str]) -> list[str]:
    problems = []
    for name, theirs in sorted(neighbours.items()):
        for other in theirs:
            if other == name:
                problems.append(f"{name}: names itself as a neighbour")
            elif other not in districts:
                problems.append(f"{name}: neighbour {other!r} is not a listed district")
            elif name not in neighbours.get(other, []):
                problems.append(
                    f"{name}: names {other} as a neighbour but {other} does not name {name} "
                    f"(add {name} to {other}'s neighbours, or remove {other})"
                )
    return problems


# Values that name a Secret (the chart defaults them from the district when empty).
SECRET_PATHS = (
    ("database", "owner", "secretName"),
    ("database", "ca", "secretName"),
    ("database", "urlSecret", "secretName"),
    ("kafka", "password", "secretName"),
    ("kafka", "ca", "secretName"),
    ("sso", "clientSecret", "secretName"),
)


def _given_secrets(values: dict[str, Any]) -> set[str]:
    names = set((values.get("database") or {}).get("secretNames", {}).values())
    names |= {t.get("secretName") for t in (values.get("ingress") or {}).get("tls", [])}
    for path in SECRET_PATHS:
        node: Any = values
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        names.add(node)
    return {n for n in names if n}


def _shared_secret_problems(values: dict[str, dict[str, Any]]) -> list[str]:
    owners: dict[str, list[str]] = {}
    for name, v in sorted(values.items()):
        for secret in _given_secrets(v):
            owners.setdefault(secret, []).append(name)
    return [
        f"Secret {secret} is given by {' and '.join(names)}: each district needs its own"
        for secret, names in sorted(owners.items())
        if len(names) > 1
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="?", choices=["districts"])
    parser.add_argument("--values-dir", type=Path, default=VALUES_DIR)
    parser.add_argument("--districts", type=Path, default=HERE / "districts.txt")
    args = parser.parse_args(argv)
    problems = check_districts(args.values_dir, args.districts)
    if not args.only:
        known = exposed_metrics()
        problems += check_rules(known) + check_kafka_metrics(rule_metrics())
        problems += check_dashboards(known | recorded_names() | EXTERNAL_METRICS | {"up"})
        problems += check_topics() + check_alertmanager()
        problems += check_slos()
    for p in problems:
        print(f"FAIL {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
