"""Validates deploy/postgres/<district>.yaml offline: every object against its CloudNativePG
CRD's openAPIV3Schema, strictly (an unknown field is an error, as with kubectl's strict field
validation, where the API server would silently prune it), the Pooler's PgBouncer parameters
against the operator's own allow-list, and spotcheck's rules (namespace, roles, sizing).

    python infra/postgres/validate_manifests.py --cnpg <cloudnative-pg module dir> FILE...

First it proves that it refuses what it must (a mistyped field, a wrong type, a parameter
the operator rejects, a missing service role); exit 1 on any failure.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import yaml

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
    def __init__(self, crds: dict[tuple[str, str], Any], pgbouncer: set[str]) -> None:
        self.crds = crds
        self.pgbouncer = pgbouncer

    def problems(self, district: str, objects: list[Obj]) -> Iterator[str]:
        by_kind = {o.get("kind"): o for o in objects}
        if sorted(o.get("kind", "") for o in objects) != sorted(KINDS):
            yield f"want one each of {', '.join(KINDS)}, got {[o.get('kind') for o in objects]}"
            return
        for o in objects:
            yield from self.schema_problems(o)
            if o["metadata"].get("namespace") != f"spotcheck-{district}":
                yield f"{o['kind']}: namespace must be spotcheck-{district}"
        yield from cluster_problems(district, by_kind["Cluster"])
        yield from self.pooler_problems(by_kind["Pooler"], by_kind["Cluster"])
        yield from backup_problems(by_kind["ScheduledBackup"], by_kind["Cluster"])

    def schema_problems(self, o: Obj) -> Iterator[str]:
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


def refusals(checker: Checker, district: str, objects: list[Obj]) -> Iterator[str]:
    """Faults the checker must find, each in a copy of a valid file."""

    def cluster(o: list[Obj]) -> Obj:
        return next(x for x in o if x["kind"] == "Cluster")

    def pooler(o: list[Obj]) -> Obj:
        return next(x for x in o if x["kind"] == "Pooler")

    faults: dict[str, Callable[[list[Obj]], None]] = {
        "a mistyped field": lambda o: cluster(o)["spec"].update(instance=3),
        "a wrong type": lambda o: cluster(o)["spec"].update(instances="three"),
        "an unknown pool mode": lambda o: pooler(o)["spec"]["pgbouncer"].update(poolMode="stmt"),
        "a parameter the operator refuses": lambda o: pooler(o)["spec"]["pgbouncer"][
            "parameters"
        ].update(pool_mode="transaction"),
        "a missing service role": lambda o: cluster(o)["spec"]["managed"]["roles"].pop(),
        "another namespace": lambda o: pooler(o)["metadata"].update(namespace="spotcheck-x"),
    }
    for name, fault in faults.items():
        broken = copy.deepcopy(objects)
        fault(broken)
        if not list(checker.problems(district, broken)):
            yield f"the checker let {name} through"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cnpg", type=Path, required=True, help="cloudnative-pg module dir")
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    checker = Checker(
        load_crds(args.cnpg / "config" / "crd" / "bases"),
        allowed_pgbouncer_parameters(
            args.cnpg / "internal" / "webhook" / "v1" / "pooler_webhook.go"
        ),
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
