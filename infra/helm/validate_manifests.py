"""Validate manifests rendered by `helm template` (called by infra/helm/check.sh).

Two layers:
1. every object against the Kubernetes OpenAPI schemas shipped by ``kubernetes-validate``
   (strict: unknown fields are errors); ServiceMonitor (a CRD it does not ship) against a small
   schema of the fields the chart uses;
2. the chart's own promises, which a schema cannot see: each Deployment runs
   ``--target=<component>`` with the probes, the non-root read-only security context and the
   database URL from a Secret; every Service, Ingress backend, PDB and HPA points at something
   the release renders; every object carries the district label and the release namespace.

Usage: validate_manifests.py --kube-version 1.31 --district lingang --namespace ns FILE...
Prints one line per file and exits non-zero on the first file with problems (after listing them).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

COMPONENTS = (
    "registry",
    "planning",
    "draws",
    "inspections",
    "publication",
    "objections",
    "archives",
)
STRINGS = {"type": "array", "items": {"type": "string"}}

SERVICE_MONITOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {"type": "object", "required": ["name", "namespace"]},
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": {"type": "object", "required": ["matchLabels"]},
                "namespaceSelector": {
                    "type": "object",
                    "properties": {"matchNames": STRINGS},
                },
                "jobLabel": {"type": "string"},
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["port", "path"],
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string", "pattern": "^/"},
                            "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                            "scrapeTimeout": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                            "honorLabels": {"type": "boolean"},
                            "relabelings": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {
                                        "sourceLabels": STRINGS,
                                        "targetLabel": {"type": "string"},
                                        "replacement": {"type": "string"},
                                        "action": {"enum": ["replace", "keep", "drop", "labelmap"]},
                                        "regex": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def load(path: Path) -> list[dict[str, Any]]:
    with path.open() as f:
        return [d for d in yaml.safe_load_all(f) if d]


def schema_problems(doc: dict[str, Any], version: str) -> list[str]:
    where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
    if doc.get("kind") == "ServiceMonitor":
        errors = jsonschema.Draft7Validator(SERVICE_MONITOR_SCHEMA).iter_errors(doc)
        return [f"{where}: {'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [f"{where}: {'.'.join(map(str, e.absolute_path))}: {e.message}"]
    except kubernetes_validate.SchemaNotFoundError as e:
        return [f"{where}: {e.message}"]
    return []


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


Docs = dict[str, dict[str, dict[str, Any]]]  # kind -> name -> manifest


def chart_problems(docs: list[dict[str, Any]], district: str, namespace: str) -> list[str]:
    """What the chart's rules require of a rendered release, beyond the schemas."""
    names = Counter((d["kind"], d["metadata"]["name"]) for d in docs)
    problems = [f"duplicate {k}/{n}" for (k, n), c in names.items() if c > 1]
    by_kind: Docs = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
        problems += _metadata_problems(d, district, namespace)
    deployments = by_kind.get("Deployment", {})
    if not deployments:
        problems.append("no Deployment rendered")
    config_names = set(by_kind.get("ConfigMap", {}))
    autoscaled = set(by_kind.get("HorizontalPodAutoscaler", {}))
    for name, dep in deployments.items():
        problems += _deployment_problems(name, dep, district, config_names, autoscaled)
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in deployments.values()]
    problems += _service_problems(by_kind.get("Service", {}), pod_labels)
    problems += _config_problems(by_kind.get("ConfigMap", {}), district)
    problems += _ingress_problems(by_kind.get("Ingress", {}), by_kind.get("Service", {}))
    problems += _pdb_problems(by_kind.get("PodDisruptionBudget", {}), pod_labels)
    problems += _hpa_problems(by_kind.get("HorizontalPodAutoscaler", {}), deployments)
    return problems


def _metadata_problems(d: dict[str, Any], district: str, namespace: str) -> list[str]:
    meta = d["metadata"]
    where = f"{d['kind']}/{meta['name']}"
    problems = []
    if meta.get("namespace") != namespace:
        problems.append(f"{where}: namespace {meta.get('namespace')!r}, want {namespace!r}")
    if meta.get("labels", {}).get("spotcheck.io/district") != district:
        problems.append(f"{where}: label spotcheck.io/district is not {district!r}")
    if len(meta["name"]) > 63:
        problems.append(f"{where}: name longer than 63 characters")
    return problems


def _deployment_problems(
    name: str, dep: dict[str, Any], district: str, config_names: set[str], autoscaled: set[str]
) -> list[str]:
    where = f"Deployment/{name}"
    pod = dep["spec"]["template"]
    component = pod["metadata"]["labels"].get("app.kubernetes.io/component")
    if component not in COMPONENTS:
        return [f"{where}: component label {component!r} is not a spotcheck service"]
    problems = []
    if pod["metadata"]["labels"].get("spotcheck.io/district") != district:
        problems.append(f"{where}: pod template lacks spotcheck.io/district={district}")
    if not selects(dep["spec"]["selector"]["matchLabels"], pod["metadata"]["labels"]):
        problems.append(f"{where}: selector does not match its own pod template")
    if pod["spec"].get("securityContext", {}).get("runAsNonRoot") is not True:
        problems.append(f"{where}: pod securityContext.runAsNonRoot is not true")
    (container,) = pod["spec"]["containers"]
    problems += _container_problems(where, component, container, pod["spec"], config_names)
    if pod["metadata"].get("annotations", {}).get("prometheus.io/scrape") != "true":
        problems.append(f"{where}: no prometheus.io/scrape annotation")
    if dep["spec"].get("replicas") is None and name not in autoscaled:
        problems.append(f"{where}: no replicas and no HPA")
    return problems


PROBES = {"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"}


def _container_problems(
    where: str,
    component: str,
    container: dict[str, Any],
    spec: dict[str, Any],
    config_names: set[str],
) -> list[str]:
    problems = []
    args = container.get("args", [])
    if f"--target={component}" not in args:
        problems.append(f"{where}: args {args} lack --target={component}")
    csc = container.get("securityContext", {})
    if csc.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: root filesystem is not read-only")
    if csc.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: allowPrivilegeEscalation is not false")
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    if "emptyDir" not in volumes.get(mounts.get("/tmp", ""), {}):
        problems.append(f"{where}: /tmp is not an emptyDir")
    for probe, path in PROBES.items():
        got = container.get(probe, {}).get("httpGet", {}).get("path")
        if got != path:
            problems.append(f"{where}: {probe} path {got!r}, want {path!r}")
    env = {e["name"]: e for e in container.get("env", [])}
    db = env.get("SPOTCHECK_DATABASE_URL")
    if not db or "secretKeyRef" not in db.get("valueFrom", {}):
        problems.append(f"{where}: SPOTCHECK_DATABASE_URL does not come from a Secret")
    for ef in container.get("envFrom", []):
        ref = ef.get("configMapRef", {}).get("name")
        if ref and ref not in config_names:
            problems.append(f"{where}: envFrom ConfigMap {ref!r} is not rendered")
    return problems


def _service_problems(services: dict[str, Any], pod_labels: list[dict[str, str]]) -> list[str]:
    return [
        f"Service/{name}: selector matches no rendered pod"
        for name, svc in services.items()
        if not any(selects(svc["spec"]["selector"], labels) for labels in pod_labels)
    ]


def _config_problems(config_maps: dict[str, Any], district: str) -> list[str]:
    problems = []
    for cm in config_maps.values():
        data = cm.get("data", {})
        if "SPOTCHECK_DISTRICT" in data and data["SPOTCHECK_DISTRICT"] != district:
            problems.append(f"ConfigMap/{cm['metadata']['name']}: SPOTCHECK_DISTRICT mismatch")
        neighbours = [n for n in data.get("SPOTCHECK_NEIGHBOURS", "").split(",") if n]
        if district in neighbours:
            problems.append("SPOTCHECK_NEIGHBOURS contains the district itself")
        if any("DATABASE_URL" in k for k in data):
            problems.append("a database URL is written in a ConfigMap")
    return problems


def _ingress_problems(ingresses: dict[str, Any], services: dict[str, Any]) -> list[str]:
    problems = []
    for name, ing in ingresses.items():
        paths = {}
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                backend = p["backend"]["service"]["name"]
                paths[p["path"]] = backend
                if backend not in services:
                    problems.append(f"Ingress/{name}: {p['path']} -> unknown Service {backend}")
        if "/public" in paths and not paths["/public"].endswith("-publication"):
            problems.append(f"Ingress/{name}: /public does not go to publication")
        for svc_name, svc in services.items():
            component = svc["metadata"]["labels"]["app.kubernetes.io/component"]
            if paths.get(f"/api/{component}") != svc_name:
                problems.append(f"Ingress/{name}: /api/{component} does not go to {svc_name}")
    return problems


def _pdb_problems(pdbs: dict[str, Any], pod_labels: list[dict[str, str]]) -> list[str]:
    return [
        f"PodDisruptionBudget/{name}: selector matches no rendered pod"
        for name, pdb in pdbs.items()
        if not any(selects(pdb["spec"]["selector"]["matchLabels"], lb) for lb in pod_labels)
    ]


def _hpa_problems(hpas: dict[str, Any], deployments: dict[str, Any]) -> list[str]:
    problems = []
    for name, hpa in hpas.items():
        target = hpa["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            problems.append(f"HorizontalPodAutoscaler/{name}: unknown target {target}")
        if hpa["spec"]["minReplicas"] > hpa["spec"]["maxReplicas"]:
            problems.append(f"HorizontalPodAutoscaler/{name}: minReplicas > maxReplicas")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kube-version", required=True)
    parser.add_argument("--district", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    failed = False
    for path in args.files:
        docs = load(path)
        problems = [p for d in docs for p in schema_problems(d, args.kube_version)]
        problems += chart_problems(docs, args.district, args.namespace)
        kinds = Counter(d["kind"] for d in docs)
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        if problems:
            failed = True
            print(f"FAIL {path}: {len(problems)} problem(s) in {len(docs)} objects")
            for p in problems:
                print(f"  - {p}")
        else:
            print(
                f"ok   {path}: {len(docs)} objects valid for Kubernetes {args.kube_version} "
                f"(strict) and the chart's rules [{summary}]"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
