"""Validates deploy/postgres/<district>.yaml offline: every object against its CloudNativePG
CRD's openAPIV3Schema, strictly (an unknown field is an error, as with kubectl's strict field
validation, where the API server would silently prune it), the NetworkPolicies against
Kubernetes' own schema (kubernetes-validate, strict), the Pooler's PgBouncer parameters
against the operator's own allow-list, and spotcheck's rules (namespace, roles, sizing). The
NetworkPolicies are evaluated on the pods CloudNativePG makes for the file's Cluster and Pooler
and on their neighbours (the district's values: DNS, Prometheus, the operator, the API server,
the object store): each selects database pods only and opens only ports they listen on; every
connection the database needs passes, and none of those it must refuse.

    python infra/postgres/validate_manifests.py --cnpg <cloudnative-pg module dir> \
        [--kube-version 1.31.0] FILE...

First it proves that it refuses what it must (a mistyped field, a wrong type, a parameter
the operator rejects, a missing service role, a policy that blocks replication or opens too
much); exit 1 on any failure.
"""

from __future__ import annotations

import argparse
import copy
import ipaddress
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from generate_manifests import district_values

SERVICES = ("registry", "planning", "draws", "inspections", "publication", "objections", "archives")
KINDS = ("Cluster", "Pooler", "ScheduledBackup")
Obj = dict[str, Any]


def strict(schema: Any) -> Any:
    """The CRD schema as JSON Schema that refuses unknown fields and knows int-or-string."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if out.get("x-kubernetes-int-or-string"):
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if out.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    opaque = out.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in out and "additionalProperties" not in out and not opaque:
        out["additionalProperties"] = False
    return out


def load_crds(bases: Path) -> dict[tuple[str, str], Any]:
    """(apiVersion, kind) → validator of that version's openAPIV3Schema."""
    found = {}
    for path in bases.glob("*.yaml"):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = strict(version["schema"]["openAPIV3Schema"])
            # metadata is the API server's (ObjectMeta), opaque to the CRD
            schema["properties"]["metadata"] = {"type": "object"}
            found[(f"{group}/{version['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return found


def allowed_pgbouncer_parameters(webhook: Path) -> set[str]:
    """The parameters CloudNativePG's admission webhook lets a Pooler set."""
    text = webhook.read_text()
    block = re.search(
        r"AllowedPgbouncerGenericConfigurationParameters = [^{]*\{(.*?)\}", text, re.S
    )
    if block is None:
        raise SystemExit(f"no PgBouncer allow-list in {webhook}")
    return set(re.findall(r'"([a-z_]+)"', block.group(1)))


class Checker:
    def __init__(
        self,
        crds: dict[tuple[str, str], Any],
        pgbouncer: set[str],
        values: dict[str, Obj],
        kube_version: str,
    ) -> None:
        self.crds = crds
        self.pgbouncer = pgbouncer
        self.values = values  # district → its merged chart values
        self.kube_version = kube_version

    def problems(self, district: str, objects: list[Obj]) -> Iterator[str]:
        by_kind = {o.get("kind"): o for o in objects}
        kinds = [o.get("kind", "") for o in objects if o.get("kind") != "NetworkPolicy"]
        if sorted(kinds) != sorted(KINDS) or "NetworkPolicy" not in by_kind:
            yield (
                f"want one each of {', '.join(KINDS)} and NetworkPolicies, "
                f"got {[o.get('kind') for o in objects]}"
            )
            return
        if district not in self.values:
            yield f"no deploy/helm/values file for the district {district}"
            return
        for o in objects:
            yield from self.schema_problems(o)
            if o["metadata"].get("namespace") != f"spotcheck-{district}":
                yield f"{o['kind']}: namespace must be spotcheck-{district}"
        yield from cluster_problems(district, by_kind["Cluster"])
        yield from self.pooler_problems(by_kind["Pooler"], by_kind["Cluster"])
        yield from backup_problems(by_kind["ScheduledBackup"], by_kind["Cluster"])
        yield from network_problems(district, objects, self.values[district])

    def schema_problems(self, o: Obj) -> Iterator[str]:
        if o.get("kind") == "NetworkPolicy":
            yield from kubernetes_problems(o, self.kube_version)
            return
        validator = self.crds.get((o.get("apiVersion", ""), o.get("kind", "")))
        if validator is None:
            yield f"{o.get('apiVersion')} {o.get('kind')}: no such CRD"
            return
        for error in validator.iter_errors(o):
            where = ".".join(str(p) for p in error.absolute_path) or "(root)"
            yield f"{o['kind']} {where}: {error.message}"

    def pooler_problems(self, pooler: Obj, cluster: Obj) -> Iterator[str]:
        spec = pooler["spec"]
        if spec["cluster"]["name"] != cluster["metadata"]["name"]:
            yield "Pooler: spec.cluster.name is not the Cluster"
        bouncer = spec.get("pgbouncer", {})
        if bouncer.get("poolMode") != "session":
            yield "Pooler: the services need poolMode session (search_path, statement cache)"
        parameters = bouncer.get("parameters", {})
        for name in sorted(set(parameters) - self.pgbouncer):
            yield f"Pooler: the operator refuses the PgBouncer parameter {name}"
        if "search_path" not in parameters.get("track_extra_parameters", ""):
            yield "Pooler: track_extra_parameters must hold search_path (the services send it)"
        total = int(parameters.get("max_client_conn", 0))
        limits = [r.get("connectionLimit", 0) for r in service_roles(cluster)]
        if total < sum(limits) or int(parameters.get("default_pool_size", 0)) < max(limits):
            yield "Pooler: smaller than the services' connection limits"
        if int(cluster["spec"]["postgresql"]["parameters"]["max_connections"]) <= sum(limits):
            yield "Cluster: max_connections leaves nothing beyond the services' connections"


def kubernetes_problems(o: Obj, version: str) -> Iterator[str]:
    where = f"{o['kind']} {o['metadata'].get('name')}"
    try:
        kubernetes_validate.validate(o, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        yield f"{where} {'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
    except kubernetes_validate.SchemaNotFoundError as e:
        yield f"{where}: {e.message}"


def service_roles(cluster: Obj) -> list[Obj]:
    roles = cluster["spec"].get("managed", {}).get("roles", [])
    return [r for r in roles if r["name"] != "spotcheck_owner"]


def cluster_problems(district: str, cluster: Obj) -> Iterator[str]:
    spec = cluster["spec"]
    if spec.get("instances") != 3:
        yield "Cluster: want 3 instances"
    roles = {r["name"]: r for r in spec.get("managed", {}).get("roles", [])}
    wanted = {"spotcheck_owner", *(f"spotcheck_{s}" for s in SERVICES)}
    if set(roles) != wanted:
        yield f"Cluster: managed roles {sorted(roles)}, want {sorted(wanted)}"
    for service in SERVICES:
        r = roles.get(f"spotcheck_{service}", {})
        secret = r.get("passwordSecret", {}).get("name")
        if r and (secret != f"spotcheck-{district}-db-{service}" or not r.get("login")):
            yield f"Cluster: spotcheck_{service} must log in with spotcheck-{district}-db-{service}"
        if any(r.get(a) for a in ("superuser", "createdb", "createrole", "bypassrls")):
            yield f"Cluster: spotcheck_{service} has more than a login"
    if spec.get("bootstrap", {}).get("initdb", {}).get("owner") != "spotcheck_owner":
        yield "Cluster: the bootstrap owner must be spotcheck_owner"
    for path in ("walStorage", "backup", "certificates"):
        if not spec.get(path):
            yield f"Cluster: {path} missing"
    if not spec.get("monitoring", {}).get("enablePodMonitor"):
        yield "Cluster: monitoring.enablePodMonitor must be on"


def backup_problems(backup: Obj, cluster: Obj) -> Iterator[str]:
    spec = backup["spec"]
    if spec["cluster"]["name"] != cluster["metadata"]["name"]:
        yield "ScheduledBackup: spec.cluster.name is not the Cluster"
    if len(spec.get("schedule", "").split()) != 6:
        yield "ScheduledBackup: the schedule has six fields, seconds first"


# ------------------------------------------------------------------------ the NetworkPolicies
# What CloudNativePG 1.27 makes (pkg/specs: pods.go, jobs.go, pgbouncer/deployments.go): the
# labels of its pods and the ports they listen on (pkg/management/url, pgbouncer/config).
INSTANCE_PORTS = frozenset({5432, 8000, 9187})  # PostgreSQL, status, metrics
POOLER_PORTS = frozenset({5432, 9127})  # PgBouncer, metrics
NAME = "kubernetes.io/metadata.name"
ELSEWHERE = "198.51.100.7"  # an address nobody gave: nothing of the database may reach it


@dataclass
class Pod:
    """One end of a connection: a pod (its namespace's labels and its own), or an address."""

    name: str
    namespace: dict[str, str] | None = None  # None: an address outside the cluster
    labels: dict[str, str] = field(default_factory=dict)
    ip: str | None = None
    listens: frozenset[int] = frozenset()
    ours: bool = False  # the Cluster's or the Pooler's: this file's policies govern it


def matches(selector: Obj, labels: dict[str, str]) -> bool:
    """A LabelSelector against labels (matchLabels and every matchExpressions operator)."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for e in selector.get("matchExpressions", []):
        value, values = labels.get(e["key"]), e.get("values", [])
        ok = {
            "In": value is not None and value in values,
            "NotIn": value is None or value not in values,
            "Exists": value is not None,
            "DoesNotExist": value is None,
        }[e["operator"]]
        if not ok:
            return False
    return True


def peer_matches(peer: Obj, pod: Pod, namespace: str) -> bool:
    if "ipBlock" in peer:
        if pod.ip is None:
            return False
        ip, block = ipaddress.ip_address(pod.ip), peer["ipBlock"]
        inside = ip in ipaddress.ip_network(block["cidr"])
        return inside and not any(ip in ipaddress.ip_network(x) for x in block.get("except", []))
    if pod.namespace is None:
        return False
    if "namespaceSelector" in peer:
        in_namespace = matches(peer["namespaceSelector"], pod.namespace)
    else:
        in_namespace = pod.namespace.get(NAME) == namespace
    return in_namespace and matches(peer.get("podSelector", {}), pod.labels)


def rule_allows(rule: Obj, peers: str, other: Pod, port: int, protocol: str, ns: str) -> bool:
    """An ingress (peers "from") or egress ("to") rule lets ``other`` through on the port."""
    peer_ok = not rule.get(peers) or any(peer_matches(p, other, ns) for p in rule[peers])
    port_ok = not rule.get("ports") or any(
        p.get("protocol", "TCP") == protocol
        and isinstance(p.get("port"), int)
        and p["port"] <= port <= p.get("endPort", p["port"])
        for p in rule["ports"]
    )
    return peer_ok and port_ok


def governs(policy: Obj, pod: Pod) -> bool:
    meta = policy["metadata"]
    return (
        pod.namespace is not None
        and pod.namespace.get(NAME) == meta.get("namespace")
        and matches(policy["spec"].get("podSelector", {}), pod.labels)
    )


def allowed(policies: list[Obj], src: Pod, dst: Pod, port: int, protocol: str) -> bool:
    """Whether the connection passes: under the namespace's default deny, the database's pods
    send and receive only what one of these policies allows (policies add up); the other
    pods' own policies are not this file's business."""

    def side(pod: Pod, direction: str, peers: str, other: Pod) -> bool:
        return not pod.ours or any(
            governs(p, pod)
            and direction in p["spec"].get("policyTypes", [])
            and any(
                rule_allows(r, peers, other, port, protocol, p["metadata"]["namespace"])
                for r in p["spec"].get(direction.lower(), [])
            )
            for p in policies
        )

    return side(src, "Egress", "to", dst) and side(dst, "Ingress", "from", src)


def first_address(cidr: str) -> str:
    net = ipaddress.ip_network(cidr)
    return str(next(iter(net.hosts()), net.network_address))


def outside(name: str, selectors: Obj) -> Pod:
    """A pod of another namespace, labelled as the values' selectors ask."""
    return Pod(
        name,
        namespace=dict(selectors["namespaceSelector"].get("matchLabels", {})),
        labels=dict(selectors["podSelector"].get("matchLabels", {})),
    )


def world(district: str, cluster: Obj, pooler: Obj, values: Obj) -> dict[str, Pod]:
    """The pods the Cluster and the Pooler make, their neighbours and the outside world."""
    ns = {NAME: f"spotcheck-{district}"}
    c, p = cluster["metadata"]["name"], pooler["metadata"]["name"]
    chart, pg = values["networkPolicy"], values["postgres"]["networkPolicy"]
    app = values.get("nameOverride") or "spotcheck"

    def component(name: str, namespace: dict[str, str] = ns) -> Pod:
        labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/component": name}
        return Pod(f"{name} ({namespace[NAME]})", namespace, labels)

    found = {
        "instance": Pod(
            "an instance",
            ns,
            {
                "cnpg.io/cluster": c,
                "cnpg.io/podRole": "instance",
                "cnpg.io/instanceName": f"{c}-1",
                "cnpg.io/instanceRole": "primary",
            },
            listens=INSTANCE_PORTS,
            ours=True,
        ),
        "job": Pod(
            "a join job",
            ns,
            {"cnpg.io/cluster": c, "cnpg.io/instanceName": f"{c}-2", "cnpg.io/jobRole": "join"},
            ours=True,
        ),
        "pooler": Pod(
            "PgBouncer",
            ns,
            {
                "cnpg.io/poolerName": p,
                "cnpg.io/cluster": pooler["spec"]["cluster"]["name"],
                "cnpg.io/podRole": "pooler",
            },
            listens=POOLER_PORTS,
            ours=True,
        ),
        "portal": component("portal"),
        "stranger": component("draws", {NAME: "spotcheck-otherdistrict"}),
        "operator": outside("the operator", pg["operator"]),
        "prometheus": outside("Prometheus", chart["monitoring"]),
        "dns": outside("DNS", chart["dns"]),
        "elsewhere": Pod(f"an address nobody gave ({ELSEWHERE})", ip=ELSEWHERE),
    }
    found |= {f"service {s}": component(s) for s in SERVICES if values[s].get("enabled", True)}
    for key, what in (("apiServer", "the API server"), ("objectStore", "the object store")):
        for cidr in pg[key]["cidrs"]:
            found[f"{key} {cidr}"] = Pod(f"{what} ({cidr})", ip=first_address(cidr))
    return found


Flow = tuple[str, str, tuple[int, ...], str, str]  # source, destination, ports, protocol, why


def flows(pods: dict[str, Pod], values: Obj) -> tuple[list[Flow], list[Flow]]:
    """The connections the database needs, and some it must never allow."""
    pg = values["postgres"]["networkPolicy"]
    services = [k for k in pods if k.startswith("service ")]
    api = [k for k in pods if k.startswith("apiServer ")]
    store = [k for k in pods if k.startswith("objectStore ")]
    api_ports, store_ports = tuple(pg["apiServer"]["ports"]), tuple(pg["objectStore"]["ports"])
    need: list[Flow] = [
        ("instance", "instance", (5432,), "TCP", "streaming replication"),
        ("job", "instance", (5432,), "TCP", "a joining instance's base backup"),
        ("pooler", "instance", (5432,), "TCP", "PgBouncer's server connections"),
        ("operator", "instance", (5432, 8000), "TCP", "the operator manages the instances"),
        ("prometheus", "instance", (9187,), "TCP", "the Cluster's PodMonitor"),
        ("prometheus", "pooler", (9127,), "TCP", "the Pooler's PodMonitor"),
        *[(s, "pooler", (5432,), "TCP", "the services log in through PgBouncer") for s in services],
    ]
    for pod in ("instance", "job", "pooler"):
        need += [(pod, "dns", (53,), proto, "name lookups") for proto in ("UDP", "TCP")]
        need += [(pod, a, api_ports, "TCP", "it watches the API server") for a in api]
    for pod in ("instance", "job"):
        need += [(pod, o, store_ports, "TCP", "WAL archive and backups") for o in store]
    never: list[Flow] = [
        ("portal", "pooler", (5432,), "TCP", "the portal owns no data"),
        ("stranger", "pooler", (5432,), "TCP", "another district's pods"),
        (services[0], "instance", (5432,), "TCP", "the services go through the Pooler"),
        ("prometheus", "instance", (5432,), "TCP", "Prometheus only scrapes metrics"),
        ("operator", "pooler", (5432,), "TCP", "the operator never connects to PgBouncer"),
        ("instance", "job", (5432,), "TCP", "the jobs listen on nothing"),
        ("pooler", store[0], store_ports, "TCP", "PgBouncer keeps no backups"),
        *[
            (pod, "elsewhere", (443, 5432), "TCP", "no blanket egress")
            for pod in pods
            if pods[pod].ours
        ],
    ]
    return need, never


def network_problems(district: str, objects: list[Obj], values: Obj) -> Iterator[str]:
    """The NetworkPolicies select the database's pods only, open only ports those pods listen
    on, let every connection the database needs through, and none of those it must refuse."""
    by_kind = {o.get("kind"): o for o in objects}
    policies = [o for o in objects if o.get("kind") == "NetworkPolicy"]
    pods = world(district, by_kind["Cluster"], by_kind["Pooler"], values)
    for policy in policies:
        yield from policy_problems(policy, pods)
    need, never = flows(pods, values)
    for src, dst, ports, protocol, why in need:
        for port in ports:
            if not allowed(policies, pods[src], pods[dst], port, protocol):
                yield f"{pods[src].name} -> {pods[dst].name} {port}/{protocol} blocked ({why})"
    for src, dst, ports, protocol, why in never:
        for port in ports:
            if allowed(policies, pods[src], pods[dst], port, protocol):
                yield f"{pods[src].name} -> {pods[dst].name} {port}/{protocol} open ({why})"


def policy_problems(policy: Obj, pods: dict[str, Pod]) -> Iterator[str]:
    where = f"NetworkPolicy {policy['metadata']['name']}"
    spec = policy["spec"]
    selected = [p for p in pods.values() if governs(policy, p)]
    if not selected:
        yield f"{where}: its podSelector selects no pod of the Cluster or the Pooler"
    for pod in selected:
        if not pod.ours:
            yield f"{where}: selects {pod.name}, which is not the database's"
    if sorted(spec.get("policyTypes", [])) != ["Egress", "Ingress"]:
        yield f"{where}: policyTypes must be Ingress and Egress"
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(spec.get(direction, [])):
            if not rule.get(peers) or not rule.get("ports"):
                yield f"{where} {direction}[{i}]: without '{peers}' and 'ports' it opens too much"
    for i, rule in enumerate(spec.get("ingress", [])):
        for port in rule.get("ports", []):
            number = port.get("port")
            deaf = [p.name for p in selected if number not in p.listens]
            if deaf:
                yield f"{where} ingress[{i}]: {', '.join(deaf)} listens on no port {number}"


def refusals(checker: Checker, district: str, objects: list[Obj]) -> Iterator[str]:
    """Faults the checker must find, each in a copy of a valid file."""

    def cluster(o: list[Obj]) -> Obj:
        return next(x for x in o if x["kind"] == "Cluster")

    def pooler(o: list[Obj]) -> Obj:
        return next(x for x in o if x["kind"] == "Pooler")

    def policy(o: list[Obj], suffix: str) -> Obj:
        policies = (x for x in o if x["kind"] == "NetworkPolicy")
        spec: Obj = next(x for x in policies if x["metadata"]["name"].endswith(suffix))["spec"]
        return spec

    faults: dict[str, Callable[[list[Obj]], None]] = {
        "a mistyped field": lambda o: cluster(o)["spec"].update(instance=3),
        "a wrong type": lambda o: cluster(o)["spec"].update(instances="three"),
        "an unknown pool mode": lambda o: pooler(o)["spec"]["pgbouncer"].update(poolMode="stmt"),
        "a parameter the operator refuses": lambda o: pooler(o)["spec"]["pgbouncer"][
            "parameters"
        ].update(pool_mode="transaction"),
        "a missing service role": lambda o: cluster(o)["spec"]["managed"]["roles"].pop(),
        "another namespace": lambda o: pooler(o)["metadata"].update(namespace="spotcheck-x"),
        "a policy for no pod": lambda o: policy(o, "-instances")["podSelector"][
            "matchLabels"
        ].update({"cnpg.io/podRole": "instances"}),
        "a port nobody listens on": lambda o: policy(o, "-instances")["ingress"][2]["ports"][
            0
        ].update(port=9817),
        "a mistyped policy field": lambda o: policy(o, "-pooler").update(ingres=[]),
        "replication blocked": lambda o: policy(o, "-instances")["ingress"][0]["from"].pop(0),
        "a blanket ingress rule": lambda o: policy(o, "-pooler")["ingress"].append({}),
        "egress anywhere": lambda o: policy(o, "-jobs")["egress"].append(
            {"ports": [{"port": 443}]}
        ),
    }
    for name, fault in faults.items():
        broken = copy.deepcopy(objects)
        fault(broken)
        if not list(checker.problems(district, broken)):
            yield f"the checker let {name} through"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cnpg", type=Path, required=True, help="cloudnative-pg module dir")
    parser.add_argument("--kube-version", default="1.31.0", help="schemas of NetworkPolicy")
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    checker = Checker(
        load_crds(args.cnpg / "config" / "crd" / "bases"),
        allowed_pgbouncer_parameters(
            args.cnpg / "internal" / "webhook" / "v1" / "pooler_webhook.go"
        ),
        {v["district"]: v for v in district_values().values()},
        args.kube_version,
    )
    failures = 0
    for path in args.files:
        district = path.stem
        objects = [o for o in yaml.safe_load_all(path.read_text()) if o]
        found = [*checker.problems(district, objects), *refusals(checker, district, objects)]
        for problem in found:
            print(f"FAIL {path}: {problem}", file=sys.stderr)
        failures += len(found)
        if not found:
            print(f"ok   {path}: {', '.join(o['kind'] for o in objects)} valid")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
