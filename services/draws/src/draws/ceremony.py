"""spotcheck-ceremony: a party's side of the signed draw ceremony (``spotcheck-draw/3``).

    spotcheck-ceremony keygen  --district D --party P --holder USER --key FILE [--api URL]
    spotcheck-ceremony register --key FILE [--api URL]
    spotcheck-ceremony commit  --key FILE --draw DRAW_ID --api URL --state DIR [--resend]
    spotcheck-ceremony reveal  --key FILE --draw DRAW_ID --api URL --state DIR
    spotcheck-ceremony countersign --key FILE --draw DRAW_ID --api URL --opinion TEXT
                               [--acknowledge-unstaffed]
    spotcheck-ceremony cancel  --key FILE --draw DRAW_ID --api URL --reason TEXT
    spotcheck-ceremony assign  --key FILE --draw DRAW_ID --api URL --teams FILE
                               (direct assignment, §15: the credit department's teams)

It runs on the party's own computer (``docs/draw-spec.md`` §14): the Ed25519 key and the seed
share are generated here and kept in files readable by their owner only; the server sees the
share only at its reveal, after every party has committed, and never sees the key. Everything
the server sends is checked here before anything is signed (the manifest's digest, its
algorithm, district and parties; the result's digest).

Standard library only (plus ``draws.ed25519``, ``draws.domain.protocol`` and
``draws.domain.assignment``, all pure), so it
runs wherever Python does. Exit status: 0 done, 1 the server refused (its reason is printed),
2 a usage or input error, or a local check failed (nothing was sent).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NoReturn

from draws import ed25519
from draws.domain import assignment as da
from draws.domain import protocol as p

CHINA = timezone(timedelta(hours=8))  # key validity is reckoned in China Standard Time (§14.2)
TOKEN_ENV = "SPOTCHECK_TOKEN"
TRACEPARENT_ENV = "TRACEPARENT"
TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
TIMEOUT = 30.0  # seconds per HTTP call
DEFAULT_VALIDITY = timedelta(days=365)
DRAW_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")  # UUID text; also a safe file name part
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PUBLIC_DRAWS = "/public/draws"
FROZEN = "frozen"  # the only status in which a draw takes commitments


class ToolError(Exception):
    """A usage or input error, or a local check that failed: nothing more is sent (exit 2)."""


class Refused(Exception):
    """The server answered with an error status (exit 1); ``detail`` is its reason."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"服务器拒绝（HTTP {status}）：{detail}")
        self.status = status
        self.detail = detail


# ---------------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class Key:
    """A party's Ed25519 key and what its registration binds (§14.2)."""

    secret: bytes = field(repr=False)
    public_key: bytes
    district: str
    party: str
    holder: str
    valid_from: str
    valid_until: str

    @classmethod
    def new(
        cls,
        secret: bytes,
        district: str,
        party: str,
        holder: str,
        valid_from: str,
        valid_until: str,
    ) -> Key:
        public = ed25519.public_key(secret)
        return cls(secret, public, district, party, holder, valid_from, valid_until)

    @property
    def key_id(self) -> str:
        return p.key_id_of(self.public_key)

    def sign(self, message: bytes) -> str:
        return ed25519.sign(self.secret, message).hex()

    def record(self) -> dict[str, str]:
        """The key file's content."""
        return {
            "secret": self.secret.hex(),
            "public_key": self.public_key.hex(),
            "key_id": self.key_id,
            "district": self.district,
            "party": self.party,
            "holder": self.holder,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
        }


def default_validity(today: date) -> tuple[str, str]:
    return today.isoformat(), (today + DEFAULT_VALIDITY).isoformat()


def check_date(text: str, what: str) -> str:
    """``YYYY-MM-DD`` strictly (``date.fromisoformat`` alone also takes ``20260316``)."""
    try:
        if ISO_DATE.fullmatch(text):
            date.fromisoformat(text)
            return text
    except ValueError:
        pass
    raise ToolError(f"{what} 不是有效日期（应为 YYYY-MM-DD）：{text!r}")


def make_key(
    secret: bytes,
    district: str,
    party: str,
    holder: str,
    valid_from: str,
    valid_until: str,
) -> Key:
    """A key from its parts, every field checked (the signed message takes ≤ 255 bytes each)."""
    for what, text in (("--district", district), ("--party", party), ("--holder", holder)):
        if not text.strip() or len(text.encode("utf-8")) > 255:
            raise ToolError(f"{what} 不能为空，且不超过 255 字节：{text!r}")
    check_date(valid_from, "--valid-from")
    check_date(valid_until, "--valid-until")
    if valid_from > valid_until:
        raise ToolError(f"有效期起始 {valid_from} 晚于截止 {valid_until}")
    return Key.new(secret, district, party, holder, valid_from, valid_until)


def registration_body(key: Key) -> dict[str, str]:
    """``POST /api/draws/keys``: the public key with its proof of possession (§14.2)."""
    message = p.key_message(
        key.district, key.party, key.holder, key.public_key, key.valid_from, key.valid_until
    )
    return {
        "public_key": key.public_key.hex(),
        "party": key.party,
        "valid_from": key.valid_from,
        "valid_until": key.valid_until,
        "signature": key.sign(message),
    }


def key_of(record: Any, where: str) -> Key:
    """The key a key file holds, refused unless its public key and id are the secret's."""
    secret = hex_field(record, "secret", 32, where)
    key = make_key(
        secret,
        text_field(record, "district", where),
        text_field(record, "party", where),
        text_field(record, "holder", where),
        text_field(record, "valid_from", where),
        text_field(record, "valid_until", where),
    )
    if hex_field(record, "public_key", 32, where) != key.public_key:
        raise ToolError(f"{where}：public_key 与 secret 不对应（文件已损坏或被改动）")
    if text_field(record, "key_id", where) != key.key_id:
        raise ToolError(f"{where}：key_id 与 public_key 不对应（文件已损坏或被改动）")
    return key


def usable_on(key: Key, today: date) -> None:
    """A signature counts only on a day within the key's validity (§14.2)."""
    day = today.isoformat()
    if not key.valid_from <= day <= key.valid_until:
        raise ToolError(
            f"密钥 {key.key_id} 的有效期为 {key.valid_from} 至 {key.valid_until}，"
            f"今天（{day}）不能使用：请生成并登记新密钥"
        )


# ------------------------------------------------------------------------- draw checks


def check_draw(draw: Any, draw_id: str, key: Key) -> tuple[dict[str, Any], bytes]:
    """The manifest and its raw digest, once checked here: nothing is signed over a manifest
    the server could have swapped, nor for another district, algorithm or party."""
    manifest = dict_field(draw, "manifest", "抽取")
    claimed = text_field(draw, "manifest_sha256", "抽取")
    digest = digest_of(manifest, "manifest")
    if digest.hex() != claimed:
        raise ToolError(
            f"清单摘要不符：服务器给出 manifest_sha256={claimed}，本机计算为 {digest.hex()}"
            "（清单可能被改动），未发送任何内容"
        )
    if manifest.get("algorithm") != p.ALGORITHM_SIGNED:
        raise ToolError(
            f"manifest.algorithm 为 {manifest.get('algorithm')!r}，本工具只用于 "
            f"{p.ALGORITHM_SIGNED}"
        )
    if manifest.get("draw_id") != draw_id:
        raise ToolError(f"manifest.draw_id 为 {manifest.get('draw_id')!r}，不是 {draw_id}")
    if manifest.get("district") != key.district:
        raise ToolError(
            f"manifest.district 为 {manifest.get('district')!r}，与密钥的区域 {key.district!r} 不符"
        )
    parties = manifest.get("parties")
    if not isinstance(parties, list) or key.party not in parties:
        raise ToolError(f"密钥的参与方「{key.party}」不在 manifest.parties {parties!r} 中")
    return manifest, digest


def check_result(draw: Any) -> tuple[dict[str, Any], bytes]:
    """The result and its raw digest (what the countersignature signs), checked here."""
    result = dict_field(draw, "result", "抽取")
    claimed = text_field(draw, "result_sha256", "抽取")
    digest = digest_of(result, "result")
    if digest.hex() != claimed:
        raise ToolError(
            f"结果摘要不符：服务器给出 result_sha256={claimed}，本机计算为 {digest.hex()}"
            "（结果可能被改动），未发送任何内容"
        )
    for name in ("targets", "unstaffed"):
        if not isinstance(result.get(name), list):
            raise ToolError(f"result.{name} 缺失或不是列表")
    return result, digest


def check_all_committed(draw: Any, manifest: Mapping[str, Any], state: State) -> None:
    """A share is revealed only once every party has committed (§2), and only if the server
    recorded this party's commitment as the one made here."""
    recorded = draw.get("commitments") if isinstance(draw, dict) else None
    if not isinstance(recorded, list):
        raise ToolError("抽取缺少 commitments 列表，无法确认各方已提交承诺")
    by_party = {c.get("party"): c.get("commitment") for c in recorded if isinstance(c, dict)}
    missing = [party for party in manifest["parties"] if party not in by_party]
    if missing:
        raise ToolError(f"尚有参与方未提交承诺：{'、'.join(missing)}；各方承诺齐后才能揭示")
    if by_party[state.party] != state.commitment:
        raise ToolError(
            f"服务器记录的「{state.party}」承诺 {by_party[state.party]} 与本机状态文件中的 "
            f"{state.commitment} 不同，不揭示份额"
        )


def describe(manifest: Mapping[str, Any], manifest_sha256: str) -> list[str]:
    """What a person commits to, in words they can compare with the published manifest."""
    task, population = _object(manifest, "task"), _object(manifest, "population")
    parties = manifest.get("parties") or []
    return [
        f"任务编号：{task.get('task_no', '?')}",
        f"任务名称：{task.get('title', '?')}",
        f"抽取日期：{manifest.get('draw_date', '?')}",
        f"检查对象名录：{population.get('size', '?')} 户，默克尔根 "
        f"{population.get('merkle_root', '?')}",
        f"参与方：{'、'.join(str(x) for x in parties)}",
        f"揭示截止：{manifest.get('reveal_deadline', '?')}",
        *_matching_lines(manifest),
        f"清单摘要 manifest_sha256：{manifest_sha256}",
    ]


def _matching_lines(manifest: Mapping[str, Any]) -> list[str]:
    """§15.1: a draw whose teams will be assigned directly says so, why, and whose approval."""
    if not da.direct(dict(manifest)):
        return []
    matching = _object(manifest, "matching")
    approval = _object(matching, "approval")
    return [
        f"检查组：直接委派（非随机匹配）。理由：{matching.get('reason', '?')}；"
        f"批准：{approval.get('approved_by', '?')}（{approval.get('approval_id', '?')}，"
        f"{approval.get('approved_at', '?')}）"
    ]


def _object(value: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    inner = value.get(name)
    return inner if isinstance(inner, dict) else {}


# ------------------------------------------------------------------------ request bodies


def commit_body(key: Key, manifest_digest: bytes, draw_id: str, share: bytes) -> dict[str, str]:
    """``POST …/commitments``: the §14.3 commitment, signed by the party's key (§14.4)."""
    commitment = p.share_commitment_v3(manifest_digest, draw_id, key.party, share)
    return {
        "party": key.party,
        "commitment": commitment.hex(),
        "key_id": key.key_id,
        "signature": key.sign(p.commit_message(manifest_digest, key.party, commitment)),
    }


def reveal_body(key: Key, manifest_digest: bytes, share: bytes) -> dict[str, str]:
    return {
        "party": key.party,
        "share": share.hex(),
        "key_id": key.key_id,
        "signature": key.sign(p.reveal_message(manifest_digest, key.party, share)),
    }


def countersign_body(
    key: Key,
    manifest_digest: bytes,
    result_digest: bytes,
    opinion: str,
    acknowledge_unstaffed: bool,
) -> dict[str, Any]:
    return {
        "opinion": opinion,
        "key_id": key.key_id,
        "signature": key.sign(p.countersign_message(manifest_digest, result_digest)),
        "acknowledge_unstaffed": acknowledge_unstaffed,
    }


def cancel_body(key: Key, manifest_digest: bytes, reason: str) -> dict[str, str]:
    return {
        "reason": reason,
        "key_id": key.key_id,
        "signature": key.sign(p.cancel_message(manifest_digest, reason)),
    }


def replacement_body(
    key: Key, manifest_digest: bytes, pending: Mapping[str, Any]
) -> dict[str, str]:
    """``POST …/replacements/{approval_id}/countersign`` (§14.11): the office signs whom the
    replacement brings (the alternate the draw fixed), for which approval."""
    message = p.replacement_message(
        manifest_digest,
        str(pending["uscc"]),
        str(pending["replaced"]),
        str(pending["replacement"]),
        str(pending["approval_ref"]),
    )
    return {"key_id": key.key_id, "signature": key.sign(message)}


def assign_body(key: Key, manifest_digest: bytes, assignment: list[Any]) -> dict[str, Any]:
    """``POST …/assignment`` (§15.3): the credit department signs the teams it assigns."""
    return {
        "targets": assignment,
        "key_id": key.key_id,
        "signature": key.sign(da.assign_message(manifest_digest, assignment)),
    }


def pending_of(draw: Any, approval_id: str) -> Mapping[str, Any]:
    """The replacement held for ``approval_id``, waiting for the office's countersignature."""
    for approval in draw.get("replacement_approvals") or []:
        if approval.get("approval_id") == approval_id and approval.get("pending"):
            return dict(approval["pending"])
    raise ToolError(f"抽取中没有待会签的调换 {approval_id}")


# ---------------------------------------------------------------------------- the share


@dataclass(frozen=True)
class State:
    """One share, kept on this computer from before its commitment is sent until its reveal."""

    draw_id: str
    party: str
    key_id: str
    manifest_sha256: str
    commitment: str
    share: bytes = field(repr=False)

    def record(self) -> dict[str, str]:
        return {
            "draw_id": self.draw_id,
            "party": self.party,
            "key_id": self.key_id,
            "manifest_sha256": self.manifest_sha256,
            "commitment": self.commitment,
            "share": self.share.hex(),
        }


def new_state(key: Key, draw_id: str, manifest_digest: bytes, share: bytes) -> State:
    commitment = p.share_commitment_v3(manifest_digest, draw_id, key.party, share)
    return State(draw_id, key.party, key.key_id, manifest_digest.hex(), commitment.hex(), share)


def state_path(directory: Path, draw_id: str, key_id: str) -> Path:
    return directory / f"{draw_id}.{key_id}.json"


def state_of(record: Any, key: Key, draw_id: str, where: str) -> State:
    """The state file's share, refused unless it is this draw's and this key's and opens the
    commitment it was recorded with."""
    state = State(
        text_field(record, "draw_id", where),
        text_field(record, "party", where),
        text_field(record, "key_id", where),
        text_field(record, "manifest_sha256", where),
        text_field(record, "commitment", where),
        hex_field(record, "share", 32, where),
    )
    if (state.draw_id, state.party, state.key_id) != (draw_id, key.party, key.key_id):
        raise ToolError(f"{where} 不属于抽取 {draw_id} 和密钥 {key.key_id}")
    digest = bytes.fromhex(hex_text(state.manifest_sha256, 32, f"{where} 的 manifest_sha256"))
    if new_state(key, draw_id, digest, state.share).commitment != state.commitment:
        raise ToolError(f"{where}：share 打不开其中记录的 commitment（文件已损坏或被改动）")
    return state


# ------------------------------------------------------------------------------- files


def write_private(path: Path, value: Any) -> None:
    """Create ``path`` readable by its owner only (0600), never over an existing file, and
    flush it to disk before returning: a share must outlive a crash right after its
    commitment is sent, and a second share for the same draw must never be made."""
    data = (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ToolError(f"{path} 已存在，不覆盖") from None
    except OSError as exc:
        raise ToolError(f"无法创建 {path}：{exc.strerror}") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """The new file's directory entry too (POSIX; elsewhere the OS does not allow it)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_private(path: Path) -> Any:
    """A key or state file's JSON, refused if others may read it (as ssh does its keys)."""
    try:
        mode = path.stat().st_mode
        raw = path.read_bytes()
    except OSError as exc:
        raise ToolError(f"无法读取 {path}：{exc.strerror}") from None
    if os.name == "posix" and mode & 0o077:
        raise ToolError(f"{path} 的权限过宽（{mode & 0o777:04o}），应为 0600：chmod 600 {path}")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ToolError(f"{path} 不是 UTF-8 JSON：{exc}") from None


def load_key(path: Path) -> Key:
    return key_of(read_private(path), str(path))


# ------------------------------------------------------------------------- field access


def text_field(obj: Any, name: str, where: str) -> str:
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, str):
        raise ToolError(f"{where} 缺少字段 {name}（应为字符串）")
    return value


def dict_field(obj: Any, name: str, where: str) -> dict[str, Any]:
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, dict):
        raise ToolError(f"{where} 缺少字段 {name}（应为 JSON 对象）")
    return value


def hex_text(value: str, size: int, what: str) -> str:
    if len(value) != 2 * size or value != value.lower():
        raise ToolError(f"{what} 应为 {size} 字节的小写十六进制")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise ToolError(f"{what} 不是十六进制") from None
    return value


def hex_field(obj: Any, name: str, size: int, where: str) -> bytes:
    return bytes.fromhex(hex_text(text_field(obj, name, where), size, f"{where} 的 {name}"))


def digest_of(value: Any, what: str) -> bytes:
    try:
        return bytes.fromhex(p.json_sha256(value))
    except ValueError as exc:
        raise ToolError(f"{what} 无法按规范 JSON 计算摘要：{exc}") from None


# -------------------------------------------------------------------------------- HTTP


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: urllib would carry the bearer token to wherever it points."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> None:
        return None


class Api:
    """The draws API, as JSON over HTTP with the signed-in person's bearer token."""

    def __init__(
        self, base: str, token: str, timeout: float = TIMEOUT, traceparent: str = ""
    ) -> None:
        parts = urllib.parse.urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ToolError(f"--api 应为 http:// 或 https:// 开头的服务器地址：{base!r}")
        self.base = base.rstrip("/")
        self.token = token
        self.timeout = timeout
        # The W3C trace context to continue (a malformed one is not sent): the ceremony's acts
        # join the trace of the task's cycle they belong to.
        self.traceparent = traceparent if TRACEPARENT.fullmatch(traceparent) else ""
        self.opener = urllib.request.build_opener(_NoRedirect)

    def get(self, path: str) -> dict[str, Any]:
        return self._send(urllib.request.Request(self.base + path, method="GET"))

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.base + path, data=data, method="POST")
        request.add_header("Content-Type", "application/json; charset=utf-8")
        return self._send(request)

    def _send(self, request: urllib.request.Request) -> dict[str, Any]:
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if self.traceparent:
            request.add_header("traceparent", self.traceparent)
        url = request.full_url
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise Refused(exc.code, detail_of(exc.read(), exc.reason)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ToolError(f"无法连接服务器 {url}：{reason}") from None
        try:
            value = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, ValueError):
            raise ToolError(f"服务器 {url} 的回答不是 JSON") from None
        if not isinstance(value, dict):
            raise ToolError(f"服务器 {url} 的回答不是 JSON 对象")
        return value


def detail_of(raw: bytes, fallback: str) -> str:
    """The server's reason (``{"detail": …}``) on one line, or what it sent instead."""
    text = raw.decode("utf-8", "replace")
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    detail: Any = value.get("detail") if isinstance(value, dict) else None
    if isinstance(detail, list):  # a framework's own validation errors
        detail = "；".join(str(d.get("msg", d) if isinstance(d, dict) else d) for d in detail)
    if not detail:
        detail = text.strip()[:300] or fallback
    return " ".join(str(detail).split())


def quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def draw_path(draw_id: str, action: str = "") -> str:
    path = f"/api/draws/draws/{quote(draw_id)}"
    return f"{path}/{action}" if action else path


# ---------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Context:
    """What ``main`` reads from the world, so the commands can be run with other values."""

    today: date
    environ: Mapping[str, str]


def token_of(args: argparse.Namespace, ctx: Context) -> str:
    token = args.token or ctx.environ.get(TOKEN_ENV, "")
    if not token.strip():
        raise ToolError(f"缺少登录令牌：请用 --token 或环境变量 {TOKEN_ENV} 提供")
    return token.strip()


def api_of(args: argparse.Namespace, ctx: Context) -> Api:
    # OpenTelemetry's environment carrier for the trace context (TRACEPARENT).
    return Api(args.api, token_of(args, ctx), traceparent=ctx.environ.get(TRACEPARENT_ENV, ""))


def checked_draw_id(text: str) -> str:
    if not DRAW_ID.fullmatch(text):
        raise ToolError(f"--draw 不是有效的抽取编号：{text!r}")
    return text


def acting_key(args: argparse.Namespace, ctx: Context) -> Key:
    key = load_key(Path(args.key))
    usable_on(key, ctx.today)
    return key


def publish_key(args: argparse.Namespace, ctx: Context, key: Key) -> None:
    """POST the registration, or print it for whoever registers it (no ``--api``)."""
    body = registration_body(key)
    if args.api is None:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return
    api_of(args, ctx).post("/api/draws/keys", body)
    print(f"公钥已登记：key_id {key.key_id}（参与方「{key.party}」，持有人 {key.holder}）")


def run_keygen(args: argparse.Namespace, ctx: Context) -> None:
    path = Path(args.key)
    if path.exists():
        raise ToolError(f"{path} 已存在，不覆盖（每把密钥只生成一次）")
    if args.api is not None:
        api_of(args, ctx)  # a missing token or a bad URL is refused before a key exists
    start, end = default_validity(ctx.today)
    key = make_key(
        secrets.token_bytes(32),
        args.district,
        args.party,
        args.holder,
        args.valid_from or start,
        args.valid_until or end,
    )
    write_private(path, key.record())
    out = sys.stdout if args.api is not None else sys.stderr  # stdout holds the body then
    print(f"密钥已写入 {path}（仅本人可读，切勿外传）：key_id {key.key_id}", file=out)
    publish_key(args, ctx, key)


def run_register(args: argparse.Namespace, ctx: Context) -> None:
    publish_key(args, ctx, load_key(Path(args.key)))


def run_commit(args: argparse.Namespace, ctx: Context) -> None:
    draw_id = checked_draw_id(args.draw)
    key = acting_key(args, ctx)
    path = state_path(Path(args.state), draw_id, key.key_id)
    if path.exists() and not args.resend:
        raise ToolError(
            f"{path} 已存在：此密钥已为抽取 {draw_id} 生成过份额，不能再生成第二个"
            "（若上次提交承诺未成功，用 --resend 重新提交同一承诺）"
        )
    api = api_of(args, ctx)
    draw = api.get(draw_path(draw_id))
    manifest, digest = check_draw(draw, draw_id, key)
    if draw.get("status") != FROZEN:
        raise ToolError(f"抽取状态为 {draw.get('status')!r}，不再接受承诺")
    print("将对以下抽取清单提交种子承诺：")
    for line in describe(manifest, digest.hex()):
        print(f"  {line}")
    if args.resend:
        state = state_of(read_private(path), key, draw_id, str(path))
        if state.manifest_sha256 != digest.hex():
            raise ToolError(f"{path} 的承诺针对另一份清单 {state.manifest_sha256}，不重新提交")
    else:
        state = new_state(key, draw_id, digest, secrets.token_bytes(32))
        Path(args.state).mkdir(mode=0o700, parents=True, exist_ok=True)
        write_private(path, state.record())  # on disk before the commitment leaves
    api.post(draw_path(draw_id, "commitments"), commit_body(key, digest, draw_id, state.share))
    print(f"承诺已提交：{state.commitment}")
    print(f"份额保存在 {path}：各方承诺齐后用 reveal 揭示；此前不得泄露，丢失则无法揭示")


def run_reveal(args: argparse.Namespace, ctx: Context) -> None:
    draw_id = checked_draw_id(args.draw)
    key = acting_key(args, ctx)
    path = state_path(Path(args.state), draw_id, key.key_id)
    state = state_of(read_private(path), key, draw_id, str(path))
    api = api_of(args, ctx)
    draw = api.get(draw_path(draw_id))
    manifest, digest = check_draw(draw, draw_id, key)
    if digest.hex() != state.manifest_sha256:
        raise ToolError(
            f"清单已变：承诺时为 {state.manifest_sha256}，现在为 {digest.hex()}，不揭示份额"
        )
    check_all_committed(draw, manifest, state)
    api.post(draw_path(draw_id, "reveals"), reveal_body(key, digest, state.share))
    print(f"份额已揭示（抽取 {draw_id}，参与方「{key.party}」）")


def office_draw(
    args: argparse.Namespace, ctx: Context
) -> tuple[str, Key, Api, dict[str, Any], dict[str, Any], bytes]:
    """What the general office's supervising acts start from: the draw, fetched and checked,
    and an 办公室 key (its countersignatures are the office's)."""
    draw_id = checked_draw_id(args.draw)
    key = acting_key(args, ctx)
    if key.party != p.OFFICE_PARTY:
        raise ToolError(f"会签须用参与方「{p.OFFICE_PARTY}」的密钥，此密钥属于「{key.party}」")
    api = api_of(args, ctx)
    draw = api.get(draw_path(draw_id))
    manifest, digest = check_draw(draw, draw_id, key)
    return draw_id, key, api, draw, manifest, digest


def run_countersign(args: argparse.Namespace, ctx: Context) -> None:
    draw_id, key, api, draw, manifest, digest = office_draw(args, ctx)
    result, result_digest = check_result(with_result(api, draw_id, draw))
    targets, unstaffed = len(result["targets"]), len(result["unstaffed"])
    for line in describe(manifest, digest.hex()):
        print(f"  {line}")
    print(f"  结果摘要 result_sha256：{result_digest.hex()}")
    print(f"  抽中对象：{targets} 户，其中未配齐检查人员：{unstaffed} 户")
    if unstaffed and not args.acknowledge_unstaffed:
        raise ToolError(f"有 {unstaffed} 户未配齐检查人员：核实后加 --acknowledge-unstaffed 再会签")
    body = countersign_body(
        key, digest, result_digest, args.opinion, bool(args.acknowledge_unstaffed)
    )
    api.post(draw_path(draw_id, "countersign"), body)
    print(f"已会签抽取 {draw_id}")


def with_result(api: Api, draw_id: str, draw: dict[str, Any]) -> dict[str, Any]:
    """The draw with its raw result: the staff view may give the result only reshaped, and
    the public bundle holds it as signed (its digest is still checked against the draw's)."""
    if "result" in draw:
        return draw
    body = dict_field(api.get(f"{PUBLIC_DRAWS}/{quote(draw_id)}/bundle"), "body", "公开数据包")
    if body.get("manifest_sha256") != draw.get("manifest_sha256"):
        raise ToolError("公开数据包的 manifest_sha256 与抽取的不同，不会签")
    return {**draw, "result": body.get("result")}


def run_cancel(args: argparse.Namespace, ctx: Context) -> None:
    draw_id = checked_draw_id(args.draw)
    key = acting_key(args, ctx)
    if not args.reason.strip():
        raise ToolError("--reason 不能为空")
    api = api_of(args, ctx)
    _manifest, digest = check_draw(api.get(draw_path(draw_id)), draw_id, key)
    api.post(draw_path(draw_id, "cancel"), cancel_body(key, digest, args.reason))
    print(f"已作废抽取 {draw_id}")


def run_assign(args: argparse.Namespace, ctx: Context) -> None:
    """§15.3: sign and send the teams of a direct-assignment draw whose targets are drawn."""
    draw_id = checked_draw_id(args.draw)
    key = acting_key(args, ctx)
    if key.party != da.ASSIGNING_PARTY:
        raise ToolError(
            f"直接委派须用参与方「{da.ASSIGNING_PARTY}」的密钥，此密钥属于「{key.party}」"
        )
    assignment = _teams(Path(args.teams))
    api = api_of(args, ctx)
    draw = api.get(draw_path(draw_id))
    manifest, digest = check_draw(draw, draw_id, key)
    if not da.direct(manifest):
        raise ToolError("清单未声明直接委派：检查组须随机匹配，不能委派")
    if draw.get("status") != "assigning":
        raise ToolError(f"抽取状态为 {draw.get('status')!r}：检查对象抽取后、会签前才能委派")
    for line in describe(manifest, digest.hex()):
        print(f"  {line}")
    print(f"  委派检查组：{len(assignment)} 个对象")
    api.post(draw_path(draw_id, "assignment"), assign_body(key, digest, assignment))
    print(f"已委派抽取 {draw_id} 的检查组")


def _teams(path: Path) -> list[Any]:
    """The assignment file: ``[{"uscc", "team": [[id, role], …], "experts"?}, …]``."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ToolError(f"读取委派文件 {path} 失败：{exc}") from None
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise ToolError('委派文件须为 JSON 列表：[{"uscc", "team", "experts"?}, …]')
    return value


def run_countersign_replacement(args: argparse.Namespace, ctx: Context) -> None:
    draw_id, key, api, draw, _manifest, digest = office_draw(args, ctx)
    pending = pending_of(draw, args.approval)
    print(
        f"调换：{pending['uscc']} 的 {pending['replaced']} → {pending['replacement']}"
        f"（批准 {args.approval}，申请人 {pending['requested_by']}）"
    )
    path = draw_path(draw_id, f"replacements/{quote(args.approval)}/countersign")
    api.post(path, replacement_body(key, digest, pending))
    print(f"已会签调换 {args.approval}")


# ------------------------------------------------------------------------------- parser


class Parser(argparse.ArgumentParser):
    """A usage error on one line, pointing to the help (argparse's own is two)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"参数错误：{message}（用法见 {self.prog} --help）\n")


Command = Callable[[argparse.Namespace, Context], None]


def _connection(sub: argparse.ArgumentParser, api_required: bool = True) -> None:
    sub.add_argument(
        "--api",
        required=api_required,
        metavar="URL",
        help="服务器地址，如 https://spotcheck.example.gov.cn",
    )
    sub.add_argument("--token", help=f"登录令牌（默认取环境变量 {TOKEN_ENV}）")


def _acting(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--key", required=True, metavar="FILE", help="本人的密钥文件（keygen 生成）")
    sub.add_argument("--draw", required=True, metavar="DRAW_ID", help="抽取编号")
    _connection(sub)


def _add(subs: Any, name: str, run: Command, help_text: str) -> argparse.ArgumentParser:
    sub: argparse.ArgumentParser = subs.add_parser(name, help=help_text, description=help_text)
    sub.set_defaults(run=run)
    return sub


def parser() -> argparse.ArgumentParser:
    top = Parser(
        prog="spotcheck-ceremony",
        description="双随机抽取签名仪式（spotcheck-draw/3）：在本人电脑上生成密钥和种子份额，"
        "签名后提交承诺、揭示、会签或作废。",
        epilog="退出码：0 成功；1 服务器拒绝（显示其理由）；2 参数或输入错误、本机核验未通过"
        "（未发送任何内容）。",
    )
    subs = top.add_subparsers(dest="command", required=True, metavar="子命令", parser_class=Parser)

    sub = _add(subs, "keygen", run_keygen, "生成本人的 Ed25519 密钥并登记公钥")
    sub.add_argument("--district", required=True, help="区域（与抽取清单的 district 相同）")
    sub.add_argument("--party", required=True, help="代表的参与方，如 信用监管科、办公室")
    sub.add_argument("--holder", required=True, metavar="USER", help="持有人（本人登录账号）")
    sub.add_argument("--valid-from", metavar="YYYY-MM-DD", help="有效期起（默认今天，北京时间）")
    sub.add_argument("--valid-until", metavar="YYYY-MM-DD", help="有效期止（默认起始后 365 天）")
    sub.add_argument("--key", required=True, metavar="FILE", help="写入的密钥文件（不覆盖）")
    _connection(sub, api_required=False)
    sub.epilog = "不给 --api 时，把登记请求（JSON）打印到标准输出。"

    sub = _add(subs, "register", run_register, "（重新）登记已有密钥的公钥")
    sub.add_argument("--key", required=True, metavar="FILE", help="密钥文件")
    _connection(sub, api_required=False)

    sub = _add(subs, "commit", run_commit, "生成种子份额并提交签名承诺")
    _acting(sub)
    sub.add_argument("--state", required=True, metavar="DIR", help="保存份额的目录（仅本人可读）")
    sub.add_argument("--resend", action="store_true", help="重新提交已保存份额的同一承诺")

    sub = _add(subs, "reveal", run_reveal, "各方承诺齐后揭示本方种子份额")
    _acting(sub)
    sub.add_argument("--state", required=True, metavar="DIR", help="保存份额的目录")

    sub = _add(subs, "countersign", run_countersign, "办公室对抽取结果监督会签")
    _acting(sub)
    sub.add_argument("--opinion", required=True, metavar="TEXT", help="监督意见")
    sub.add_argument(
        "--acknowledge-unstaffed", action="store_true", help="确认已知悉未配齐检查人员的对象"
    )

    sub = _add(subs, "cancel", run_cancel, "作废抽取（任何份额揭示之前）")
    _acting(sub)
    sub.add_argument("--reason", required=True, metavar="TEXT", help="作废理由")

    sub = _add(subs, "assign", run_assign, "信用监管科直接委派检查组（清单已声明直接委派）")
    _acting(sub)
    sub.add_argument(
        "--teams", required=True, metavar="FILE", help="委派文件（JSON：每个抽中对象的检查组）"
    )

    sub = _add(subs, "countersign-replacement", run_countersign_replacement, "办公室会签一次调换")
    _acting(sub)
    sub.add_argument("--approval", required=True, metavar="ID", help="分管局长的批准编号")
    return top


def main(
    argv: list[str] | None = None,
    *,
    today: date | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """The only place that reads the clock and the environment (tests pass their own).
    ``SPOTCHECK_CLOCK`` (an ISO instant, as the services take it) stands in for the clock."""
    args = parser().parse_args(argv)
    env = os.environ if environ is None else environ
    if today is None:
        setting = env.get("SPOTCHECK_CLOCK", "").strip()
        now = datetime.fromisoformat(setting) if setting else datetime.now(CHINA)
        today = now.astimezone(CHINA).date()
    ctx = Context(today, env)
    try:
        args.run(args, ctx)
    except ToolError as exc:
        print(f"错误：{' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
