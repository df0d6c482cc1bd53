"""Is a Kafka broker serving clients? Standard library only (used before any venv exists).

    python3 infra/kafka/probe.py HOST PORT     exit 0 when ApiVersions answers and a Metadata
                                               request lists at least one broker

Speaks the wire protocol directly: ApiVersions v0 (every broker accepts it), then the highest
non-flexible Metadata version (4..8) the broker supports.
"""

from __future__ import annotations

import socket
import struct
import sys

API_VERSIONS = 18
METADATA = 3
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
