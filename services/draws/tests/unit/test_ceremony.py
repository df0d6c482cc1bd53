"""The ceremony tool (``spotcheck-ceremony``): its request bodies are the spec's signed
messages, its key and share files are private and written once, a share is on disk before its
commitment leaves, and nothing is sent for a manifest that does not match its digest.

The HTTP side runs against a small local server (127.0.0.1, a thread) that records each request
and which share files existed when it arrived. Dates are injected; no test reads the clock."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from draws import ceremony, ed25519
from draws.domain import assignment as da
from draws.domain import protocol as p

TODAY = date(2026, 3, 16)
DRAW_ID = "0b7f6c2e-8d1a-4c55-9a0e-3f2d1c4b5a69"
DISTRICT = "lingang"
CREDIT = "信用监管科"
TOKEN = "t0ken-of-the-signed-in-person"
ENV = {ceremony.TOKEN_ENV: TOKEN}


def manifest() -> dict[str, Any]:
    return {
        "algorithm": p.ALGORITHM_SIGNED,
        "draw_id": DRAW_ID,
        "district": DISTRICT,
        "task": {"task_id": "T1", "task_no": "LG-2026-007", "title": "食品经营者双随机抽查"},
        "draw_date": "2026-03-16",
        "population": {"size": 1234, "chunk_size": 256, "merkle_root": "ab" * 32},
        "parties": [CREDIT, p.OFFICE_PARTY],
        "reveal_deadline": "2026-03-17T18:00:00+08:00",
    }


def draw_json(m: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    m = manifest() if m is None else m
    return {
        "draw_id": DRAW_ID,
        "status": "frozen",
        "manifest": m,
        "manifest_sha256": p.json_sha256(m),
        "commitments": [],
        **extra,
    }


def a_key(party: str = CREDIT, holder: str = "zhang.san", secret: bytes = b"\x07" * 32) -> Any:
    return ceremony.make_key(secret, DISTRICT, party, holder, "2026-01-01", "2026-12-31")


# ------------------------------------------------------------------- the local server


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    files: list[str]  # the watched directory's files when the request arrived


@dataclass
class Fake:
    draw: dict[str, Any] = field(default_factory=draw_json)
    refusals: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # path → answer
    bundle: dict[str, Any] | None = None  # served at /public/draws/{id}/bundle
    watch: Path | None = None
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def posts(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST"]


class Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _record(self, body: Any) -> Fake:
        fake: Fake = self.server.fake
        files = sorted(os.listdir(fake.watch)) if fake.watch and fake.watch.exists() else []
        fake.seen.append(Seen(self.command, self.path, dict(self.headers), body, files))
        return fake

    def do_GET(self) -> None:
        fake = self._record(None)
        if self.path in fake.refusals:
            self._answer(*fake.refusals[self.path])
        elif self.path == f"/api/draws/draws/{DRAW_ID}":
            self._answer(200, json.dumps(fake.draw, ensure_ascii=False).encode("utf-8"))
        elif self.path == f"/public/draws/{DRAW_ID}/bundle" and fake.bundle is not None:
            self._answer(200, p.canonical_json(fake.bundle))
        else:
            self._answer(404, b'{"detail": "no such draw"}')

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        fake = self._record(json.loads(raw.decode("utf-8")))
        self._answer(*fake.refusals.get(self.path, (200, b"{}")))


@pytest.fixture
def fake() -> Iterator[Fake]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.fake = Fake(url=f"http://127.0.0.1:{server.server_address[1]}")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server.fake  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run(*argv: str, env: dict[str, str] | None = None, today: date = TODAY) -> int:
    return ceremony.main(list(argv), today=today, environ=ENV if env is None else env)


def keygen(path: Path, party: str = CREDIT, holder: str = "zhang.san", *extra: str) -> int:
    return run(
        "keygen",
        *("--district", DISTRICT, "--party", party, "--holder", holder, "--key", str(path)),
        *extra,
    )


def acting(command: str, key: Path, fake: Fake, *extra: str) -> int:
    return run(command, "--key", str(key), "--draw", DRAW_ID, "--api", fake.url, *extra)


def state_file(state: Path, key_path: Path) -> Path:
    key = ceremony.load_key(key_path)
    return ceremony.state_path(state, DRAW_ID, key.key_id)


# --------------------------------------------------------------------- request bodies


def test_registration_body_is_signed_over_the_key_message() -> None:
    key = a_key()
    body = ceremony.registration_body(key)
    assert set(body) == {"public_key", "party", "valid_from", "valid_until", "signature"}
    assert body["public_key"] == ed25519.public_key(b"\x07" * 32).hex()
    message = p.key_message(
        DISTRICT, CREDIT, "zhang.san", key.public_key, "2026-01-01", "2026-12-31"
    )
    assert ed25519.verify(key.public_key, message, bytes.fromhex(body["signature"]))
    other = p.key_message(DISTRICT, CREDIT, "li.si", key.public_key, "2026-01-01", "2026-12-31")
    assert not ed25519.verify(key.public_key, other, bytes.fromhex(body["signature"]))


def test_commit_body_opens_with_the_share_and_is_signed() -> None:
    key, share = a_key(), bytes(range(32))
    digest = bytes.fromhex(p.json_sha256(manifest()))
    body = ceremony.commit_body(key, digest, DRAW_ID, share)
    assert body["party"] == CREDIT and body["key_id"] == p.key_id_of(key.public_key)
    commitment = bytes.fromhex(body["commitment"])
    assert commitment == p.share_commitment_v3(digest, DRAW_ID, CREDIT, share)
    message = p.commit_message(digest, CREDIT, commitment)
    assert ed25519.verify(key.public_key, message, bytes.fromhex(body["signature"]))


def test_reveal_countersign_and_cancel_bodies_are_signed() -> None:
    key, office = a_key(), a_key(p.OFFICE_PARTY, "wang.wu", b"\x09" * 32)
    digest, result_digest, share = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32

    body = ceremony.reveal_body(key, digest, share)
    assert body["share"] == share.hex()
    sig = bytes.fromhex(body["signature"])
    assert ed25519.verify(key.public_key, p.reveal_message(digest, CREDIT, share), sig)

    signed = ceremony.countersign_body(office, digest, result_digest, "符合规定", True)
    assert signed["opinion"] == "符合规定" and signed["acknowledge_unstaffed"] is True
    message = p.countersign_message(digest, result_digest)
    assert ed25519.verify(office.public_key, message, bytes.fromhex(signed["signature"]))

    body = ceremony.cancel_body(key, digest, "任务撤回")
    message = p.cancel_message(digest, "任务撤回")
    assert ed25519.verify(key.public_key, message, bytes.fromhex(body["signature"]))


# ---------------------------------------------------------------------------- keygen


def test_keygen_writes_a_private_key_file_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "zhang.key.json"
    assert keygen(path) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = json.loads(path.read_text("utf-8"))
    secret = bytes.fromhex(record["secret"])
    assert record["public_key"] == ed25519.public_key(secret).hex()
    assert record["key_id"] == p.key_id_of(ed25519.public_key(secret))
    assert (record["valid_from"], record["valid_until"]) == ("2026-03-16", "2027-03-16")
    assert (record["district"], record["party"], record["holder"]) == (
        DISTRICT,
        CREDIT,
        "zhang.san",
    )
    # without --api, the registration body is the standard output, signed by the new key
    body = json.loads(capsys.readouterr().out)
    message = p.key_message(
        DISTRICT,
        CREDIT,
        "zhang.san",
        bytes.fromhex(record["public_key"]),
        "2026-03-16",
        "2027-03-16",
    )
    key = bytes.fromhex(body["public_key"])
    assert ed25519.verify(key, message, bytes.fromhex(body["signature"]))

    before = path.read_bytes()
    assert keygen(path) == 2
    assert "已存在" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_keygen_refuses_bad_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "k.json"
    assert keygen(path, CREDIT, "zhang.san", "--valid-from", "20260316") == 2
    assert "--valid-from" in capsys.readouterr().err
    args = ("--valid-from", "2026-05-01", "--valid-until", "2026-04-01")
    assert keygen(path, CREDIT, "zhang.san", *args) == 2
    assert not path.exists()


def test_keygen_registers_with_the_bearer_token(tmp_path: Path, fake: Fake) -> None:
    path = tmp_path / "k.json"
    assert keygen(path, CREDIT, "zhang.san", "--api", fake.url) == 0
    (post,) = fake.posts()
    assert post.path == "/api/draws/keys"
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert post.body["public_key"] == json.loads(path.read_text("utf-8"))["public_key"]


def test_keygen_with_api_and_no_token_writes_nothing(
    tmp_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "k.json"
    assert run("keygen", "--district", DISTRICT, "--party", CREDIT, "--holder", "z",
               "--key", str(path), "--api", fake.url, env={}) == 2  # fmt: skip
    assert ceremony.TOKEN_ENV in capsys.readouterr().err
    assert not path.exists() and not fake.seen


# ---------------------------------------------------------------------------- commit


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "credit.json"
    path.parent.mkdir()
    assert keygen(path) == 0
    return path


def test_commit_writes_the_share_before_sending_its_commitment(
    tmp_path: Path, key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    fake.watch = state
    capsys.readouterr()
    assert acting("commit", key_path, fake, "--state", str(state)) == 0

    path = state_file(state, key_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    get, post = fake.seen
    assert (get.method, post.method) == ("GET", "POST")
    assert post.path == f"/api/draws/draws/{DRAW_ID}/commitments"
    assert post.files == [path.name]  # on disk when the commitment arrived
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"

    saved = json.loads(path.read_text("utf-8"))
    share, digest = bytes.fromhex(saved["share"]), bytes.fromhex(p.json_sha256(manifest()))
    key = ceremony.load_key(key_path)
    assert post.body == ceremony.commit_body(key, digest, DRAW_ID, share)
    assert saved["commitment"] == post.body["commitment"]
    assert saved["manifest_sha256"] == digest.hex()
    out = capsys.readouterr().out
    assert "LG-2026-007" in out and "1234" in out and digest.hex() in out


def test_a_second_commit_for_the_same_draw_and_key_is_refused(
    tmp_path: Path, key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    assert acting("commit", key_path, fake, "--state", str(state)) == 0
    first = state_file(state, key_path).read_bytes()
    capsys.readouterr()
    assert acting("commit", key_path, fake, "--state", str(state)) == 2
    assert "已存在" in capsys.readouterr().err
    assert len(fake.posts()) == 1
    assert state_file(state, key_path).read_bytes() == first


def test_resend_posts_the_same_commitment(tmp_path: Path, key_path: Path, fake: Fake) -> None:
    state = tmp_path / "state"
    assert acting("commit", key_path, fake, "--state", str(state)) == 0
    first = state_file(state, key_path).read_bytes()
    assert acting("commit", key_path, fake, "--state", str(state), "--resend") == 0
    one, two = fake.posts()
    assert one.body == two.body
    assert state_file(state, key_path).read_bytes() == first


def test_a_tampered_manifest_is_refused_before_anything_is_sent(
    tmp_path: Path, key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    draw = draw_json()
    draw["manifest"]["population"]["size"] = 1233  # the digest is the original manifest's
    fake.draw = draw
    state = tmp_path / "state"
    assert acting("commit", key_path, fake, "--state", str(state)) == 2
    assert "manifest_sha256" in capsys.readouterr().err
    assert not fake.posts()
    assert not state.exists()


@pytest.mark.parametrize(
    ("change", "field_named"),
    [
        ({"algorithm": p.ALGORITHM_EXPERTS}, "manifest.algorithm"),
        ({"district": "pudong"}, "manifest.district"),
        ({"parties": ["市场科", p.OFFICE_PARTY]}, "manifest.parties"),
        ({"draw_id": "another"}, "manifest.draw_id"),
    ],
)
def test_commit_refuses_a_manifest_not_for_this_key(
    tmp_path: Path,
    key_path: Path,
    fake: Fake,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, Any],
    field_named: str,
) -> None:
    fake.draw = draw_json({**manifest(), **change})
    assert acting("commit", key_path, fake, "--state", str(tmp_path / "s")) == 2
    assert field_named in capsys.readouterr().err
    assert not fake.posts()


def test_missing_token_is_refused(
    tmp_path: Path, key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("commit", "--key", str(key_path), "--draw", DRAW_ID, "--api", fake.url)
    assert run(*argv, "--state", str(tmp_path / "s"), env={}) == 2
    err = capsys.readouterr().err
    assert "--token" in err and ceremony.TOKEN_ENV in err
    assert not fake.seen


def test_token_option_overrides_the_environment(tmp_path: Path, key_path: Path, fake: Fake) -> None:
    argv = ("--state", str(tmp_path / "s"), "--token", "other")
    assert acting("commit", key_path, fake, *argv) == 0
    assert fake.seen[0].headers["Authorization"] == "Bearer other"


def test_the_acts_continue_the_trace_the_environment_gives(
    tmp_path: Path, key_path: Path, fake: Fake
) -> None:
    """OpenTelemetry's environment carrier: TRACEPARENT, when well formed, goes with every
    request, so the ceremony joins the trace of the task's cycle; a malformed one is dropped."""
    good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    for value, sent in ((good, good), ("00-not-a-trace-01", None)):
        fake.seen.clear()
        env = {**ENV, ceremony.TRACEPARENT_ENV: value}
        state = ("--state", str(tmp_path / value[:6]))
        assert (
            run(
                "commit",
                "--key",
                str(key_path),
                "--draw",
                DRAW_ID,
                "--api",
                fake.url,
                *state,
                env=env,
            )
            == 0
        )
        sent_with = {
            dict((k.lower(), v) for k, v in s.headers.items()).get("traceparent") for s in fake.seen
        }
        assert fake.seen and sent_with == {sent}


def test_a_server_refusal_exits_1_with_its_detail(
    tmp_path: Path, key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    detail = "只有信用监管科(credit_dept)可以代表参与方「信用监管科」提交承诺或揭示种子"
    answer = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    fake.refusals[f"/api/draws/draws/{DRAW_ID}/commitments"] = (403, answer)
    capsys.readouterr()
    assert acting("commit", key_path, fake, "--state", str(tmp_path / "s")) == 1
    err = capsys.readouterr().err
    assert detail in err and "403" in err
    assert len(err.strip().splitlines()) == 1


def test_an_expired_key_is_refused(
    tmp_path: Path, key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("commit", "--key", str(key_path), "--draw", DRAW_ID, "--api", fake.url)
    assert run(*argv, "--state", str(tmp_path / "s"), today=date(2027, 3, 17)) == 2
    assert "有效期" in capsys.readouterr().err
    assert not fake.seen


def test_a_key_file_others_can_read_is_refused(
    tmp_path: Path, key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    key_path.chmod(0o644)
    assert acting("commit", key_path, fake, "--state", str(tmp_path / "s")) == 2
    assert "0600" in capsys.readouterr().err
    assert not fake.seen


# ---------------------------------------------------------------------------- reveal


def committed(fake: Fake, parties: dict[str, str]) -> None:
    commitments = [{"party": k, "commitment": v, "at": "x"} for k, v in parties.items()]
    fake.draw = {**fake.draw, "status": "committed", "commitments": commitments}


def test_reveal_sends_the_saved_share_once_every_party_committed(
    tmp_path: Path, key_path: Path, fake: Fake
) -> None:
    state = tmp_path / "state"
    assert acting("commit", key_path, fake, "--state", str(state)) == 0
    saved = json.loads(state_file(state, key_path).read_text("utf-8"))
    committed(fake, {CREDIT: saved["commitment"], p.OFFICE_PARTY: "cd" * 32})

    assert acting("reveal", key_path, fake, "--state", str(state)) == 0
    post = fake.posts()[-1]
    assert post.path == f"/api/draws/draws/{DRAW_ID}/reveals"
    share, digest = bytes.fromhex(saved["share"]), bytes.fromhex(saved["manifest_sha256"])
    assert post.body == ceremony.reveal_body(ceremony.load_key(key_path), digest, share)


def test_reveal_waits_for_every_commitment(
    tmp_path: Path, key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    assert acting("commit", key_path, fake, "--state", str(state)) == 0
    saved = json.loads(state_file(state, key_path).read_text("utf-8"))
    committed(fake, {CREDIT: saved["commitment"]})
    assert acting("reveal", key_path, fake, "--state", str(state)) == 2
    assert p.OFFICE_PARTY in capsys.readouterr().err
    assert len(fake.posts()) == 1  # the commitment only


def test_reveal_refuses_another_manifest(
    tmp_path: Path, key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    assert acting("commit", key_path, fake, "--state", str(state)) == 0
    saved = json.loads(state_file(state, key_path).read_text("utf-8"))
    fake.draw = draw_json({**manifest(), "draw_date": "2026-03-18"})
    committed(fake, {CREDIT: saved["commitment"], p.OFFICE_PARTY: "cd" * 32})
    assert acting("reveal", key_path, fake, "--state", str(state)) == 2
    assert "清单已变" in capsys.readouterr().err
    assert len(fake.posts()) == 1


def test_reveal_without_a_state_file_is_refused(
    tmp_path: Path, key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    assert acting("reveal", key_path, fake, "--state", str(tmp_path / "none")) == 2
    assert "无法读取" in capsys.readouterr().err
    assert not fake.seen


# ------------------------------------------------------------------- countersign, cancel


def with_result(fake: Fake, unstaffed: list[str]) -> bytes:
    result = {
        "seed": "00" * 32,
        "targets": [{"uscc": "91310000000000001A"}, {"uscc": "91310000000000002B"}],
        "unstaffed": unstaffed,
    }
    fake.draw = {**fake.draw, "status": "drawn", "result": result}
    fake.draw["result_sha256"] = p.json_sha256(result)
    return bytes.fromhex(fake.draw["result_sha256"])


def test_countersign_signs_the_result_digest(
    tmp_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    office = tmp_path / "office.json"
    assert keygen(office, p.OFFICE_PARTY, "wang.wu") == 0
    result_digest = with_result(fake, ["91310000000000002B"])
    capsys.readouterr()

    assert acting("countersign", office, fake, "--opinion", "符合规定") == 2
    assert "--acknowledge-unstaffed" in capsys.readouterr().err
    assert not fake.posts()

    args = ("--opinion", "符合规定", "--acknowledge-unstaffed")
    assert acting("countersign", office, fake, *args) == 0
    out = capsys.readouterr().out
    assert "2 户" in out and "1 户" in out
    (post,) = fake.posts()
    assert post.path == f"/api/draws/draws/{DRAW_ID}/countersign"
    assert post.body["acknowledge_unstaffed"] is True
    digest = bytes.fromhex(p.json_sha256(manifest()))
    message = p.countersign_message(digest, result_digest)
    key = ceremony.load_key(office)
    assert ed25519.verify(key.public_key, message, bytes.fromhex(post.body["signature"]))


def test_countersign_reads_the_result_from_the_bundle_when_the_draw_reshapes_it(
    tmp_path: Path, fake: Fake
) -> None:
    office = tmp_path / "office.json"
    assert keygen(office, p.OFFICE_PARTY, "wang.wu") == 0
    result_digest = with_result(fake, [])
    result = fake.draw.pop("result")
    body = {"manifest_sha256": fake.draw["manifest_sha256"], "result": result}
    fake.bundle = {"body": body, "body_sha256": p.json_sha256(body)}
    assert acting("countersign", office, fake, "--opinion", "符合规定") == 0
    assert [s.path for s in fake.seen][:2] == [
        f"/api/draws/draws/{DRAW_ID}",
        f"/public/draws/{DRAW_ID}/bundle",
    ]
    (post,) = fake.posts()
    message = p.countersign_message(bytes.fromhex(p.json_sha256(manifest())), result_digest)
    key = ceremony.load_key(office)
    assert ed25519.verify(key.public_key, message, bytes.fromhex(post.body["signature"]))


def test_countersign_refuses_a_tampered_result(
    tmp_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    office = tmp_path / "office.json"
    assert keygen(office, p.OFFICE_PARTY, "wang.wu") == 0
    with_result(fake, [])
    fake.draw["result"]["unstaffed"] = ["91310000000000001A"]
    assert acting("countersign", office, fake, "--opinion", "x") == 2
    assert "result_sha256" in capsys.readouterr().err
    assert not fake.posts()


def test_countersign_needs_an_office_key(
    key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    with_result(fake, [])
    assert acting("countersign", key_path, fake, "--opinion", "x") == 2
    assert p.OFFICE_PARTY in capsys.readouterr().err
    assert not fake.seen


def test_cancel_signs_the_reason(key_path: Path, fake: Fake) -> None:
    assert acting("cancel", key_path, fake, "--reason", "任务撤回") == 0
    (post,) = fake.posts()
    assert post.path == f"/api/draws/draws/{DRAW_ID}/cancel"
    assert post.body["reason"] == "任务撤回"
    message = p.cancel_message(bytes.fromhex(p.json_sha256(manifest())), "任务撤回")
    key = ceremony.load_key(key_path)
    assert ed25519.verify(key.public_key, message, bytes.fromhex(post.body["signature"]))


def test_help_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        run("--help")
    assert done.value.code == 0
    assert "keygen" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        run("commit", "--key", "k.json")
    assert done.value.code == 2
    assert "--draw" in capsys.readouterr().err


def test_the_office_signs_whom_a_held_replacement_brings() -> None:
    """§14.11: the countersignature names the target, who goes, who comes and the approval."""
    from draws.domain import protocol as p

    key = ceremony.make_key(
        bytes(range(32)), "lingang", "办公室", "zhao", "2026-01-01", "2026-12-31"
    )
    held = {
        "uscc": "91371000MA3C000011",
        "replaced": "LG0001",
        "replacement": "LG0007",
        "approval_ref": "abc-1",
        "requested_by": "zhang",
    }
    draw = {"replacement_approvals": [{"approval_id": "abc-1", "pending": held}]}
    pending = ceremony.pending_of(draw, "abc-1")
    body = ceremony.replacement_body(key, b"\x01" * 32, pending)
    message = p.replacement_message(b"\x01" * 32, *(held[k] for k in list(held)[:4]))
    assert ed25519.verify(key.public_key, message, bytes.fromhex(body["signature"]))
    assert body["key_id"] == key.key_id
    with pytest.raises(ceremony.ToolError, match="没有待会签的调换"):
        ceremony.pending_of(
            {"replacement_approvals": [{"approval_id": "abc-1", "pending": None}]}, "abc-1"
        )


def direct_draw(status: str = "assigning") -> dict[str, Any]:
    """A draw whose manifest says its teams are assigned directly (§15.1)."""
    m = manifest() | {
        "matching": {
            "rule": "direct-assignment",
            "reason": "人员不足",
            "approval": {"approval_id": "A1", "approved_by": "王副局长", "approved_at": "x"},
        }
    }
    return draw_json(m, status=status)


TEAMS = [{"uscc": "91310000000000002B", "team": [["LG0001", "leader"], ["LG0002", "member"]]}]


def test_assign_signs_the_teams_it_sends(
    tmp_path: Path, key_path: Path, fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.draw = direct_draw()
    teams = tmp_path / "teams.json"
    teams.write_text(json.dumps(TEAMS, ensure_ascii=False), encoding="utf-8")
    assert acting("assign", key_path, fake, "--teams", str(teams)) == 0
    assert "直接委派（非随机匹配）。理由：人员不足；批准：王副局长" in capsys.readouterr().out
    (post,) = fake.posts()
    assert post.path == f"/api/draws/draws/{DRAW_ID}/assignment"
    assert post.body["targets"] == TEAMS
    digest = bytes.fromhex(p.json_sha256(fake.draw["manifest"]))
    key = ceremony.load_key(key_path)
    message = da.assign_message(digest, TEAMS)
    assert ed25519.verify(key.public_key, message, bytes.fromhex(post.body["signature"]))


@pytest.mark.parametrize(
    ("draw", "party", "words"),
    [
        (draw_json(status="drawn"), CREDIT, "未声明直接委派"),  # teams drawn at random
        (direct_draw("frozen"), CREDIT, "会签前才能委派"),  # targets not drawn yet
        (direct_draw(), p.OFFICE_PARTY, "信用监管科"),  # not the credit department's key
    ],
)
def test_assign_refuses_before_sending_anything(
    tmp_path: Path,
    fake: Fake,
    capsys: pytest.CaptureFixture[str],
    draw: dict[str, Any],
    party: str,
    words: str,
) -> None:
    key = tmp_path / "key.json"
    assert keygen(key, party, "zhang.san") == 0
    capsys.readouterr()
    fake.draw = draw
    teams = tmp_path / "teams.json"
    teams.write_text(json.dumps(TEAMS), encoding="utf-8")
    assert acting("assign", key, fake, "--teams", str(teams)) == 2
    assert words in capsys.readouterr().err
    assert not fake.posts()
