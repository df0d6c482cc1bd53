"""Ed25519 in pure Python (the verifier's and the ceremony tool's): RFC 8032 §7.1 vectors,
refusal of non-canonical encodings, and agreement with an independent implementation."""

from __future__ import annotations

import os

import pytest

from draws import ed25519

from .rfc8032 import RFC8032, L


@pytest.mark.parametrize(("secret", "key", "message", "signature"), RFC8032)
def test_rfc8032_vectors(secret: str, key: str, message: str, signature: str) -> None:
    sk, pk, msg, sig = map(bytes.fromhex, (secret, key, message, signature))
    assert ed25519.public_key(sk) == pk
    assert ed25519.sign(sk, msg) == sig
    assert ed25519.verify(pk, msg, sig)


@pytest.mark.parametrize(("secret", "key", "message", "signature"), RFC8032)
def test_any_change_breaks_the_signature(
    secret: str, key: str, message: str, signature: str
) -> None:
    pk, msg, sig = map(bytes.fromhex, (key, message, signature))
    assert not ed25519.verify(pk, msg + b"\x00", sig)
    assert not ed25519.verify(pk, msg, sig[:-1] + bytes([sig[-1] ^ 1]))
    assert not ed25519.verify(pk, msg, bytes([sig[0] ^ 1]) + sig[1:])
    other = ed25519.public_key(bytes(32))
    assert not ed25519.verify(other, msg, sig)


def test_non_canonical_encodings_are_refused() -> None:
    sk, pk, msg, sig = map(bytes.fromhex, RFC8032[0])
    s = int.from_bytes(sig[32:], "little")
    malleated = sig[:32] + (s + L).to_bytes(32, "little")  # S + L: same point, not canonical
    assert not ed25519.verify(pk, msg, malleated)
    y_too_large = (2**255 - 19 + 1).to_bytes(32, "little")  # y ≥ p
    assert not ed25519.verify(y_too_large, msg, sig)
    assert not ed25519.verify(pk[:31], msg, sig)
    assert not ed25519.verify(pk, msg, sig[:63])
    with pytest.raises(ValueError, match="32 bytes"):
        ed25519.sign(sk[:16], msg)


def test_agrees_with_an_independent_implementation() -> None:
    primitives = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
    from cryptography.hazmat.primitives import serialization

    for _ in range(10):
        sk, msg = os.urandom(32), os.urandom(os.urandom(1)[0])
        theirs = primitives.Ed25519PrivateKey.from_private_bytes(sk)
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        assert ed25519.public_key(sk) == theirs.public_key().public_bytes(*raw)
        assert ed25519.sign(sk, msg) == theirs.sign(msg)
