"""The draw ceremony's pages without a browser: the new-draw form as the API takes it, which
actions each person is offered at each step, the data the page's script signs from, and the
script's bytes against the reference client's (run in Node on fresh random inputs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from draws import ed25519
from draws.domain import protocol as p
from portal.adapters.api import ApiError
from portal.domain import draws as d
from portal.service_layer import draws as svc

from .fakes import FakeApi

ROOT = Path(__file__).resolve().parents[4]
PROTOCOL_JS = ROOT / "services/portal/src/portal/entrypoints/static/js/ceremony/protocol.js"
NODE = shutil.which("node")
DRAW_ID = "0b6c1c1e-4f6a-4c7e-9d7e-3c2b1a0f9e8d"


def key(key_id: str, party: str, holder: str, revoked: int | None = None) -> dict[str, Any]:
    return {
        "key_id": key_id,
        "party": party,
        "holder": holder,
        "revoked_seq": revoked,
        "valid_from": "2026-11-16",
        "valid_until": "2027-11-16",
    }


def draw(status: str = "frozen", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "draw_id": DRAW_ID,
        "status": status,
        "parties": ["信用监管科", "办公室"],
        "manifest": {"beacon": None},
        "manifest_sha256": "ab" * 32,
        "result_sha256": None,
        "commitments": [],
        "reveals": [],
        "replacements": [],
        "replacement_approvals": [],
    }
    return base | fields


def committed(*parties_keys: tuple[str, str]) -> list[dict[str, str]]:
    return [{"party": party, "key_id": k, "commitment": "00" * 32} for party, k in parties_keys]


# ------------------------------------------------------------------------------ the form


def test_the_new_draw_form_becomes_the_apis_body() -> None:
    body = d.draw_body(
        "t1",
        {
            "parties": " 信用监管科、 办公室，相邻区信用监管科 ",
            "reveal_hours": "48",
            "neighbour_rule": "fill-when-short",
            "cap_A": "3",
            "cap_B": "",
            "beacon_source": "中国福利彩票双色球第2026140期开奖号码",
            "beacon_encoding": "红球在前，两位十进制，以 . 连接",
            "beacon_available_at": "2026-11-20T21:30",
        },
    )
    assert body == {
        "task_id": "t1",
        "parties": ["信用监管科", "办公室", "相邻区信用监管科"],
        "neighbour_rule": "fill-when-short",
        "reveal_hours": 48,
        "caps": {"A": 3},
        "beacon_source": "中国福利彩票双色球第2026140期开奖号码",
        "beacon_encoding": "红球在前，两位十进制，以 . 连接",
        "beacon_available_at": "2026-11-20T21:30:00+08:00",  # typed in Beijing time
    }


def test_an_empty_form_takes_the_defaults_and_a_bad_number_reaches_the_api() -> None:
    assert d.draw_body("t1", {}) == {
        "task_id": "t1",
        "parties": ["信用监管科", "办公室"],
        "neighbour_rule": "none",
        "reveal_hours": 72,
    }
    # passed on as typed, so that the API's refusal names the field
    assert d.draw_body("t1", {"reveal_hours": "abc"})["reveal_hours"] == "abc"
    assert d.draw_body("t1", {"reveal_hours": "0"})["reveal_hours"] == 0


# ---------------------------------------------------------------------------- the acts


def test_each_party_commits_only_its_own_share_once() -> None:
    mine = [key("k-credit", "信用监管科", "zhang")]
    acts = d.acts_of(draw(), {"credit_dept"}, "zhang", mine)
    assert acts.commit == ["信用监管科"] and acts.cancel and acts.abort
    assert not acts.countersign and not acts.reveal
    office = d.acts_of(draw(), {"general_office"}, "li", [key("k-office", "办公室", "li")])
    assert office.commit == ["办公室"] and not office.cancel  # only credit cancels
    done = draw(commitments=committed(("信用监管科", "k-credit")))
    assert d.acts_of(done, {"credit_dept"}, "zhang", mine).commit == []  # holds a share


def test_reveal_is_offered_to_who_committed_with_their_key() -> None:
    both = committed(("信用监管科", "k-credit"), ("办公室", "k-office"))
    mine = [key("k-credit", "信用监管科", "zhang")]
    acts = d.acts_of(draw("committed", commitments=both), {"credit_dept"}, "zhang", mine)
    assert acts.reveal == ["信用监管科"]
    other = [key("k-other", "信用监管科", "zhang")]
    assert d.acts_of(draw("committed", commitments=both), {"credit_dept"}, "z", other).reveal == []


def test_countersign_goes_to_an_office_member_holding_no_share() -> None:
    both = committed(("信用监管科", "k-credit"), ("办公室", "k-office"))
    drawn = draw("drawn", commitments=both)
    holder = d.acts_of(drawn, {"general_office"}, "li", [key("k-office", "办公室", "li")])
    assert not holder.countersign and holder.holds_share
    other = d.acts_of(drawn, {"general_office"}, "zhou", [key("k-zhou", "办公室", "zhou")])
    assert other.countersign


def test_the_beacon_is_entered_after_every_reveal_only() -> None:
    manifest = {"beacon": {"source": "s", "encoding": "e", "available_at": "x"}}
    reveals = [{"party": "信用监管科"}, {"party": "办公室"}]
    waiting = draw("committed", manifest=manifest, reveals=reveals[:1])
    assert not d.acts_of(waiting, {"credit_dept"}, "z", []).beacon
    ready = draw("committed", manifest=manifest, reveals=reveals)
    assert d.acts_of(ready, {"credit_dept"}, "z", []).beacon
    assert not d.acts_of(ready | {"beacon_value": "0a"}, {"credit_dept"}, "z", []).beacon


def test_replacements_approved_requested_and_countersigned_by_someone_else() -> None:
    pending = {"uscc": "U", "replaced": "A", "replacement": "B", "requested_by": "zhang"}
    approvals = [
        {"approval_id": "a1", "used": False, "pending": None},
        {"approval_id": "a2", "used": True, "pending": pending},
    ]
    done = draw("completed", replacement_approvals=approvals)
    assert d.acts_of(done, {"deputy_director"}, "wang", []).approve
    assert [a["approval_id"] for a in d.acts_of(done, {"credit_dept"}, "zhang", []).request] == [
        "a1"
    ]
    office = d.acts_of(done, {"general_office"}, "zhou", [])
    assert [a["approval_id"] for a in office.countersign_replacements] == ["a2"]
    asker = d.acts_of(done, {"general_office", "credit_dept"}, "zhang", [])
    assert asker.countersign_replacements == []


def test_the_version_moves_with_every_step() -> None:
    first = d.version_of(draw())
    later = d.version_of(draw(commitments=committed(("办公室", "k"))))
    assert first != later
    assert d.version_of(draw()) == first


def test_a_person_may_hold_keys_for_the_parties_their_roles_act_for() -> None:
    assert d.key_parties({"general_office"}) == ["办公室"]
    assert d.key_parties({"credit_dept"}) == ["信用监管科"]
    assert d.key_parties({"deputy_director"}) == []


# ------------------------------------------------------------------------ service layer


class BundleApi(FakeApi):
    """The fake with the raw request the bundle is read with."""

    def __init__(self, answers: dict[str, Any], bundle: dict[str, Any]) -> None:
        super().__init__(answers)
        self.bundle = bundle

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self.calls.append((method, path, None))
        return httpx.Response(200, content=json.dumps(self.bundle).encode())


async def test_the_script_signs_from_the_draw_the_persons_keys_and_the_raw_result() -> None:
    result: dict[str, Any] = {"targets": [], "unstaffed": []}
    drawn = draw("drawn", result_sha256=p.json_sha256(result))
    keys = {
        "items": [
            key("k1", "办公室", "zhou"),
            key("k2", "办公室", "zhou", revoked=9),
            key("k3", "信用监管科", "zhang"),
        ]
    }
    api = BundleApi(
        {f"/api/draws/draws/{DRAW_ID}": drawn, "/api/draws/keys": keys},
        {"body": {"manifest_sha256": drawn["manifest_sha256"], "result": result}},
    )
    state = await svc.state(api, DRAW_ID, "zhou", with_result=True)  # type: ignore[arg-type]
    assert [k["key_id"] for k in state["keys"]] == ["k1"]  # mine, not revoked
    assert state["result"] == result
    api.bundle["body"]["manifest_sha256"] = "cd" * 32
    with pytest.raises(ApiError, match="清单摘要"):
        await svc.state(api, DRAW_ID, "zhou", with_result=True)  # type: ignore[arg-type]


async def test_the_ceremony_page_combines_the_draw_and_the_persons_keys() -> None:
    api = FakeApi(
        {
            f"/api/draws/draws/{DRAW_ID}": draw(),
            "/api/draws/keys": {"items": [key("k3", "信用监管科", "zhang")]},
        }
    )
    found = await svc.ceremony(api, DRAW_ID, "zhang", frozenset({"credit_dept"}))  # type: ignore[arg-type]
    assert found.acts.commit == ["信用监管科"]
    assert found.version == d.version_of(draw())


# ------------------------------------------------------------------- the script's bytes

NODE_SCRIPT = """
import * as p from %s;
const v = JSON.parse(process.argv[1]);
const h = (x) => p.fromHex(x);
const der = p.concat(h("302e020100300506032b657004220420"), h(v.secret));
const key = await crypto.subtle.importKey("pkcs8", der, {name: "Ed25519"}, false, ["sign"]);
const md = await p.digestOf(v.manifest);
const c = await p.shareCommitment(md, v.manifest.draw_id, v.party, h(v.share));
const out = {
  manifest_digest: p.toHex(md),
  key_id: await p.keyIdOf(h(v.public_key)),
  key_signature: await p.sign(key, p.keyMessage(v.manifest.district, v.party, v.holder,
    h(v.public_key), "2026-11-16", "2027-11-16")),
  commitment: p.toHex(c),
  commit_signature: await p.sign(key, p.commitMessage(md, v.party, c)),
  reveal_signature: await p.sign(key, p.revealMessage(md, v.party, h(v.share))),
  countersign_signature: await p.sign(key, p.countersignMessage(md, h(v.result_digest))),
  cancel_signature: await p.sign(key, await p.cancelMessage(md, v.reason)),
  replacement_signature: await p.sign(key, p.replacementMessage(md, v.uscc, "LG0001", "LG0002",
    v.approval)),
};
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(NODE is None, reason="node (20+) is not installed")
def test_the_browsers_bytes_and_signatures_are_the_reference_clients() -> None:
    secret, share = os.urandom(32), os.urandom(32)
    public = ed25519.public_key(secret)
    manifest = {
        "algorithm": "spotcheck-draw/3",
        "draw_id": DRAW_ID,
        "district": "临港区",
        "parties": ["信用监管科", "办公室"],
        "task": {"title": '抽查 "引号" \\ 与换行\n', "n": 12345, "z": None, "ok": True},
        "population": {"size": 20000, "merkle_root": os.urandom(32).hex()},
    }
    given: dict[str, Any] = {
        "secret": secret.hex(),
        "public_key": public.hex(),
        "share": share.hex(),
        "manifest": manifest,
        "party": "信用监管科",
        "holder": "zhang.credit",
        "result_digest": os.urandom(32).hex(),
        "reason": "名录未同步完成，作废重抽",
        "uscc": "91371071MA3C00001X",
        "approval": os.urandom(4).hex(),
    }
    script = NODE_SCRIPT % json.dumps(PROTOCOL_JS.as_uri())
    run = subprocess.run(
        [str(NODE), "--input-type=module", "-e", script, json.dumps(given, ensure_ascii=False)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    got = json.loads(run.stdout)
    md = p.sha256(p.canonical_json(manifest))
    commitment = p.share_commitment_v3(md, DRAW_ID, "信用监管科", share)
    rd = bytes.fromhex(given["result_digest"])
    key_message = p.key_message(
        "临港区", "信用监管科", "zhang.credit", public, "2026-11-16", "2027-11-16"
    )
    replacement = p.replacement_message(md, given["uscc"], "LG0001", "LG0002", given["approval"])

    def signed(message: bytes) -> str:
        return ed25519.sign(secret, message).hex()

    assert got == {
        "manifest_digest": md.hex(),
        "key_id": p.key_id_of(public),
        "key_signature": signed(key_message),
        "commitment": commitment.hex(),
        "commit_signature": signed(p.commit_message(md, "信用监管科", commitment)),
        "reveal_signature": signed(p.reveal_message(md, "信用监管科", share)),
        "countersign_signature": signed(p.countersign_message(md, rd)),
        "cancel_signature": signed(p.cancel_message(md, given["reason"])),
        "replacement_signature": signed(replacement),
    }


@pytest.mark.skipif(NODE is None, reason="node (20+) is not installed")
def test_the_node_suite_of_the_ceremony_script_passes() -> None:
    suite = ROOT / "services/portal/tests/js/ceremony.test.mjs"
    run = subprocess.run(
        [str(NODE), "--test", str(suite)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
