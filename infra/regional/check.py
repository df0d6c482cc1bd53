"""Checks of the regional pieces (called by infra/helm/check.sh; promtool, when present, adds more).

- prometheus/rules.yaml and slo-rules.yaml (links to the chart's files/prometheus/): the
  structure Prometheus loads (groups, alert/record/expr/for/labels/annotations), the alerts the
  platform promises, metric names the services really expose (spotcheck_common.metrics) or the
  exporters the region runs (EXTERNAL_METRICS), severity page or ticket, an absolute
  runbook_url whose anchor exists in docs/operations/deploy.md, a promtool test for every
  alert; slo-rules.yaml and its tests as prometheus/slos.py writes them;
- grafana/spotcheck-overview.json: a loadable dashboard whose queries use known metrics and
  defined variables, with unique panel ids and a grid without overlaps;
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
}
EXTERNAL = re.compile(r"\b((?:kube|cnpg|kafka)_[a-z0-9_]+)\b")
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
    from prometheus_client.metrics import MetricWrapperBase

    from spotcheck_common import metrics

    names: set[str] = set()
    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_count", "_sum"]}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            names.update(value._name + s for s in suffixes[value._type])
    return names


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
        if metric not in EXTERNAL_METRICS
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


def check_dashboard(known: set[str]) -> list[str]:
    path = HERE / "grafana" / "spotcheck-overview.json"
    dash: dict[str, Any] = json.loads(path.read_text())
    problems = [
        f"dashboard: {key} missing"
        for key in ("uid", "title", "panels", "templating", "schemaVersion")
        if key not in dash
    ]
    variables = {v["name"] for v in dash.get("templating", {}).get("list", [])}
    ids: set[int] = set()
    cells: dict[tuple[int, int], int] = {}
    queries = 0
    for panel in dash.get("panels", []):
        pid = panel.get("id")
        if pid in ids:
            problems.append(f"dashboard: panel id {pid} repeated")
        ids.add(pid)
        problems += _grid_problems(panel, cells)
        if panel["type"] == "row":
            continue
        if not panel.get("targets"):
            problems.append(f"dashboard: panel {pid} ({panel.get('title')}) has no query")
        for target in panel.get("targets", []):
            queries += 1
            problems += _query_problems(pid, target.get("expr", ""), known, variables)
    if not problems:
        print(f"ok   dashboard: {len(ids)} panels, {queries} queries over known metrics")
    return problems


def _grid_problems(panel: dict[str, Any], cells: dict[tuple[int, int], int]) -> list[str]:
    """Within the 24-column grid, overlapping no panel seen before (marks its cells)."""
    pid, g = panel.get("id"), panel["gridPos"]
    problems = []
    if g["x"] + g["w"] > 24:
        problems.append(f"dashboard: panel {pid} wider than the grid")
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            if (x, y) in cells:
                return [*problems, f"dashboard: panel {pid} overlaps panel {cells[(x, y)]}"]
            cells[(x, y)] = pid
    return problems


def _query_problems(pid: Any, expr: str, known: set[str], variables: set[str]) -> list[str]:
    problems = [] if balanced(expr) else [f"dashboard: panel {pid}: unbalanced expr"]
    problems += [
        f"dashboard: panel {pid}: unknown metric {metric}"
        for metric in METRIC.findall(expr)
        if metric not in known
    ]
    problems += [
        f"dashboard: panel {pid}: undefined variable ${var}"
        for var in re.findall(r"\$\{?([a-z_]+)", expr)
        if not var.startswith("_") and var not in variables
    ]
    return problems


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
        problems += check_rules(known) + check_dashboard(known | {"up"}) + check_topics()
        problems += check_slos()
    for p in problems:
        print(f"FAIL {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
