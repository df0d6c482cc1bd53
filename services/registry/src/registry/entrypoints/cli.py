"""``spotcheck-registry check FILE``: validate an import file offline, naming line and field."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from registry.domain.model import (
    ImportRejected,
    parse_check_items,
    parse_entities,
    parse_inspectors,
)

PARSERS = {
    "entities": parse_entities,
    "inspectors": parse_inspectors,
    "check-items": parse_check_items,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spotcheck-registry")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a CSV file without importing it")
    check.add_argument("kind", choices=list(PARSERS))
    check.add_argument("file")
    args = parser.parse_args(argv)
    with open(args.file, "rb") as fh:
        data = fh.read()
    try:
        rows: list[object] = list(PARSERS[args.kind](data))
    except ImportRejected as exc:
        for error in exc.errors:
            print(f"{args.file}:{error.line}: {error}", file=sys.stderr)
        print(f"{len(exc.errors)} 处错误，文件不可导入", file=sys.stderr)
        return 1
    print(f"{args.file}: {len(rows)} 行，全部有效")
    return 0


if __name__ == "__main__":
    sys.exit(main())
