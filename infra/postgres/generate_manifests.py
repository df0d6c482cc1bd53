"""Writes deploy/postgres/<district>.yaml (CloudNativePG Cluster, Pooler, ScheduledBackup and the
NetworkPolicies of their pods) for every district of deploy/helm/values/, from
deploy/postgres/template.yaml, sizing PostgreSQL and PgBouncer from the chart's replicas and the
services' connection pools, and opening the network as the values' `networkPolicy` and
`postgres.networkPolicy` say (an empty CIDR list is refused: the database would not work).

    python infra/postgres/generate_manifests.py           write the files
    python infra/postgres/generate_manifests.py --check   exit 1 when a committed file differs
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import yaml

from spotcheck_common.db import MAX_OVERFLOW, POOL_SIZE

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "deploy" / "postgres"
CHART_VALUES = ROOT / "deploy" / "helm" / "spotcheck" / "values.yaml"
DISTRICT_VALUES = ROOT / "deploy" / "helm" / "values"
SERVICES = ("registry", "planning", "draws", "inspections", "publication", "objections", "archives")
# The chart's Deployments roll with maxSurge 1: one extra pod per service during an update.
SURGE = 1
# Connections beyond the services': superuser_reserved_connections (3), CloudNativePG's
# instance manager and metrics exporter, PgBouncer's auth_query, an operator's psql.
RESERVED = 20


@dataclass(frozen=True)
class Demand:
    service: str
    pods: int  # at most, during a rolling update at the autoscaler's maximum
    how: str

    @property
    def connections(self) -> int:
        return self.pods * (POOL_SIZE + MAX_OVERFLOW)


def demands(values: dict[str, Any]) -> list[Demand]:
    found = []
    for service in SERVICES:
        c = values[service]
        if not c.get("enabled", True):
            found.append(Demand(service, 0, "disabled"))
            continue
        scaling = c.get("autoscaling") or {}
        peak, how = (
            (scaling["maxReplicas"], "autoscaling.maxReplicas")
            if scaling.get("enabled")
            else (c["replicas"], "replicas")
        )
        found.append(Demand(service, peak + SURGE, f"{how} {peak} + surge {SURGE}"))
    return found


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of a values file over the chart's defaults (maps deep, the rest replaced)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = merged(base[key], value)
        else:
            out[key] = value
    return out


def sizing_comment(found: list[Demand], max_connections: int) -> str:
    per = POOL_SIZE + MAX_OVERFLOW
    lines = [
        f"# a service pod opens at most pool_size {POOL_SIZE} + max_overflow {MAX_OVERFLOW} = "
        f"{per} (spotcheck_common/db.py)"
    ]
    lines += [
        f"#   {d.service:<12} {d.pods:>2} pods ({d.how}) x {per} = {d.connections}" for d in found
    ]
    total = sum(d.connections for d in found)
    lines += [
        f"#   all services {total}; PostgreSQL max_connections = {total} + {RESERVED} reserved "
        f"= {max_connections}",
        "#   (whichever PgBouncer instance a client reaches, server connections never exceed",
        "#   client connections, so the cluster sees at most the services' total)",
    ]
    return "\n".join(lines)


def role(d: Demand) -> str:
    return f"""      - name: spotcheck_{d.service}
        ensure: present
        comment: runtime role of the {d.service} service (its own schema only)
        login: true
        superuser: false
        createdb: false
        createrole: false
        inherit: false
        connectionLimit: {d.connections}
        passwordSecret:
          name: spotcheck-${{district}}-db-{d.service}"""


class ValuesError(ValueError):
    """Values from which the database could not work."""


# postgres.networkPolicy.<key>: what it is, and what the database loses without it.
EXTERNAL = {
    "apiServer": (
        "The Kubernetes API server",
        "the instances, their bootstrap jobs and PgBouncer could not reach the Kubernetes API "
        "server, so the database would never start",
    ),
    "objectStore": (
        "The object store",
        "the instances could not archive WAL nor take base backups",
    ),
}


def cidrs(key: str, rule: dict[str, Any]) -> list[str]:
    """The rule's CIDRs, refused when empty or not a network address."""
    found = rule.get("cidrs") or []
    if not found:
        raise ValuesError(f"postgres.networkPolicy.{key}.cidrs is empty: {EXTERNAL[key][1]}")
    for cidr in found:
        try:
            ipaddress.ip_network(cidr)
        except ValueError as e:
            raise ValuesError(f"postgres.networkPolicy.{key}.cidrs: {e}") from None
    if not rule.get("ports"):
        raise ValuesError(f"postgres.networkPolicy.{key}.ports is empty: {EXTERNAL[key][1]}")
    return list(found)


class _Dumper(yaml.SafeDumper):
    """Indents a list under its key, as the template does."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def fragment(obj: Any, indent: int) -> str:
    """``obj`` as block YAML, indented to sit at column ``indent`` of the template."""
    text = yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False).rstrip("\n")
    return textwrap.indent(text, " " * indent)


def peer(selectors: dict[str, Any]) -> dict[str, Any]:
    """A NetworkPolicyPeer of another namespace's pods, from the values' two selectors."""
    return {
        "namespaceSelector": selectors["namespaceSelector"],
        "podSelector": selectors["podSelector"],
    }


def egress(comment: str, to: list[dict[str, Any]], ports: list[tuple[int, str]]) -> str:
    rule = {"to": to, "ports": [{"port": p, "protocol": proto} for p, proto in ports]}
    return f"    # {comment}\n" + fragment([rule], 4)


def network(values: dict[str, Any]) -> dict[str, str]:
    """The template's network fragments, from the chart's `networkPolicy` (DNS, Prometheus)
    and `postgres.networkPolicy` (operator, API server, object store)."""
    chart = values["networkPolicy"]
    pg = values.get("postgres", {}).get("networkPolicy", {})
    external = {key: cidrs(key, pg.get(key, {})) for key in EXTERNAL}
    ip_rule = {
        key: egress(
            f"{EXTERNAL[key][0]} (postgres.networkPolicy.{key})",
            [{"ipBlock": {"cidr": c}} for c in external[key]],
            [(p, "TCP") for p in pg[key]["ports"]],
        )
        for key in EXTERNAL
    }
    return {
        "dns_rule": egress(
            "DNS (networkPolicy.dns)", [peer(chart["dns"])], [(53, "UDP"), (53, "TCP")]
        ),
        "operator_peer": fragment([peer(pg["operator"])], 8),
        "monitoring_peer": fragment([peer(chart["monitoring"])], 8),
        "api_server_rule": ip_rule["apiServer"],
        "object_store_rule": ip_rule["objectStore"],
        "services_selector": fragment(services_selector(values), 12),
    }


def services_selector(values: dict[str, Any]) -> dict[str, Any]:
    """The chart's pod labels of the services that log in to PostgreSQL (not the portal)."""
    return {
        "matchLabels": {"app.kubernetes.io/name": values.get("nameOverride") or "spotcheck"},
        "matchExpressions": [
            {
                "key": "app.kubernetes.io/component",
                "operator": "In",
                "values": [s for s in SERVICES if values[s].get("enabled", True)],
            }
        ],
    }


def render(district: str, values: dict[str, Any]) -> str:
    found = demands(values)
    total = sum(d.connections for d in found)
    cluster = f"spotcheck-{district}-pg"
    roles = Template("\n".join(role(d) for d in found)).substitute(district=district)
    return Template((OUT / "template.yaml").read_text()).substitute(
        district=district,
        namespace=f"spotcheck-{district}",
        cluster=cluster,
        pooler=f"{cluster}-pooler",
        sizing=sizing_comment(found, total + RESERVED),
        service_roles=roles,
        max_connections=total + RESERVED,
        default_pool_size=max(d.connections for d in found),
        max_client_conn=total,
        **network(values),
    )


def district_values() -> dict[Path, dict[str, Any]]:
    """Each district's values file → the chart's values as Helm merges them for it."""
    chart = yaml.safe_load(CHART_VALUES.read_text())
    return {
        path: merged(chart, yaml.safe_load(path.read_text()))
        for path in sorted(DISTRICT_VALUES.glob("*.yaml"))
    }


def expected() -> dict[Path, str]:
    files = {}
    for path, values in district_values().items():
        try:
            files[OUT / f"{values['district']}.yaml"] = render(values["district"], values)
        except ValuesError as e:
            raise SystemExit(f"FAIL {path.relative_to(ROOT)}: {e}") from None
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args()
    files = expected()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    strays = set(OUT.glob("*.yaml")) - set(files) - {OUT / "template.yaml"}
    if args.check:
        for p in [*stale, *sorted(strays)]:
            print(f"FAIL {p.relative_to(ROOT)} is not the generator's output", file=sys.stderr)
        return 1 if stale or strays else 0
    for p in stale:
        p.write_text(files[p])
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
