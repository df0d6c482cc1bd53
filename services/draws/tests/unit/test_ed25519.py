"""Ed25519 in pure Python (the verifier's and the ceremony tool's): RFC 8032 §7.1 vectors,
refusal of non-canonical encodings, and agreement with an independent implementation."""

from __future__ import annotations

import os

import pytest

from draws import ed25519

# RFC 8032 §7.1, TEST 1-3: (secret key, public key, message, signature), hex.
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
        "701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f36"
        "13d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f7"
        "60984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]
L = 2**252 + 27742317777372353535851937790883648493


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
