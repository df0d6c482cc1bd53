"""Is a Kafka broker serving clients? Standard library only (used before any venv exists).

    python3 infra/kafka/probe.py HOST PORT     exit 0 when ApiVersions answers and a Metadata
                                               request lists at least one broker

Speaks the wire protocol directly: ApiVersions v0 (every broker accepts it), then, when
KAFKA_PROBE_USER and KAFKA_PROBE_PASSWORD are set, SASL SCRAM-SHA-512 (RFC 5802: a broker with
ACLs answers Metadata to no one else), then the highest non-flexible Metadata version (4..8).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import socket
import struct
import sys

API_VERSIONS = 18
METADATA = 3
SASL_HANDSHAKE = 17
SASL_AUTHENTICATE = 36
CLIENT_ID = b"spotcheck-probe"


def _request(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> bytes:
    header = struct.pack(">hhih", api_key, version, corr, len(CLIENT_ID)) + CLIENT_ID
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    size = struct.unpack(">i", _read(sock, 4))[0]
    data = _read(sock, size)
    (got,) = struct.unpack(">i", data[:4])
    if got != corr:
        raise RuntimeError(f"correlation id {got} != {corr}")
    return data[4:]


def _read(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def _string(value: str) -> bytes:
    data = value.encode()
    return struct.pack(">h", len(data)) + data


def _scram_sha512(sock: socket.socket, user: str, password: str) -> None:
    """SaslHandshake v1, then the SCRAM exchange in two SaslAuthenticate v1 round trips."""
    body = _request(sock, SASL_HANDSHAKE, 1, 3, _string("SCRAM-SHA-512"))
    (error,) = struct.unpack(">h", body[:2])
    if error:
        raise RuntimeError(f"SaslHandshake error {error}: SCRAM-SHA-512 not enabled")
    nonce = base64.b64encode(secrets.token_bytes(24)).decode()
    first_bare = f"n={user},r={nonce}"
    server_first = _authenticate(sock, 4, f"n,,{first_bare}".encode()).decode()
    fields = dict(item.split("=", 1) for item in server_first.split(","))
    if not fields["r"].startswith(nonce):
        raise RuntimeError("SCRAM: the server's nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac(
        "sha512", password.encode(), base64.b64decode(fields["s"]), int(fields["i"])
    )
    client_key = hmac.digest(salted, b"Client Key", "sha512")
    without_proof = f"c=biws,r={fields['r']}"
    message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.digest(hashlib.sha512(client_key).digest(), message, "sha512")
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True)))
    _authenticate(sock, 5, f"{without_proof},p={proof.decode()}".encode())


def _authenticate(sock: socket.socket, corr: int, token: bytes) -> bytes:
    body = _request(sock, SASL_AUTHENTICATE, 1, corr, struct.pack(">i", len(token)) + token)
    (error,) = struct.unpack(">h", body[:2])
    (length,) = struct.unpack(">h", body[2:4])
    offset = 4 + max(length, 0)
    if error:
        reason = body[4:offset].decode(errors="replace")
        raise RuntimeError(f"SaslAuthenticate error {error}: {reason}")
    (size,) = struct.unpack(">i", body[offset : offset + 4])
    return body[offset + 4 : offset + 4 + size]


def probe(host: str, port: int, timeout: float = 5.0) -> int:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        body = _request(sock, API_VERSIONS, 0, 1, b"")
        (error,) = struct.unpack(">h", body[:2])
        if error:
            raise RuntimeError(f"ApiVersions error {error}")
        (count,) = struct.unpack(">i", body[2:6])
        versions = {}
        for i in range(count):
            key, lo, hi = struct.unpack(">hhh", body[6 + 6 * i : 12 + 6 * i])
            versions[key] = (lo, hi)
        user, password = os.environ.get("KAFKA_PROBE_USER"), os.environ.get("KAFKA_PROBE_PASSWORD")
        if user and password:
            _scram_sha512(sock, user, password)
        lo, hi = versions[METADATA]
        version = min(hi, 8)
        if version < max(lo, 4):
            raise RuntimeError(f"no Metadata version in 4..8 (broker: {lo}..{hi})")
        # topics = null (all), allow_auto_topic_creation = false; v8 adds two more booleans.
        req = struct.pack(">ib", -1, 0) + (b"\x00\x00" if version >= 8 else b"")
        body = _request(sock, METADATA, version, 2, req)
        offset = 4 if version >= 3 else 0  # throttle_time_ms
        (brokers,) = struct.unpack(">i", body[offset : offset + 4])
        if brokers < 1:
            raise RuntimeError("no broker registered yet")
        return brokers


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    try:
        brokers = probe(host, port)
    except Exception as exc:
        print(f"kafka probe {host}:{port}: {exc}", file=sys.stderr)
        return 1
    print(f"kafka {host}:{port}: {brokers} broker(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
