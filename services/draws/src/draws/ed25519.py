"""Ed25519 (RFC 8032 §5.1) in pure Python, standard library only.

The draw protocol's signatures (`spotcheck-draw/3`) are checked by the public verifier and made
by the ceremony tool on a party's own device, both of which run with nothing but Python: this
module is what they share. It follows RFC 8032 §5.1.5–5.1.7 literally (extended coordinates,
the cofactorless check ``[S]B = R + [k]A``), refuses non-canonical encodings (``y ≥ p``,
``S ≥ L``) and is checked against the RFC's test vectors. It is not constant-time: signing
runs on the party's own machine with its own key, where timing is not observable by others;
verifying handles public data only.
"""

from __future__ import annotations

import hashlib

__all__ = ["public_key", "sign", "verify"]

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)

Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z
_IDENTITY: Point = (0, 1, 1, 0)


def _add(a: Point, b: Point) -> Point:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % _P
    bb = (y1 + x1) * (y2 + x2) % _P
    cc = 2 * t1 * t2 * _D % _P
    dd = 2 * z1 * z2 % _P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(s: int, point: Point) -> Point:
    q = _IDENTITY
    while s:
        if s & 1:
            q = _add(q, point)
        point = _add(point, point)
        s >>= 1
    return q


def _same(a: Point, b: Point) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _encode(point: Point) -> bytes:
    x, y, z, _ = point
    zi = pow(z, _P - 2, _P)
    x, y = x * zi % _P, y * zi % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _decode(raw: bytes) -> Point | None:
    """The point a 32-byte encoding names (RFC 8032 §5.1.3), or None if it names none."""
    if len(raw) != 32:
        return None
    y = int.from_bytes(raw, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P or (x == 0 and sign):
        return None
    if (x & 1) != sign:
        x = _P - x
    return (x, y, 1, x * y % _P)


def _base_point() -> Point:
    point = _decode((4 * pow(5, _P - 2, _P) % _P).to_bytes(32, "little"))  # y = 4/5
    if point is None:
        raise ArithmeticError("the base point must decode")
    return point


_B = _base_point()


def _h(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def _expand(secret: bytes) -> tuple[int, bytes]:
    if len(secret) != 32:
        raise ValueError("an Ed25519 private key is 32 bytes")
    digest = hashlib.sha512(secret).digest()
    a = int.from_bytes(digest[:32], "little")
    a = (a & ((1 << 254) - 8)) | (1 << 254)
    return a, digest[32:]


def public_key(secret: bytes) -> bytes:
    """The 32-byte public key of a 32-byte private key (RFC 8032 §5.1.5)."""
    a, _ = _expand(secret)
    return _encode(_mul(a, _B))


def sign(secret: bytes, message: bytes) -> bytes:
    """The 64-byte signature of ``message`` (RFC 8032 §5.1.6)."""
    a, prefix = _expand(secret)
    key = _encode(_mul(a, _B))
    r = _h(prefix, message) % _L
    big_r = _encode(_mul(r, _B))
    s = (r + _h(big_r, key, message) * a) % _L
    return big_r + s.to_bytes(32, "little")


def verify(key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``key``'s signature of ``message`` (RFC 8032 §5.1.7)."""
    if len(signature) != 64:
        return False
    a, r = _decode(key), _decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    k = _h(signature[:32], key, message) % _L
    return _same(_mul(s, _B), _add(r, _mul(k, a)))
