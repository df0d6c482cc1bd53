"""``spotcheck-registry check check-items FILE`` validates an item list offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.adapters import demo
from registry.entrypoints.cli import main


def test_the_cli_checks_an_item_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "items.csv"
    good.write_bytes(demo.demo_check_items())
    assert main(["check", "check-items", str(good)]) == 0
    assert "6 行，全部有效（csv，UTF-8）" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(demo.demo_check_items().replace(",重点,".encode(), ",很重要,".encode(), 1))
    assert main(["check", "check-items", str(bad)]) == 1
    assert "字段「事项类别」：应为 一般 或 重点" in capsys.readouterr().err
