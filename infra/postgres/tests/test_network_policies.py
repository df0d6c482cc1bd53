"""The database's NetworkPolicies: generated from the values, and the checks that
infra/postgres/check-manifests.sh runs on them catch real mistakes (no CRDs needed here)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from generate_manifests import ValuesError, district_values, expected, network
from validate_manifests import kubernetes_problems, network_problems

Obj = dict[str, Any]
VALUES = {v["district"]: v for v in district_values().values()}
FILES = {path.stem: [o for o in yaml.safe_load_all(text) if o] for path, text in expected().items()}


def policy(objects: list[Obj], suffix: str) -> Obj:
    return next(
        o["spec"]
        for o in objects
        if o["kind"] == "NetworkPolicy" and o["metadata"]["name"].endswith(suffix)
    )


def problems(district: str, objects: list[Obj]) -> list[str]:
    return list(network_problems(district, objects, VALUES[district]))


@pytest.mark.parametrize("district", sorted(FILES))
def test_every_district_passes(district: str) -> None:
    objects = FILES[district]
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    assert [p["metadata"]["name"] for p in policies] == [
        f"spotcheck-{district}-pg-instances",
        f"spotcheck-{district}-pg-jobs",
        f"spotcheck-{district}-pg-pooler",
    ]
    assert problems(district, objects) == []
    assert [e for p in policies for e in kubernetes_problems(p, "1.31.0")] == []


def _services_peer_to_instances(o: list[Obj]) -> None:
    services = policy(o, "-pooler")["ingress"][0]["from"][0]
    policy(o, "-instances")["ingress"][0]["from"].append(services)


def _pooler_selects_whole_cluster(o: list[Obj]) -> None:
    policy(o, "-pooler")["podSelector"] = {
        "matchLabels": {"cnpg.io/cluster": "spotcheck-lingang-pg"}
    }


def _services_selector_names_the_portal(o: list[Obj]) -> None:
    policy(o, "-pooler")["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0][
        "values"
    ] = ["portal"]


FAULTS: dict[str, tuple[Callable[[list[Obj]], Any], list[str]]] = {
    "a label CloudNativePG does not set": (
        lambda o: policy(o, "-instances")["podSelector"]["matchLabels"].update(
            {"cnpg.io/podRole": "primary"}
        ),
        [
            "spotcheck-lingang-pg-instances: its podSelector selects no pod of the Cluster",
            "an instance -> an instance 5432/TCP blocked (streaming replication)",
        ],
    ),
    "a metrics port nobody listens on": (
        lambda o: policy(o, "-instances")["ingress"][2]["ports"][0].update(port=9817),
        [
            "ingress[2]: an instance listens on no port 9817",
            "Prometheus -> an instance 9187/TCP blocked",
        ],
    ),
    "a selector that takes the instances too": (
        _pooler_selects_whole_cluster,
        [
            "pooler ingress[1]: an instance, a join job listens on no port 9127",
            "registry (spotcheck-lingang) -> an instance 5432/TCP open",
        ],
    ),
    "a selector that takes the services": (
        lambda o: policy(o, "-jobs").update(podSelector={}),
        ["pg-jobs: selects draws (spotcheck-lingang), which is not the database's"],
    ),
    "no replication": (
        lambda o: policy(o, "-instances")["ingress"][0]["from"].pop(0),
        ["an instance -> an instance 5432/TCP blocked (streaming replication)"],
    ),
    "no DNS over TCP": (
        lambda o: policy(o, "-pooler")["egress"][0]["ports"].pop(),
        ["PgBouncer -> DNS 53/TCP blocked"],
    ),
    "no API server for PgBouncer": (
        lambda o: policy(o, "-pooler")["egress"].pop(),
        ["PgBouncer -> the API server (10.20.0.0/28) 6443/TCP blocked"],
    ),
    "no object store for the jobs (a recovery)": (
        lambda o: policy(o, "-jobs")["egress"].pop(),
        ["a join job -> the object store (10.40.0.0/28) 443/TCP blocked"],
    ),
    "the services' selector names the portal": (
        _services_selector_names_the_portal,
        [
            "registry (spotcheck-lingang) -> PgBouncer 5432/TCP blocked",
            "portal (spotcheck-lingang) -> PgBouncer 5432/TCP open (the portal owns no data)",
        ],
    ),
    "the services straight to the instances": (
        _services_peer_to_instances,
        ["registry (spotcheck-lingang) -> an instance 5432/TCP open"],
    ),
    "an ingress rule from anyone on any port": (
        lambda o: policy(o, "-pooler")["ingress"].append({}),
        [
            "pooler ingress[2]: without 'from' and 'ports' it opens too much",
            "draws (spotcheck-otherdistrict) -> PgBouncer 5432/TCP open (another district's pods)",
        ],
    ),
    "egress to any address": (
        lambda o: policy(o, "-jobs")["egress"].append({"ports": [{"port": 443}]}),
        [
            "jobs egress[4]: without 'to' and 'ports' it opens too much",
            "a join job -> an address nobody gave (198.51.100.7) 443/TCP open (no blanket egress)",
        ],
    ),
    "a policy that forgets Egress": (
        lambda o: policy(o, "-instances").update(policyTypes=["Ingress"]),
        ["policyTypes must be Ingress and Egress", "an instance -> DNS 53/UDP blocked"],
    ),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_a_fault_is_found_with_its_reason(name: str) -> None:
    fault, wanted = FAULTS[name]
    objects = copy.deepcopy(FILES["lingang"])
    fault(objects)
    found = "\n".join(problems("lingang", objects))
    for fragment in wanted:
        assert fragment in found


def test_a_mistyped_field_fails_the_kubernetes_schema() -> None:
    objects = copy.deepcopy(FILES["lingang"])
    policy(objects, "-pooler")["podSelectors"] = {}
    (pooler,) = [
        o for o in objects if o["kind"] == "NetworkPolicy" and "pooler" in o["metadata"]["name"]
    ]
    assert any("podSelectors" in p for p in kubernetes_problems(pooler, "1.31.0"))


@pytest.mark.parametrize(
    ("key", "cidrs", "reason"),
    [
        ("apiServer", [], "postgres.networkPolicy.apiServer.cidrs is empty: the instances"),
        (
            "objectStore",
            [],
            "postgres.networkPolicy.objectStore.cidrs is empty: the instances could",
        ),
        ("objectStore", ["10.40.0.5/28"], "10.40.0.5/28 has host bits set"),
        ("apiServer", ["api.region.example"], "does not appear to be an IPv4 or IPv6 network"),
    ],
)
def test_the_generator_refuses_cidrs_the_database_cannot_work_with(
    key: str, cidrs: list[str], reason: str
) -> None:
    values = copy.deepcopy(VALUES["lingang"])
    values["postgres"]["networkPolicy"][key]["cidrs"] = cidrs
    with pytest.raises(ValuesError, match=re.escape(reason)):
        network(values)


def test_the_chart_default_is_refused() -> None:
    """Without a district's CIDRs (the chart's empty defaults) nothing is generated."""
    values = copy.deepcopy(VALUES["lingang"])
    del values["postgres"]["networkPolicy"]["apiServer"]["cidrs"]
    with pytest.raises(ValuesError, match=re.escape("apiServer.cidrs is empty")):
        network(values)
