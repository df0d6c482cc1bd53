"""``spotcheck-registry``: import files into a running registry, or check them offline.

spotcheck-registry import KIND FILE --url http://127.0.0.1:8000 [--token T] [--encoding E]
                                    [--sheet S] [--reason R --effective-from D]
    Uploads FILE (CSV in UTF-8 or GB18030, or .xlsx), follows the import job with a progress
    bar on stderr and prints the report. Exit 1 with every listed error as
    ``FILE:LINE: 第N行，字段「…」：…`` when the file is refused (nothing is imported then).
    The token comes from --token or the environment variable SPOTCHECK_TOKEN.

spotcheck-registry check KIND FILE [--encoding E] [--sheet S] [--division-codes 371071,...]
    Validates FILE without a server, naming line and field (the district check only when
    --division-codes is given).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from registry.adapters import files
from registry.domain import imports

KINDS = list(imports.KINDS)


def _errors(path: str, errors: Sequence[dict[str, Any]], total: int, out: TextIO) -> None:
    for e in errors:
        error = imports.RowError(e["line"] or 0, e["field"], e["reason"], e.get("column"))
        print(f"{path}:{error.line}: {error}", file=out)
    if total > len(errors):
        print(f"……共 {total} 处错误，以上为前 {len(errors)} 处", file=out)
    print(f"{total} 处错误，文件不可导入（任何一行都未导入）", file=out)


# ------------------------------------------------------------------------------------ check


def check(args: argparse.Namespace) -> int:
    kind = imports.KINDS[args.kind]
    divisions = (
        frozenset(c.strip() for c in args.division_codes.split(",") if c.strip())
        if args.division_codes and args.kind == "entities"
        else None
    )
    try:
        table, rows = files.validate_file(
            kind.name, Path(args.file), args.file, args.encoding, args.sheet, divisions
        )
    except imports.ImportRejected as exc:
        _errors(args.file, [e.as_dict() for e in exc.errors], exc.total, sys.stderr)
        return 1
    how = table.encoding.upper() if table.encoding else f"工作表「{table.sheet}」"
    print(f"{args.file}: {len(rows)} 行，全部有效（{table.format}，{how}）")
    return 0


# ----------------------------------------------------------------------------------- import


class Client:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        req = urllib.request.Request(self.url + path, data=body, method=method)
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=600) as response:
                status, answer_headers, raw = (
                    response.status,
                    dict(response.headers),
                    response.read(),
                )
        except urllib.error.HTTPError as exc:
            status, answer_headers, raw = exc.code, dict(exc.headers), exc.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        return status, answer_headers, payload


def _bar(done: int, total: int | None, width: int = 30) -> str:
    if not total:
        return f"已读 {done:,} 行"
    share = min(done / total, 1.0)
    filled = int(share * width)
    return f"[{'#' * filled}{'.' * (width - filled)}] {share:4.0%} {done:,}/{total:,} 行"


def _summary(report: dict[str, Any]) -> str:
    labels = imports.field_labels(imports.KINDS[report["kind"]])
    fields = "、".join(
        f"{labels.get(name, name)} {count}" for name, count in report["updated_fields"].items()
    )
    text = (
        f"已导入 {report['imported']:,} 行：新增 {report['new']:,}，"
        f"更新 {report['updated']:,}{f'（{fields}）' if fields else ''}，"
        f"未变 {report['unchanged']:,}"
    )
    if "version" in report:
        text += f"；抽查事项清单第 {report['version']} 版，{report['effective_from']} 起生效"
    return text


def do_import(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    token = args.token or os.environ.get("SPOTCHECK_TOKEN", "")
    client = Client(args.url, token)
    path = Path(args.file)
    query: dict[str, str] = {"filename": path.name}
    for key in ("encoding", "sheet", "reason"):
        if getattr(args, key, None):
            query[key] = getattr(args, key)
    if args.effective_from:
        query["effective_from"] = args.effective_from
    if args.kind == "check-items" and not args.reason:
        print("导入抽查事项清单需要 --reason（发布或调整的理由）", file=err)
        return 2
    size = path.stat().st_size
    print(f"上传 {path.name}（{size / 1024 / 1024:.1f} MiB）……", file=err)
    with path.open("rb") as fh:
        status, headers, payload = client.request(
            "POST",
            f"/api/registry/{args.kind}/import?{urllib.parse.urlencode(query)}",
            body=fh,
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(size),
                "Prefer": "respond-async",
            },
        )
    if status != 202:
        return _final(args.file, status, payload, out, err)
    location = headers.get("Location") or headers.get("location") or ""
    last = ""
    while True:
        status, _, job = client.request("GET", location)
        if status != 200:
            return _final(args.file, status, job, out, err)
        bar = _bar(job["rows_read"], job["rows_total"])
        if bar != last:
            print(f"\r{bar}", end="", file=err, flush=True)
            last = bar
        if job["state"] in ("succeeded", "failed"):
            print(file=err)
            break
        time.sleep(0.5)
    if job["state"] == "succeeded":
        return _final(args.file, 200, job["report"], out, err)
    if job["errors"]:
        _errors(args.file, job["errors"], job["errors_total"], err)
    print(job["failure"] or "导入未完成", file=err)
    return 1


def _final(path: str, status: int, payload: Any, out: TextIO, err: TextIO) -> int:
    if status == 200:
        print(_summary(payload), file=out)
        print(json.dumps(payload, ensure_ascii=False, indent=2), file=out)
        return 0
    # A refused file: {"detail": reason, "errors_total": n, "errors": [{line, field, …}], …}
    if status == 422 and isinstance(payload, dict) and "errors_total" in payload:
        _errors(path, payload["errors"], payload["errors_total"], err)
        return 1
    detail = payload.get("detail") if isinstance(payload, dict) else payload
    print(f"导入失败（HTTP {status}）：{detail}", file=err)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spotcheck-registry")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("kind", choices=KINDS)
        p.add_argument("file")
        p.add_argument(
            "--encoding", choices=sorted(files.ENCODINGS), help="CSV 编码（默认自动识别）"
        )
        p.add_argument("--sheet", help=".xlsx 工作表名（默认第一个）")

    checker = sub.add_parser("check", help="validate a file offline (CSV or .xlsx)")
    common(checker)
    checker.add_argument("--division-codes", help="本区行政区划代码，逗号分隔（检查主体所属区）")
    importer = sub.add_parser("import", help="import a file into a running registry")
    common(importer)
    importer.add_argument("--url", default="http://127.0.0.1:8000")
    importer.add_argument("--token", help="bearer token (default: $SPOTCHECK_TOKEN)")
    importer.add_argument("--reason", help="抽查事项清单：发布或调整的理由")
    importer.add_argument("--effective-from", help="抽查事项清单：生效日期 YYYY-MM-DD")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args)
    return do_import(args)


if __name__ == "__main__":
    sys.exit(main())
