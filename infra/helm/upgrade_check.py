"""What `helm upgrade` from the previous chart version would break, for one district.

Compares the previous chart's render (with the district's values of that time) with the new
chart's render (with today's values) and fails when:
- a Deployment's selector changes (immutable: the upgrade is refused by the API server);
- a Service's type or its ports' names and protocols change (clients and Ingresses break);
- an object of the previous release is gone (removed or renamed: Helm deletes it) and the
  CHANGELOG's upgrade notes for the new version do not name it as `Kind/name`.
It also lists the Secrets the new release needs that the previous one did not use (the
operator creates them before upgrading: the CHANGELOG says how).

Usage: upgrade_check.py --changelog CHANGELOG.md --version 0.2.0 PREVIOUS.yaml NEW.yaml
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from guardrails import secret_refs

Manifest = dict[str, Any]


def load(path: Path) -> dict[str, Manifest]:
    with path.open() as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs}


def upgrade_notes(changelog: str, version: str) -> str:
    """The section of ``version`` (from its ``## [version]`` heading to the next one)."""
    match = re.search(rf"^## \[{re.escape(version)}\].*?(?=^## \[|\Z)", changelog, re.M | re.S)
    return match.group(0) if match else ""


def _ports(svc: Manifest) -> set[tuple[str, str]]:
    return {(p.get("name", ""), p.get("protocol", "TCP")) for p in svc["spec"].get("ports", [])}


def immutable_problems(old: dict[str, Manifest], new: dict[str, Manifest]) -> list[str]:
    problems = []
    for key in sorted(old.keys() & new.keys()):
        before, after = old[key].get("spec", {}), new[key].get("spec", {})
        if key.startswith("Deployment/") and before["selector"] != after["selector"]:
            problems.append(
                f"{key}: spec.selector changes ({before['selector']} -> {after['selector']}); "
                "it is immutable: the upgrade would be refused"
            )
        if key.startswith("Service/"):
            if before.get("type", "ClusterIP") != after.get("type", "ClusterIP"):
                problems.append(f"{key}: type changes {before.get('type')} -> {after.get('type')}")
            if _ports(old[key]) != _ports(new[key]):
                problems.append(
                    f"{key}: ports change {sorted(_ports(old[key]))} -> {sorted(_ports(new[key]))}"
                )
    return problems


def removed_problems(old: dict[str, Manifest], new: dict[str, Manifest], notes: str) -> list[str]:
    return [
        f"{key} of the previous release is removed or renamed (helm upgrade deletes it) and the "
        f"CHANGELOG's upgrade notes do not name `{key}`"
        for key in sorted(old.keys() - new.keys())
        if f"`{key}`" not in notes
    ]


def new_secrets(old: dict[str, Manifest], new: dict[str, Manifest]) -> list[str]:
    before = {s for d in old.values() for s in secret_refs(d)}
    return sorted({s for d in new.values() for s in secret_refs(d)} - before)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changelog", type=Path, required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("previous", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    notes = upgrade_notes(args.changelog.read_text(), args.version)
    if "upgrade" not in notes.lower():
        print(f"FAIL {args.changelog}: no upgrade notes under ## [{args.version}]")
        return 1
    old, new = load(args.previous), load(args.new)
    problems = immutable_problems(old, new) + removed_problems(old, new, notes)
    for p in problems:
        print(f"FAIL {args.new.stem}: {p}")
    if problems:
        return 1
    gone = len(old.keys() - new.keys())
    needed = new_secrets(old, new)
    print(
        f"ok   {args.new.stem}: {len(old.keys() & new.keys())} objects kept with their selectors "
        f"and Service ports, {gone} removed (acknowledged), Secrets to create first: "
        f"{', '.join(needed) or 'none'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
