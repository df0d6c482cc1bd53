"""The verifier reads a bundle's bytes as canonical JSON: integers only (spec §2)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from draws import verify_draw

BUNDLE = Path(__file__).resolve().parents[4] / "docs/draw-vectors/basic/bundle.json"


def _resealed(raw: bytes, old: bytes, new: bytes) -> bytes:
    """The bundle with ``old`` replaced by ``new`` in its body and its digest recomputed."""
    head, mid = b'{"body":', b',"body_sha256":"'
    body = raw[len(head) : raw.rindex(mid)].replace(old, new, 1)
    return head + body + mid + hashlib.sha256(body).hexdigest().encode() + b'"}'


def test_the_vector_as_published_verifies() -> None:
    assert verify_draw.verify_bytes(BUNDLE.read_bytes(), workers=1).ok


def test_a_resealed_bundle_with_a_fraction_for_an_integer_is_refused() -> None:
    raw = _resealed(BUNDLE.read_bytes(), b'"load_cap":4', b'"load_cap":4.0')
    report = verify_draw.verify_bytes(raw, workers=1)
    assert not report.ok
    assert "non-integer number «4.0»" in (report.difference or "")
