"""The in-browser draw verifier (static/js/verify/draw.js): its Node test suite passes, and on
fresh bundles drawn by the draws test factories it gives the reference verifier's verdict
(verify_draw.py), also on the same tampered copies."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[4]
JS_TESTS = ROOT / "services" / "portal" / "tests" / "js"
VERIFY_PY = ROOT / "services" / "draws" / "src" / "draws" / "verify_draw.py"
FACTORIES = ROOT / "services" / "draws" / "tests" / "unit" / "factories.py"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node (20+) is not installed")

# Fresh draws: the factories' vector configurations under new names, so new random data
# (the committed vectors themselves are checked by the Node suite).
BASES = [
    "basic",
    "beacon-recusal-replacement",
    "experts",
    "signed-leaders-scarce",
    "qualifications",
    "product-sampling",
]
GENERATE = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("factories", sys.argv[1])
f = importlib.util.module_from_spec(spec)
spec.loader.exec_module(f)
from draws.domain import ledger, protocol as p
out = Path(sys.argv[2])
for base in sys.argv[3:]:
    name = "fresh-" + base
    draw, pop, _ = f._vector(name, f.VECTORS[base])
    (out / base).mkdir()
    (out / base / "bundle.json").write_bytes(p.canonical_json(f.vector_bundle(name, draw, pop)))
    if draw.signed:
        whole = ledger.extract(draw.manifest["district"], f.LEDGERS[name].records)
        (out / base / "log.json").write_bytes(p.canonical_json(whole))
"""


def canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fresh-draws")
    subprocess.run(
        [sys.executable, "-c", GENERATE, str(FACTORIES), str(out), *BASES], cwd=ROOT, check=True
    )
    return out


def python_verdict(bundle: Path, log: Path | None) -> int:
    args = [str(bundle)] + (["--log", str(log)] if log else [])
    return subprocess.run(
        [sys.executable, "-I", str(VERIFY_PY), *args], capture_output=True, check=False
    ).returncode


def js_verdict(bundle: Path, log: Path | None) -> tuple[int, dict[str, Any]]:
    args = [str(bundle)] + (["--log", str(log)] if log else [])
    proc = subprocess.run(
        [str(NODE), str(JS_TESTS / "cli.mjs"), *args], capture_output=True, text=True, check=False
    )
    return proc.returncode, json.loads(proc.stdout)


def test_the_node_suite_passes() -> None:
    proc = subprocess.run(
        [str(NODE), "--test", str(JS_TESTS) + "/"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout


def _swap_first_team(body: dict[str, Any]) -> None:
    team = next(t["team"] for t in body["result"]["targets"] if t["team"])
    team[0][0], team[1][0] = team[1][0], team[0][0]


def _flip_commitment(body: dict[str, Any]) -> None:
    c = body["commitments"][0]["commitment"]
    body["commitments"][0]["commitment"] = ("1" if c[0] == "0" else "0") + c[1:]


def _load_cap(body: dict[str, Any]) -> None:
    body["result"]["load_cap"] += 1


def _short_walk(body: dict[str, Any]) -> None:
    next(s for s in body["result"]["strata"] if s["walk"])["walk"].pop()


def _roster_name(body: dict[str, Any]) -> None:
    body["roster"][0]["name"] += "甲"


def _late_reveal(body: dict[str, Any]) -> None:
    body["reveals"][-1]["at"] = "2099-01-01T00:00:00+08:00"


TAMPERINGS: dict[str, Callable[[dict[str, Any]], None]] = {
    "team order": _swap_first_team,
    "commitment": _flip_commitment,
    "load cap": _load_cap,
    "walk": _short_walk,
    "roster": _roster_name,
    "reveal time": _late_reveal,
}


@pytest.mark.parametrize("base", BASES)
def test_fresh_bundles_verify_alike_and_tampered_copies_fail_alike(
    fresh: Path, base: str, tmp_path: Path
) -> None:
    bundle = fresh / base / "bundle.json"
    log = fresh / base / "log.json"
    log_or_none = log if log.exists() else None
    code, result = js_verdict(bundle, log_or_none)
    assert python_verdict(bundle, log_or_none) == 0
    assert code == 0, result.get("error_zh")
    assert result["recomputed"]["body_sha256"] == json.loads(bundle.read_bytes())["body_sha256"]
    signed = result["version"] == "spotcheck-draw/3"
    for what, change in TAMPERINGS.items():
        # before /3 the act times are informative: both verifiers accept a changed one
        refused = 1 if signed or what != "reveal time" else 0
        body = json.loads(bundle.read_bytes())["body"]
        change(body)
        body["result_sha256"] = digest(body["result"])  # as a forger would
        forged = tmp_path / f"{what}.json"
        forged.write_bytes(canonical({"body": body, "body_sha256": digest(body)}))
        js_code, js_result = js_verdict(forged, log_or_none)
        assert python_verdict(forged, log_or_none) == refused, what
        assert js_code == refused, js_result.get("error_zh") or what


def _run(args: list[str], data: bytes) -> int:
    return subprocess.run(args, input=data, capture_output=True, check=False).returncode


@pytest.mark.parametrize("name", ["proof-included.json", "proof-absent.json"])
@pytest.mark.parametrize("changed", [False, True])
def test_a_proof_gets_the_reference_verdict(name: str, changed: bool) -> None:
    proof = json.loads((ROOT / "docs" / "draw-vectors" / "statuses-and-caps" / name).read_bytes())
    if changed:  # a sibling on the audit path
        path = proof["path"] if proof["included"] else proof["chunks"][0]["path"]
        path[0] = ("1" if path[0][0] == "0" else "0") + path[0][1:]
    data = json.dumps(proof).encode()
    js = _run([str(NODE), str(JS_TESTS / "cli.mjs"), "--proof", "/dev/stdin"], data)
    ref = _run([sys.executable, "-I", str(VERIFY_PY), "--proof", "/dev/stdin"], data)
    assert js == ref == (1 if changed else 0)


@pytest.mark.parametrize(("base", "kind"), [("product-sampling", None), ("basic", "product")])
def test_both_verifiers_refuse_objects_of_another_kind_than_the_manifest_says(
    fresh: Path, base: str, kind: str | None, tmp_path: Path
) -> None:
    """§4.1: products passed off as market entities (the kind taken out of the manifest), or
    market entities as products, fail in both verifiers for that reason."""
    body = json.loads((fresh / base / "bundle.json").read_bytes())["body"]
    scope = body["manifest"]["target_filter"]
    scope.pop("object_kind", None)
    if kind:
        scope["object_kind"] = kind
    body["manifest_sha256"] = digest(body["manifest"])  # as a forger would
    forged = tmp_path / "forged.json"
    forged.write_bytes(canonical({"body": body, "body_sha256": digest(body)}))
    js_code, js_result = js_verdict(forged, None)
    py = subprocess.run(
        [sys.executable, "-I", str(VERIFY_PY), str(forged)], capture_output=True, text=True
    )
    assert py.returncode == js_code == 1
    assert "is not an object of kind" in py.stdout + py.stderr
    assert "类检查对象" in js_result.get("error_zh", "")
