"""Check the chart's PrometheusRule of one district (called by infra/helm/check.sh): every
selector of the spotcheck series names the district, every namespace selector its namespace,
every alert has a runbook_url, the regional groups are left out. Writes its groups as a rule
file for `promtool check rules`.

Usage: narrowed.py DISTRICT RENDERED.yaml GROUPS-OUT.yaml
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml


def problems(district: str, groups: list[dict[str, Any]]) -> list[str]:
    found = []
    job = re.compile(r'job="spotcheck"(?!, district="' + re.escape(district) + '")')
    for group in groups:
        if group["name"].startswith("spotcheck.regional."):
            found.append(f"group {group['name']}: regional, without prometheusRule.regional")
        for rule in group["rules"]:
            name = rule.get("alert") or rule.get("record")
            expr = rule["expr"]
            if job.search(expr):
                found.append(f'{name}: a job="spotcheck" selector without the district')
            if 'namespace=~"spotcheck-' in expr:
                found.append(f"{name}: a namespace selector of every district")
            if "alert" in rule and not rule.get("annotations", {}).get("runbook_url"):
                found.append(f"{name}: no runbook_url")
    return found


def main(district: str, rendered: str, out: str) -> int:
    rule = yaml.safe_load(Path(rendered).read_text())
    groups = rule["spec"]["groups"]
    found = problems(district, groups)
    for p in found:
        print(f"FAIL {district}: {p}")
    Path(out).write_text(yaml.safe_dump({"groups": groups}, allow_unicode=True))
    rules = sum(len(g["rules"]) for g in groups)
    if not found:
        print(f"{len(groups)} groups, {rules} rules, all narrowed to {district}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
