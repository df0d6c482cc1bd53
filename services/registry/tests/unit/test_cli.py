"""``spotcheck-registry check check-items FILE`` validates an item list offline."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from registry.adapters import demo
from registry.entrypoints.cli import _final, main


def test_the_cli_checks_an_item_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "items.csv"
    good.write_bytes(demo.demo_check_items())
    assert main(["check", "check-items", str(good)]) == 0
    assert "6 行，全部有效（csv，UTF-8）" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(demo.demo_check_items().replace(",重点,".encode(), ",很重要,".encode(), 1))
    assert main(["check", "check-items", str(bad)]) == 1
    assert "字段「事项类别」：应为 一般 或 重点" in capsys.readouterr().err


def test_the_cli_prints_the_lines_of_a_refused_upload(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The server refuses a file as ``{"detail": reason, "errors_total", "errors": [...]}``;
    the CLI prints each error with its line, and the total."""
    refused = {
        "detail": "导入被拒绝，文件中的任何一行都未导入",
        "import_id": "imp-1",
        "errors_total": 3,
        "errors": [
            {"line": 4, "column": 2, "field": "事项类别", "reason": "应为 一般 或 重点"},
            {"line": 7, "column": None, "field": "(表头)", "reason": "缺少列"},
        ],
    }
    assert _final("items.csv", 422, refused, sys.stdout, sys.stderr) == 1
    err = capsys.readouterr().err
    assert "items.csv:4: " in err and "应为 一般 或 重点" in err and "items.csv:7: " in err
    assert "共 3 处错误，以上为前 2 处" in err
    assert _final("items.csv", 413, {"detail": "文件超过导入大小上限"}, sys.stdout, sys.stderr) == 1
    assert "导入失败（HTTP 413）：文件超过导入大小上限" in capsys.readouterr().err
