"""The stand-alone programs the draws service hands out: the citizen's verifier (one file) and
the parties' ceremony tool, packed as a Python zip application of the standard-library-only
modules it needs — so a bureau computer needs Python and nothing else (no pip, no internet)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # .../draws

VERIFIER = (PACKAGE / "verify_draw.py").read_bytes()

# What ``spotcheck-ceremony`` imports: itself, Ed25519, and the protocol's pure functions.
CEREMONY_MODULES = (
    "draws/__init__.py",
    "draws/ed25519.py",
    "draws/ceremony.py",
    "draws/domain/__init__.py",
    "draws/domain/protocol.py",
    "draws/domain/assignment.py",
)
CEREMONY_MAIN = b"import sys\n\nfrom draws.ceremony import main\n\nsys.exit(main())\n"


def ceremony_zipapp() -> bytes:
    """``spotcheck-ceremony.pyz``: ``python3 spotcheck-ceremony.pyz keygen …``. Fixed entry
    times, so the same sources always give the same bytes (its digest can be published)."""
    out = io.BytesIO()
    out.write(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        files = [("__main__.py", CEREMONY_MAIN)]
        files += [(name, (PACKAGE.parent / name).read_bytes()) for name in CEREMONY_MODULES]
        for name, content in files:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, content)
    return out.getvalue()


CEREMONY = ceremony_zipapp()
