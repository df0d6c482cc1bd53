"""The stand-alone verifier: passes honest bundles, names the first difference otherwise."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from draws import verify_draw
from draws.domain import protocol as p
from draws.service_layer import services
from spotcheck_common.clock import FixedClock
from spotcheck_common.errors import Conflict

from . import factories
from .fakes import FakeDrawsRepository, FakeDrawsUnitOfWork
from .parties import Parties, published, replaced

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


async def honest_bundle(n: int = 300, replace: bool = True) -> dict[str, Any]:
    repo = FakeDrawsRepository()
    ents, insp, conflict, task = factories.events(n, 24)
    await services.entities_imported(FakeDrawsUnitOfWork(repo), ents)
    await services.inspectors_imported(FakeDrawsUnitOfWork(repo), insp, "lingang")
    # recusals: inspector LG0001..LG0005 declared conflicts with many entities
    from spotcheck_common.events.registry import ConflictDeclared

    for i in range(1, 6):
        for e in ents.entities[: n // 2]:
            await services.conflict_declared(
                FakeDrawsUnitOfWork(repo),
                ConflictDeclared(inspector_id=f"LG{i:04d}", uscc=e.uscc, reason="x"),
            )
    await services.conflict_declared(FakeDrawsUnitOfWork(repo), conflict)
    await services.task_approved(FakeDrawsUnitOfWork(repo), task)
    uow = FakeDrawsUnitOfWork(repo)
    draw = await services.create_draw(
        uow,
        district="lingang",
        task_id="T-1",
        now=NOW,
        beacon_source="上海证券交易所上证指数收盘点位（2026-11-30）",
        beacon_encoding="收盘点位，保留两位小数的十进制文本，UTF-8",
        beacon_available_at=NOW + timedelta(days=4),
    )
    shares = {party: hashlib.sha256(party.encode()).digest() for party in draw.parties}
    parties = Parties(uow)
    await parties.run(draw.draw_id, shares, countersign=False)
    with pytest.raises(Conflict, match="之后才公布"):  # §14.8: not before it is public
        await services.set_beacon(uow, draw.draw_id, "0badc0ffee")
    assert isinstance(uow.clock, FixedClock)
    uow.clock.set(NOW + timedelta(days=4, hours=1))
    await services.set_beacon(uow, draw.draw_id, "0badc0ffee")
    await parties.countersign(draw.draw_id)
    d = repo.draws[draw.draw_id]
    assert d.result is not None
    if replace:
        t = next(t for t in d.result["targets"] if t["team"])
        approval = await services.approve_replacement(
            uow.as_("deputy-wang"),
            draw.draw_id,
            uscc=t["uscc"],
            inspector_id=t["team"][0][0],
            reason="病",
            by_name="王副局长",
        )
        await services.replace_inspector(
            uow.as_("credit-zhang"),
            draw.draw_id,
            uscc=t["uscc"],
            inspector_id=t["team"][0][0],
            reason="病",
            approval_id=approval["approval_id"],
        )
        await replaced(parties, draw.draw_id, approval["approval_id"])
    return await published(repo, draw.draw_id)


def rehash(bundle: dict[str, Any]) -> dict[str, Any]:
    """Recompute the digests after a change, as a careful forger would."""
    body = bundle["body"]
    body["manifest_sha256"] = p.json_sha256(body["manifest"])
    body["result_sha256"] = p.json_sha256(body["result"])
    if body["countersign"]:
        body["countersign"]["result_sha256"] = body["result_sha256"]
    bundle["body_sha256"] = p.json_sha256(body)
    return bundle


async def test_honest_bundle_passes() -> None:
    bundle = await honest_bundle()
    report = verify_draw.verify(bundle)
    assert report.ok, report.difference
    assert bundle["body"]["result"]["recusal_disclosures"], "the recusals were met and disclosed"


async def test_every_single_byte_change_is_detected() -> None:
    raw = p.canonical_json(await honest_bundle(60, replace=False))
    assert verify_draw.verify_bytes(raw).ok
    step = max(1, len(raw) // 1500)
    for pos in range(0, len(raw), step):
        for delta in (1, 0x20):
            tampered = bytearray(raw)
            tampered[pos] ^= delta
            report = verify_draw.verify_bytes(bytes(tampered))
            assert not report.ok, f"byte {pos} ^ {delta} went unnoticed"


def _other(b: dict[str, Any]) -> str:
    r = b["body"]["replacements"][0]
    return next(
        x["inspector_id"] for x in b["body"]["roster"] if x["inspector_id"] != r["replacement"]
    )


def _first_selected(body: dict[str, Any]) -> tuple[int, int]:
    for k, s in enumerate(body["result"]["strata"]):
        for j, w in enumerate(s["walk"]):
            if w[1] == "selected":
                return k, j
    raise AssertionError


@pytest.mark.parametrize(
    "tamper, expected",
    [
        (
            lambda b: b["body"]["manifest"]["strata"][0].update(
                ratio_bp=b["body"]["manifest"]["strata"][0]["ratio_bp"] + 1
            ),
            "commitment|seed",
        ),
        (lambda b: b["body"]["reveals"][0].update(share="11" * 32), "commitment"),
        (lambda b: b["body"].update(beacon_value="0badc0fff0"), "seed"),
        (lambda b: b["body"]["result"]["targets"].reverse(), "target order"),
        (
            lambda b: b["body"]["result"]["strata"][_first_selected(b["body"])[0]]["walk"][
                _first_selected(b["body"])[1]
            ].__setitem__(1, "yearly_cap"),
            "selection step",
        ),
        (lambda b: b["body"]["result"]["targets"][0]["team"].reverse(), "team of"),
        (
            lambda b: b["body"]["result"]["unstaffed"].append(
                b["body"]["result"]["targets"][0]["uscc"]
            ),
            "unstaffed",
        ),
        (
            lambda b: b["body"]["result"].update(load_cap=b["body"]["result"]["load_cap"] + 1),
            "load cap",
        ),
        (
            lambda b: b["body"]["roster"][3].update(
                leader_qualified=not b["body"]["roster"][3]["leader_qualified"]
            ),
            "roster Merkle root",
        ),
        (lambda b: b["body"]["result"]["recusal_disclosures"].pop(0), "team of"),
        (
            lambda b: b["body"]["result"]["recusal_disclosures"][0].update(salt="00" * 16),
            "does not open",
        ),
        (lambda b: b["body"]["replacements"][0].update(replacement=_other(b)), "replacement 1"),
        (lambda b: b["body"]["replacements"][0].update(approved_by=""), "approval"),
        (
            lambda b: b["body"]["population"].update(
                checks=__import__("base64")
                .b64encode(b"\x05" * b["body"]["manifest"]["population"]["size"])
                .decode()
            ),
            "population Merkle root",
        ),
    ],
)
async def test_semantic_tampering_is_named(tamper: Any, expected: str) -> None:
    bundle = await honest_bundle()
    tamper(bundle)
    report = verify_draw.verify(rehash(bundle))
    assert not report.ok
    import re

    assert re.search(expected, report.difference or ""), report.difference


async def test_command_line_exit_codes(tmp_path: Path) -> None:
    bundle = await honest_bundle(80, replace=False)
    _run_cli(bundle, tmp_path)


def _run_cli(bundle: dict[str, Any], tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_bytes(p.canonical_json(bundle))
    script = Path(verify_draw.__file__)
    ok = subprocess.run(
        [sys.executable, "-I", str(script), str(good)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK" in ok.stdout
    bundle["body"]["result"]["targets"][0]["team"].reverse()
    bad = tmp_path / "bad.json"
    bad.write_bytes(p.canonical_json(rehash(bundle)))
    fail = subprocess.run(
        [sys.executable, "-I", str(script), str(bad)], capture_output=True, text=True
    )
    assert fail.returncode == 1
    assert "DIFFERENCE: team of" in fail.stdout
    missing = subprocess.run(
        [sys.executable, "-I", str(script), str(tmp_path / "none")], capture_output=True
    )
    assert missing.returncode == 2


def test_verifier_uses_only_the_standard_library() -> None:
    source = Path(verify_draw.__file__).read_text(encoding="utf-8")
    imported = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from ")) and "__future__" not in line
    }
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
    json.dumps(sorted(imported))
