"""Validates Strimzi resources against the openAPIV3Schema of their CRDs (offline).

    python infra/kafka/validate_strimzi.py CRD_DIR MANIFEST...

Every document must be a kind and apiVersion some CRD in CRD_DIR serves (or a ConfigMap, CORE),
have a name and a namespace, and satisfy that version's schema. As kubectl's strict field
validation would, a field the schema does not declare is an error (unless the schema preserves
unknown fields), so a misspelt key does not pass silently. Before that, a few known-bad objects
must be refused: a validator that accepts everything fails here.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

Schemas = dict[tuple[str, str], dict[str, Any]]


def load_crds(directory: Path) -> Schemas:
    schemas: Schemas = {}
    for path in sorted(directory.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    strict = _strict(version["schema"]["openAPIV3Schema"])
                    schemas[f"{group}/{version['name']}", kind] = strict
    return schemas


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with undeclared properties refused where Kubernetes would prune them."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    # metadata is ObjectMeta (not in the CRD): allow it whole.
    schema.setdefault("properties", {})["metadata"] = {"type": "object"}
    return schema


# Core objects beside the Strimzi ones (the JMX exporter's ConfigMap, kafka-metrics.yaml).
CORE: Schemas = {
    ("v1", "ConfigMap"): {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "data"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "v1"},
            "kind": {"const": "ConfigMap"},
            "metadata": {"type": "object"},
            "data": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
}


def problems(doc: dict[str, Any], schemas: Schemas) -> list[str]:
    kind, api = doc.get("kind"), doc.get("apiVersion")
    meta = doc.get("metadata") or {}
    where = f"{kind} {meta.get('name')}"
    schema = schemas.get((str(api), str(kind))) or CORE.get((str(api), str(kind)))
    if schema is None:
        return [f"{where}: no served CRD version for {api} {kind}"]
    found = (
        [f"{where}: metadata needs name and namespace"]
        if not (meta.get("name") and meta.get("namespace"))
        else []
    )
    validator = jsonschema.Draft7Validator(schema)
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
        path = "/".join(str(p) for p in error.path)
        found.append(f"{where}: /{path}: {error.message}")
    return found


def self_test(schemas: Schemas) -> list[str]:
    """Objects the schemas must refuse (a wrong enum, a misspelt field, a missing field)."""
    user = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaUser",
        "metadata": {"name": "x", "namespace": "n"},
        "spec": {"authentication": {"type": "scram-sha-512"}},
    }
    bad_operation = copy.deepcopy(user)
    bad_operation["spec"]["authorization"] = {
        "type": "simple",
        "acls": [{"resource": {"type": "topic", "name": "x."}, "operations": ["Frobnicate"]}],
    }
    misspelt = copy.deepcopy(user)
    misspelt["spec"]["quota"] = {"producerByteRate": 1}
    no_listeners = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "Kafka",
        "metadata": {"name": "x", "namespace": "n"},
        "spec": {"kafka": {}},
    }
    accepted = [
        name
        for name, doc in [
            ("an unknown ACL operation", bad_operation),
            ("a misspelt field", misspelt),
            ("a Kafka without listeners", no_listeners),
        ]
        if not problems(doc, schemas)
    ]
    good = problems(user, schemas)
    return [f"self-test: {a} was accepted" for a in accepted] + [f"self-test: {g}" for g in good]


def main(argv: list[str]) -> int:
    crd_dir, manifests = Path(argv[0]), [Path(p) for p in argv[1:]]
    schemas = load_crds(crd_dir)
    found = self_test(schemas)
    count = 0
    for path in manifests:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                count += 1
                found += [f"{path.name}: {p}" for p in problems(doc, schemas)]
    for problem in found:
        print(f"FAIL {problem}", file=sys.stderr)
    if found:
        return 1
    print(f"ok   strimzi: {count} objects valid against the CRDs' schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
