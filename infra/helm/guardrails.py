"""The region's guard-rails, checked on rendered manifests (used by validate_manifests.py).

- every pod meets Pod Security Admission ``restricted``;
- a service reads its database and Kafka credentials from Secrets only, each Secret name carries
  the district, and a URL assembled with ``$(VAR)`` expands only variables of Secrets;
- the NetworkPolicies let a service reach the OIDC provider's JWKS port and the OTLP/HTTP
  collector, whose endpoint is a /v1/traces URL off the gRPC port;
- the district's namespace (deploy/helm/spotcheck-namespace) enforces ``restricted``, denies all
  traffic by default, and its ResourceQuota and LimitRange admit every pod of the release at its
  largest.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

Manifest = dict[str, Any]

SUFFIXES = {
    "m": Decimal("0.001"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
}
QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")


def quantity(value: str | int | float) -> Decimal:
    """A Kubernetes quantity ("250m", "1.5Gi", 2) as a number of units."""
    match = QUANTITY.match(str(value))
    if not match:
        raise ValueError(f"not a quantity: {value!r}")
    number, suffix = match.groups()
    return Decimal(number) * SUFFIXES.get(suffix or "", Decimal(1))


# ------------------------------------------------------------------------ Pod Security: restricted
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def restricted_problems(where: str, spec: dict[str, Any]) -> list[str]:
    """What Pod Security Admission ``restricted`` would refuse in a pod spec."""
    problems = [
        f"{where}: {key} is set" for key in ("hostNetwork", "hostPID", "hostIPC") if spec.get(key)
    ]
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            problems.append(f"{where}: volume {volume['name']} of type {sorted(kinds)}")
    pod_sc = spec.get("securityContext", {})
    if pod_sc.get("sysctls"):
        problems.append(f"{where}: sysctls are set")
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        problems += _container_restricted(f"{where} container {c['name']}", c, pod_sc)
    return problems


def _container_restricted(where: str, c: dict[str, Any], pod_sc: dict[str, Any]) -> list[str]:
    sc = c.get("securityContext", {})

    def effective(key: str) -> Any:
        return sc.get(key, pod_sc.get(key))

    problems = []
    if sc.get("privileged"):
        problems.append(f"{where}: privileged")
    if sc.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: allowPrivilegeEscalation is not false")
    if effective("runAsNonRoot") is not True:
        problems.append(f"{where}: runAsNonRoot is not true")
    if effective("runAsUser") == 0:
        problems.append(f"{where}: runAsUser is 0")
    if (effective("seccompProfile") or {}).get("type") not in {"RuntimeDefault", "Localhost"}:
        problems.append(f"{where}: seccompProfile is not RuntimeDefault")
    caps = sc.get("capabilities", {})
    if "ALL" not in (caps.get("drop") or []):
        problems.append(f"{where}: capabilities do not drop ALL")
    if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
        problems.append(f"{where}: capabilities add {caps['add']}")
    if any(p.get("hostPort") for p in c.get("ports", [])):
        problems.append(f"{where}: hostPort")
    return problems


# ---------------------------------------------------------------------------------------- Secrets
EXPANSION = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
# Variables a service holds only when they come from a Secret.
SECRET_ENV = (
    "SPOTCHECK_DATABASE_URL",
    "SPOTCHECK_DATABASE_OWNER_URL",
    "SPOTCHECK_KAFKA_SASL_PASSWORD",
)


def carries_district(name: str, district: str) -> bool:
    return re.search(rf"(^|-){re.escape(district)}(-|$)", name) is not None


def secret_refs(obj: Manifest) -> set[str]:
    """Names of the Secrets a rendered object uses (env, volumes, Ingress TLS), image pull
    Secrets aside."""
    names: set[str] = set()
    if obj["kind"] == "Ingress":
        names |= {t["secretName"] for t in obj["spec"].get("tls", []) if t.get("secretName")}
    if obj["kind"] != "Deployment":
        return names
    spec = obj["spec"]["template"]["spec"]
    names |= {v["secret"]["secretName"] for v in spec.get("volumes", []) if "secret" in v}
    for c in spec.get("initContainers", []) + spec["containers"]:
        names |= {
            e["valueFrom"]["secretKeyRef"]["name"]
            for e in c.get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {})
        }
    return names


def secret_env_problems(where: str, container: dict[str, Any]) -> list[str]:
    """Each credential variable comes from a Secret, or is a value expanding only variables
    that come from Secrets and are defined before it (the kubelet expands earlier ones only)."""
    problems = []
    from_secret: set[str] = set()
    for e in container.get("env", []):
        if "secretKeyRef" in e.get("valueFrom", {}):
            from_secret.add(e["name"])
            continue
        if e["name"] not in SECRET_ENV:
            continue
        used = EXPANSION.findall(e.get("value", ""))
        if not used or set(used) - from_secret:
            problems.append(f"{where}: {e['name']} is not made of Secret keys only")
        from_secret.add(e["name"])
    return problems


def ca_file_problems(
    where: str, path: str, container: dict[str, Any], spec: dict[str, Any]
) -> list[str]:
    """A CA file named in the environment is a key projected from a Secret into the container."""
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for m in container.get("volumeMounts", []):
        mount = m["mountPath"].rstrip("/") + "/"
        secret = volumes.get(m["name"], {}).get("secret")
        if secret and path.startswith(mount):
            keys = [i["path"] for i in secret.get("items", [])]
            if path[len(mount) :] in keys:
                return []
            return [f"{where}: {path} is not a key projected from Secret {secret['secretName']}"]
    return [f"{where}: {path} is not in a mounted Secret"]


# ----------------------------------------------------------------------------------------- egress
def url_port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def otel_problems(endpoint: str) -> list[str]:
    """The exporter is OTLP/HTTP and sends to the URL as given."""
    if not endpoint:
        return []
    parts = urlsplit(endpoint)
    problems = []
    if parts.port == 4317:
        problems.append(f"OTel endpoint {endpoint} is the OTLP/gRPC port 4317 (exporter: HTTP)")
    if not parts.path.endswith("/v1/traces"):
        problems.append(f"OTel endpoint {endpoint} lacks the path /v1/traces (spans dropped)")
    return problems


def selects_pod(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels, and matchExpressions with In / NotIn) against pod labels."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for e in selector.get("matchExpressions", []):
        inside = labels.get(e["key"]) in e.get("values", [])
        if (e["operator"] == "In") != inside:
            return False
    return True


def egress_allows(policies: list[Manifest], labels: dict[str, str], port: int) -> bool:
    """Some NetworkPolicy selecting these pod labels lets them open TCP ``port`` somewhere
    outside the cluster's pods (an ipBlock, or any address)."""
    for policy in policies:
        spec = policy["spec"]
        if not selects_pod(spec["podSelector"], labels):
            continue
        for rule in spec.get("egress", []):
            ports = {p.get("port") for p in rule.get("ports", [])}
            external = not rule.get("to") or any("ipBlock" in peer for peer in rule["to"])
            if external and (not ports or port in ports):
                return True
    return False


# ------------------------------------------------------------------------------ the namespace
PSA_MODES = ("enforce", "audit", "warn")


def namespace_problems(docs: list[Manifest], namespace: str) -> list[str]:
    """The namespace chart's render: restricted PSA in every mode, a default-deny policy, a
    quota and a limit range in the namespace."""
    kinds = {d["kind"]: d for d in docs}
    ns = kinds.get("Namespace")
    if not ns or ns["metadata"]["name"] != namespace:
        return [f"no Namespace {namespace} rendered"]
    labels = ns["metadata"].get("labels", {})
    problems = [
        f"Namespace/{namespace}: pod-security.kubernetes.io/{mode} is not restricted"
        for mode in PSA_MODES
        if labels.get(f"pod-security.kubernetes.io/{mode}") != "restricted"
    ]
    problems += [
        f"{d['kind']}/{d['metadata']['name']}: namespace {d['metadata'].get('namespace')!r}"
        for d in docs
        if d["kind"] != "Namespace" and d["metadata"].get("namespace") != namespace
    ]
    deny = [
        d
        for d in docs
        if d["kind"] == "NetworkPolicy"
        and d["spec"]["podSelector"] == {}
        and set(d["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not d["spec"].get("ingress")
        and not d["spec"].get("egress")
    ]
    if not deny:
        problems.append("no default-deny NetworkPolicy (every pod, ingress and egress, no rule)")
    problems += [f"no {k} rendered" for k in ("ResourceQuota", "LimitRange") if k not in kinds]
    return problems


def _pod_count(dep: Manifest, hpas: dict[str, Manifest]) -> int:
    """Pods of a Deployment at its largest: the HPA's maximum or its replicas, plus the surge
    pods of a rolling update."""
    hpa = hpas.get(dep["metadata"]["name"])
    replicas = hpa["spec"]["maxReplicas"] if hpa else dep["spec"].get("replicas", 1)
    surge = dep["spec"].get("strategy", {}).get("rollingUpdate", {}).get("maxSurge", 1)
    if isinstance(surge, str):  # a percentage, rounded up as the controller does
        surge = -(-replicas * int(surge.rstrip("%")) // 100)
    return int(replicas) + int(surge)


def _pod_resources(spec: dict[str, Any]) -> dict[str, Decimal]:
    """A pod's effective requests and limits, as quota counts them: the larger of the sum of
    its containers and its largest init container."""
    totals: dict[str, Decimal] = {}
    for c in spec["containers"]:
        for key, value in _flat(c).items():
            totals[key] = totals.get(key, Decimal(0)) + value
    for c in spec.get("initContainers", []):
        for key, value in _flat(c).items():
            totals[key] = max(totals.get(key, Decimal(0)), value)
    return totals


def _flat(container: dict[str, Any]) -> dict[str, Decimal]:
    res = container.get("resources", {})
    return {
        f"{kind}.{name}": quantity(value)
        for kind in ("requests", "limits")
        for name, value in res.get(kind, {}).items()
    }


def quota_problems(ns_docs: list[Manifest], release: list[Manifest]) -> tuple[list[str], str]:
    """Every container of the release within the LimitRange, and the release at its largest
    within the ResourceQuota. Returns the problems and an account of the sums."""
    quota = next(d for d in ns_docs if d["kind"] == "ResourceQuota")["spec"]["hard"]
    limit_range = next(d for d in ns_docs if d["kind"] == "LimitRange")["spec"]["limits"]
    hpas = {
        d["spec"]["scaleTargetRef"]["name"]: d
        for d in release
        if d["kind"] == "HorizontalPodAutoscaler"
    }
    problems: list[str] = []
    used: dict[str, Decimal] = {"pods": Decimal(0)}
    for dep in (d for d in release if d["kind"] == "Deployment"):
        spec = dep["spec"]["template"]["spec"]
        problems += _limit_range_problems(dep["metadata"]["name"], spec, limit_range)
        count = _pod_count(dep, hpas)
        used["pods"] += count
        for key, value in _pod_resources(spec).items():
            used[key] = used.get(key, Decimal(0)) + value * count
    types = [d["spec"].get("type", "ClusterIP") for d in release if d["kind"] == "Service"]
    # A LoadBalancer Service allocates node ports too.
    used["services.nodeports"] = Decimal(sum(t in {"NodePort", "LoadBalancer"} for t in types))
    used["services.loadbalancers"] = Decimal(types.count("LoadBalancer"))
    for key, hard in quota.items():
        if key in used and used[key] > quantity(hard):
            problems.append(
                f"ResourceQuota {key}: the release needs {used[key]} at its largest, quota {hard}"
            )
    for key in ("requests.cpu", "requests.memory", "limits.memory"):
        if key in quota and any(_missing(d, key) for d in release if d["kind"] == "Deployment"):
            problems.append(f"ResourceQuota {key}: a container sets no {key} (the pod is refused)")
    account = ", ".join(f"{k} {_show(k, used[k])}/{quota[k]}" for k in sorted(quota) if k in used)
    return problems, account


def _show(key: str, value: Decimal) -> str:
    if key.endswith("memory"):
        return f"{value / 2**30:.1f}Gi"
    return f"{value.normalize():f}"


def _missing(dep: Manifest, key: str) -> bool:
    spec = dep["spec"]["template"]["spec"]
    return any(key not in _flat(c) for c in spec.get("initContainers", []) + spec["containers"])


def _limit_range_problems(
    name: str, spec: dict[str, Any], limits: list[dict[str, Any]]
) -> list[str]:
    problems = []
    for item in (x for x in limits if x.get("type") == "Container"):
        for c in spec.get("initContainers", []) + spec["containers"]:
            for key, value in _flat(c).items():
                resource = key.split(".", 1)[1]
                top = item.get("max", {}).get(resource)
                if top is not None and value > quantity(top):
                    problems.append(
                        f"Deployment/{name} {c['name']}: {key} above the LimitRange max {top}"
                    )
    return problems
