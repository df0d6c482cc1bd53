"""The programs the service hands out run with nothing but Python: the ceremony tool's zip
application works from a clean interpreter and is the same bytes every time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from draws import ed25519
from draws.domain import protocol as p
from draws.entrypoints import tools


def test_the_ceremony_tool_runs_alone_from_its_zip(tmp_path: Path) -> None:
    app = tmp_path / "spotcheck-ceremony.pyz"
    app.write_bytes(tools.CEREMONY)
    key = tmp_path / "zhang.key"
    args = ["keygen", "--district", "lingang", "--party", "信用监管科", "--holder", "zhang"]
    args += ["--key", str(key), "--valid-from", "2026-11-01", "--valid-until", "2027-10-31"]
    done = subprocess.run(
        # -I -S: no site-packages, no environment, no current directory: only the zip
        [sys.executable, "-I", "-S", str(app), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    public = bytes.fromhex(body["public_key"])
    message = p.key_message("lingang", "信用监管科", "zhang", public, "2026-11-01", "2027-10-31")
    assert ed25519.verify(public, message, bytes.fromhex(body["signature"]))
    assert key.stat().st_mode & 0o077 == 0  # the secret stays the holder's


def test_the_zip_is_reproducible() -> None:
    assert tools.ceremony_zipapp() == tools.CEREMONY
