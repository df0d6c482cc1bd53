"""Validate manifests rendered by `helm template` (called by infra/helm/check.sh).

Two layers:
1. every object against the Kubernetes OpenAPI schemas shipped by ``kubernetes-validate``
   (strict: unknown fields are errors); ServiceMonitor and PrometheusRule (CRDs it does not
   ship) against small schemas of the fields the chart uses;
2. the chart's own promises, which a schema cannot see: each Deployment runs
   ``--target=<component>`` with the probes, the non-root read-only security context and, for a
   service, the database URL from a Secret; the portal (the web application) has no database
   URL, no Secret and no migration, and SPOTCHECK_PORTAL_SERVICES names the release's own
   Services; every Service, Ingress backend, PDB and HPA points at something the release
   renders; the Ingress sends /api/<service> to each service and / to the portal; every object
   carries the district label and the release namespace; and the region's guard-rails
   (guardrails.py: restricted pods, Secrets per district, JWKS and OTLP/HTTP egress).

Usage: validate_manifests.py --kube-version 1.31 --district lingang --namespace ns FILE...
       validate_manifests.py --portal FILE...   (the portal is rendered, reaches all seven
                                                 services, and the Ingress routes to it)
       validate_manifests.py --kube-version 1.31 --district lingang --namespace ns \
           --namespace-chart NS.yaml RELEASE.yaml   (the namespace chart's render, and the
                                                     release within its quota and limits)
       validate_manifests.py --distinct-secrets FILE...   (no Secret shared by two releases)
Prints one line per file and exits non-zero on the first file with problems (after listing them).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import kubernetes_validate
import yaml
from guardrails import (
    ca_file_problems,
    carries_district,
    egress_allows,
    namespace_problems,
    otel_problems,
    quota_problems,
    restricted_problems,
    secret_env_problems,
    secret_refs,
    selects_pod,
    url_port,
)

SERVICES = (
    "registry",
    "planning",
    "draws",
    "inspections",
    "publication",
    "objections",
    "archives",
)
PORTAL = "portal"
COMPONENTS = (*SERVICES, PORTAL)
# Ingress paths of the portal, and public paths answered by a service other than publication.
PORTAL_PATHS = ("/", "/console", "/static", "/assets")
PUBLIC_PATHS = {
    "/public": "publication",
    "/public/draws": "draws",
    "/public/calendar": "registry",
    "/public/check-items": "registry",
}
STRINGS = {"type": "array", "items": {"type": "string"}}
GRAFANA = (
    Path(__file__).resolve().parents[2] / "deploy" / "helm" / "spotcheck" / "files" / "grafana"
)

RELABELINGS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "sourceLabels": STRINGS,
            "targetLabel": {"type": "string"},
            "replacement": {"type": "string"},
            "action": {"enum": ["replace", "keep", "drop", "labelmap", "labeldrop"]},
            "regex": {"type": "string"},
        },
    },
}
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
                            "relabelings": RELABELINGS,
                            "metricRelabelings": RELABELINGS,
                        },
                    },
                },
            },
        },
    },
}


STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
DURATION = {"type": "string", "pattern": "^([0-9]+(ms|s|m|h|d|w|y))+$"}
PROMETHEUS_RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "PrometheusRule"},
        "metadata": {"type": "object", "required": ["name", "namespace"]},
        "spec": {
            "type": "object",
            "required": ["groups"],
            "additionalProperties": False,
            "properties": {
                "groups": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["name", "rules"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "interval": DURATION,
                            "rules": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["expr"],
                                    "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                                    "additionalProperties": False,
                                    "properties": {
                                        "alert": {"type": "string"},
                                        "record": {"type": "string"},
                                        "expr": {"type": "string", "minLength": 1},
                                        "for": DURATION,
                                        "labels": STRING_MAP,
                                        "annotations": STRING_MAP,
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
CRD_SCHEMAS = {"ServiceMonitor": SERVICE_MONITOR_SCHEMA, "PrometheusRule": PROMETHEUS_RULE_SCHEMA}


def load(path: Path) -> list[dict[str, Any]]:
    with path.open() as f:
        return [d for d in yaml.safe_load_all(f) if d]


def schema_problems(doc: dict[str, Any], version: str) -> list[str]:
    where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
    if doc.get("kind") in CRD_SCHEMAS:
        errors = jsonschema.Draft7Validator(CRD_SCHEMAS[doc["kind"]]).iter_errors(doc)
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
    problems += _portal_problems(deployments, by_kind.get("Service", {}))
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in deployments.values()]
    problems += _service_problems(by_kind.get("Service", {}), pod_labels)
    problems += _config_problems(by_kind.get("ConfigMap", {}), district)
    problems += _ingress_problems(by_kind.get("Ingress", {}), by_kind.get("Service", {}))
    problems += _pdb_problems(by_kind.get("PodDisruptionBudget", {}), pod_labels)
    problems += _hpa_problems(by_kind.get("HorizontalPodAutoscaler", {}), deployments)
    problems += _guardrail_problems(by_kind, district)
    problems += _service_monitor_problems(by_kind.get("ServiceMonitor", {}))
    problems += _dashboard_problems(by_kind.get("ConfigMap", {}), district)
    return problems


SELECTOR = re.compile(r"\{([^}]*)\}")
SCOPE = re.compile(r'\b(district|namespace)(=~|!=|!~|=)"([^"]*)"')


def _dashboard_problems(config_maps: dict[str, Any], district: str) -> list[str]:
    """The district's Grafana dashboard sees this district only: no district variable left,
    every selector names district="<district>" or namespace="spotcheck-<district>" and
    nothing else; the regional overview is the chart's file as it is."""
    problems = []
    allowed = {("district", "=", district), ("namespace", "=", f"spotcheck-{district}")}
    for name, cm in config_maps.items():
        for key, text in cm.get("data", {}).items():
            where = f"ConfigMap/{name} {key}"
            if key == "spotcheck-overview.json":
                if json.loads(text) != json.loads((GRAFANA / key).read_text()):
                    problems.append(f"{where}: not the chart's files/grafana/{key}")
            elif key.endswith(".json"):
                problems += _district_board_problems(where, json.loads(text), allowed)
    return problems


def _district_board_problems(where: str, board: dict[str, Any], allowed: set[Any]) -> list[str]:
    problems = []
    if any(v["name"] == "district" for v in board["templating"]["list"]):
        problems.append(f"{where}: still has a district variable")
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    for selector in (m for e in exprs for m in SELECTOR.findall(e)):
        scope = set(SCOPE.findall(selector))
        if not scope or scope - allowed:
            problems.append(f"{where}: selector {{{selector}}} is not this district's")
    return problems


# Labels the rules and dashboards select a district's series by: the scrape sets them, a target
# never does (docs/operations/dashboards.md, "Tenancy"); keep only targets that have them all.
SCRAPE_LABELS = ("job", "district", "component", "pod")
KEPT_ONLY_WITH = (
    "__meta_kubernetes_namespace",
    "__meta_kubernetes_pod_label_app_kubernetes_io_component",
)


def _service_monitor_problems(monitors: dict[str, Any]) -> list[str]:
    problems = []
    for name, sm in monitors.items():
        for i, ep in enumerate(sm["spec"]["endpoints"]):
            problems += _endpoint_problems(f"ServiceMonitor/{name} endpoint {i}", ep)
    return problems


def _endpoint_problems(where: str, ep: dict[str, Any]) -> list[str]:
    problems = []
    if ep.get("honorLabels"):
        problems.append(f"{where}: honorLabels: true lets a target set its own district")
    relabel = ep.get("relabelings", [])
    replaced = {r.get("targetLabel"): r for r in relabel if r.get("action") == "replace"}
    problems += [f"{where}: no relabeling sets {x}" for x in SCRAPE_LABELS if x not in replaced]
    if replaced.get("district", {}).get("sourceLabels") != ["__meta_kubernetes_namespace"]:
        problems.append(f"{where}: the district label is not taken from the namespace")
    kept = {s for r in relabel if r.get("action") == "keep" for s in r.get("sourceLabels", [])}
    problems += [
        f"{where}: targets without {x} are scraped" for x in KEPT_ONLY_WITH if x not in kept
    ]
    drops = {r.get("regex") for r in relabel if r.get("action") == "labeldrop"}
    if "service" not in drops:
        problems.append(f"{where}: the target's service label clashes with the services' own")
    metric_drops = {
        r.get("regex") for r in ep.get("metricRelabelings", []) if r.get("action") == "labeldrop"
    }
    if "exported_.+" not in metric_drops:
        problems.append(f"{where}: labels a target exported under the scrape's names are kept")
    return problems


def _guardrail_problems(by_kind: Docs, district: str) -> list[str]:
    """The region's rules: every Secret name carries the district; the services' CA files are
    Secret keys mounted in the pod; the services reach the OIDC provider's JWKS and the OTLP/HTTP
    collector through the NetworkPolicies."""
    problems = [
        f"{kind}/{name}: Secret {secret} does not carry the district {district!r}"
        for kind, objs in by_kind.items()
        for name, obj in objs.items()
        for secret in sorted(secret_refs(obj))
        if not carries_district(secret, district)
    ]
    env: dict[str, str] = {}
    for cm in by_kind.get("ConfigMap", {}).values():
        env |= cm.get("data", {})
    problems += otel_problems(env.get("SPOTCHECK_OTEL_EXPORTER_ENDPOINT", ""))
    services = [d for d in by_kind.get("Deployment", {}).values() if _component(d) in SERVICES]
    for dep in services:
        where = f"Deployment/{dep['metadata']['name']}"
        spec = dep["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        ca = env.get("SPOTCHECK_KAFKA_SSL_CAFILE")
        if not ca:
            problems.append(f"{where}: no SPOTCHECK_KAFKA_SSL_CAFILE")
        else:
            problems += ca_file_problems(where, ca, container, spec)
        for c in [*spec.get("initContainers", []), container]:
            problems += _sslrootcert_problems(f"{where} {c['name']}", c, spec)
    problems += _egress_problems(by_kind.get("NetworkPolicy", {}), services, env)
    return problems


def _sslrootcert_problems(where: str, container: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    problems = []
    for e in container.get("env", []):
        query = parse_qs(urlsplit(e.get("value", "")).query)
        for path in query.get("sslrootcert", []):
            problems += ca_file_problems(f"{where} {e['name']}", path, container, spec)
    return problems


def _egress_problems(
    policies: dict[str, Any], services: list[dict[str, Any]], env: dict[str, str]
) -> list[str]:
    """With NetworkPolicies rendered, each service may open the JWKS URL's port (tokens are
    verified against it: 401 otherwise) and the OTel endpoint's port (spans dropped
    otherwise), towards an address outside the cluster's pods for the JWKS."""
    if not policies:
        return []
    wanted = {"the JWKS": env.get("SPOTCHECK_AUTH_JWKS_URL", "")}
    problems = []
    for dep in services:
        labels = dep["spec"]["template"]["metadata"]["labels"]
        for what, url in wanted.items():
            if url and not egress_allows(list(policies.values()), labels, url_port(url)):
                problems.append(
                    f"Deployment/{dep['metadata']['name']}: no egress to {what} ({url}) port "
                    f"{url_port(url)} (ipBlock): every token would be refused"
                )
        otel = env.get("SPOTCHECK_OTEL_EXPORTER_ENDPOINT", "")
        if otel and not _any_egress(policies, labels, url_port(otel)):
            problems.append(
                f"Deployment/{dep['metadata']['name']}: no egress to the OTel endpoint port "
                f"{url_port(otel)}"
            )
    return problems


def _any_egress(policies: dict[str, Any], labels: dict[str, str], port: int) -> bool:
    return any(
        selects_pod(p["spec"]["podSelector"], labels)
        and any(
            port in {x.get("port") for x in r.get("ports", [])} for r in p["spec"].get("egress", [])
        )
        for p in policies.values()
    )


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
    problems += restricted_problems(where, pod["spec"])
    for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
        problems += secret_env_problems(f"{where} {c['name']}", c)
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
    if component == PORTAL:
        problems += _no_data_problems(where, env, spec)
    elif not db:
        problems.append(f"{where}: no SPOTCHECK_DATABASE_URL")
    elif "SPOTCHECK_KAFKA_SASL_PASSWORD" not in env:
        problems.append(f"{where}: no SPOTCHECK_KAFKA_SASL_PASSWORD (SASL)")
    for ef in container.get("envFrom", []):
        ref = ef.get("configMapRef", {}).get("name")
        if ref and ref not in config_names:
            problems.append(f"{where}: envFrom ConfigMap {ref!r} is not rendered")
    return problems


def _no_data_problems(where: str, env: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """The portal owns no data: no database URL, no Secret but its sign-in client's, no
    migration."""
    problems = []
    if "SPOTCHECK_DATABASE_URL" in env or "SPOTCHECK_DATABASE_OWNER_URL" in env:
        problems.append(f"{where}: the portal has a database URL")
    if "SPOTCHECK_KAFKA_SASL_PASSWORD" in env:
        problems.append(f"{where}: the portal has the Kafka password")
    allowed = {"SPOTCHECK_PORTAL_OIDC_CLIENT_SECRET"}
    secrets = [
        n for n, e in env.items() if "secretKeyRef" in e.get("valueFrom", {}) and n not in allowed
    ]
    if secrets:
        problems.append(f"{where}: the portal reads Secrets {secrets}")
    if spec.get("initContainers"):
        problems.append(f"{where}: the portal has init containers (a migration?)")
    if "SPOTCHECK_PORTAL_SERVICES" not in env:
        problems.append(f"{where}: no SPOTCHECK_PORTAL_SERVICES")
    return problems


def portal_services(dep: dict[str, Any]) -> dict[str, str]:
    """SPOTCHECK_PORTAL_SERVICES of the portal's Deployment, as {service: url}."""
    (container,) = dep["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value", "") for e in container.get("env", [])}
    pairs = (p.split("=", 1) for p in env.get("SPOTCHECK_PORTAL_SERVICES", "").split(","))
    return {p[0]: p[1] for p in pairs if len(p) == 2}


def _component(obj: dict[str, Any]) -> str | None:
    return obj["metadata"].get("labels", {}).get("app.kubernetes.io/component")


def _portal_problems(deployments: dict[str, Any], services: dict[str, Any]) -> list[str]:
    """SPOTCHECK_PORTAL_SERVICES names exactly the release's services, each at its Service."""
    portals = [d for d in deployments.values() if _component(d) == PORTAL]
    if not portals:
        return []
    want = {
        _component(svc): f"http://{name}:{svc['spec']['ports'][0]['port']}"
        for name, svc in services.items()
        if _component(svc) in SERVICES
    }
    got = portal_services(portals[0])
    if got != want:
        return [f"SPOTCHECK_PORTAL_SERVICES is {got}, want {want} (the release's Services)"]
    return []


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
        rendered = {_component(svc): svc_name for svc_name, svc in services.items()}
        for path, service in PUBLIC_PATHS.items():  # each public path to the service answering it
            if service in rendered and paths.get(path) != rendered[service]:
                problems.append(f"Ingress/{name}: {path} does not go to {rendered[service]}")
        for svc_name, svc in services.items():
            component = _component(svc)
            wanted = PORTAL_PATHS if component == PORTAL else (f"/api/{component}",)
            problems += [
                f"Ingress/{name}: {path} does not go to {svc_name}"
                for path in wanted
                if paths.get(path) != svc_name
            ]
            if component == PORTAL and any(
                p.startswith(("/api/", "/public")) for p, b in paths.items() if b == svc_name
            ):
                problems.append(f"Ingress/{name}: an /api or /public path goes to the portal")
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


def portal_assertions(docs: list[dict[str, Any]]) -> tuple[list[str], str]:
    """What ``--portal`` asserts of a release that renders the portal: its Deployment has no
    database Secret nor migration and reaches all seven services at their Services; with an
    Ingress, / (and the console, assets) go to the portal, /api/draws to draws. Returns the
    problems and a one-line account of what was checked."""
    by_kind: Docs = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    portals = {n: d for n, d in by_kind.get("Deployment", {}).items() if _component(d) == PORTAL}
    if len(portals) != 1:
        return [f"{len(portals)} portal Deployments rendered, want 1"], ""
    ((name, dep),) = portals.items()
    pod = dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container.get("env", [])}
    problems = _no_data_problems(f"Deployment/{name}", env, pod)
    services = {_component(s): n for n, s in by_kind.get("Service", {}).items()}
    urls = portal_services(dep)
    if sorted(urls) != sorted(SERVICES):
        problems.append(f"SPOTCHECK_PORTAL_SERVICES names {sorted(urls)}, want all seven services")
    problems += [
        f"SPOTCHECK_PORTAL_SERVICES: {s} at {u}, not at its Service {services.get(s)}"
        for s, u in urls.items()
        if not u.startswith(f"http://{services.get(s)}:")
    ]
    problems += _portal_egress_problems(
        by_kind.get("NetworkPolicy", {}), dep["spec"]["template"]["metadata"]["labels"]
    )
    checked = f"{name}: no database Secret, no migration, {len(urls)} services"
    for ing_name, ing in by_kind.get("Ingress", {}).items():
        paths = {
            p["path"]: p["backend"]["service"]["name"]
            for rule in ing["spec"]["rules"]
            for p in rule["http"]["paths"]
        }
        want = {"/": services.get(PORTAL), "/api/draws": services.get("draws")}
        want |= {p: services.get(PORTAL) for p in PORTAL_PATHS}
        problems += [
            f"Ingress/{ing_name}: {path} goes to {paths.get(path)}, want {svc}"
            for path, svc in want.items()
            if paths.get(path) != svc
        ]
        checked += f"; Ingress / -> {paths.get('/')}, /api/draws -> {paths.get('/api/draws')}"
    return problems, checked


# PostgreSQL and Kafka (the chart's defaults): no NetworkPolicy lets the portal reach them.
DATA_PORTS = {5432, 9092, 9093}


def _portal_egress_problems(policies: dict[str, Any], labels: dict[str, str]) -> list[str]:
    problems = []
    selecting = [n for n, p in policies.items() if selects_pod(p["spec"]["podSelector"], labels)]
    if policies and not selecting:
        problems.append("no NetworkPolicy selects the portal's pods")
    for name in selecting:
        ports = {
            p.get("port")
            for rule in policies[name]["spec"].get("egress", [])
            for p in rule.get("ports", [])
        }
        if reached := sorted(ports & DATA_PORTS):
            problems.append(f"NetworkPolicy/{name} lets the portal reach ports {reached}")
    return problems


def portal_main(files: list[Path]) -> int:
    failed = False
    for path in files:
        problems, checked = portal_assertions(load(path))
        if problems:
            failed = True
            print(f"FAIL {path}: the portal")
            for p in problems:
                print(f"  - {p}")
        else:
            print(f"ok   {path}: {checked}")
    return 1 if failed else 0


def namespace_main(ns_file: Path, release_file: Path, namespace: str, version: str) -> int:
    """The namespace chart's render, and the release's pods within its quota and limits."""
    ns_docs, release = load(ns_file), load(release_file)
    problems = [p for d in ns_docs for p in schema_problems(d, version)]
    problems += namespace_problems(ns_docs, namespace)
    account = ""
    if not problems:
        quota, account = quota_problems(ns_docs, release)
        problems += quota
    if problems:
        print(f"FAIL {ns_file}: namespace {namespace}")
        for p in problems:
            print(f"  - {p}")
        return 1
    print(
        f"ok   {ns_file}: {namespace} restricted, default deny; "
        f"{release_file.name} at its largest: {account}"
    )
    return 0


def distinct_secrets_main(files: list[Path]) -> int:
    """No Secret name is used by two districts' releases."""
    users: dict[str, set[str]] = {}
    for path in files:
        for secret in {s for d in load(path) for s in secret_refs(d)}:
            users.setdefault(secret, set()).add(path.stem)
    shared = {s: sorted(u) for s, u in users.items() if len(u) > 1}
    for secret, releases in sorted(shared.items()):
        print(f"FAIL Secret {secret} is used by {', '.join(releases)}")
    if not shared:
        print(f"ok   {len(users)} Secret names, none shared by two of {len(files)} releases")
    return 1 if shared else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portal", action="store_true", help="assert the portal's rendering")
    parser.add_argument(
        "--namespace-chart", type=Path, help="the spotcheck-namespace render the FILE must fit"
    )
    parser.add_argument(
        "--distinct-secrets", action="store_true", help="no Secret shared between the FILEs"
    )
    parser.add_argument("--kube-version")
    parser.add_argument("--district")
    parser.add_argument("--namespace")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.portal:
        return portal_main(args.files)
    if args.distinct_secrets:
        return distinct_secrets_main(args.files)
    if not (args.kube_version and args.district and args.namespace):
        parser.error("--kube-version, --district and --namespace are required")
    if args.namespace_chart:
        (release,) = args.files
        return namespace_main(args.namespace_chart, release, args.namespace, args.kube_version)
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
