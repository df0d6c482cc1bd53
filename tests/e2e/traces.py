"""The trace backend the e2e stack exports to: Jaeger, run by infra/jaeger/jaeger.sh on ports of
its own, read back through its query API (``/api/traces/{id}``)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from .stack import free_port

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "jaeger" / "jaeger.sh"


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: str


class Jaeger:
    def __init__(self, directory: Path) -> None:
        self.env = {
            **os.environ,
            "JAEGER_DIR": str(directory),
            "JAEGER_OTLP_PORT": str(free_port()),
            "JAEGER_QUERY_PORT": str(free_port()),
            "JAEGER_GRPC_PORT": str(free_port()),
        }
        self.endpoint = f"http://127.0.0.1:{self.env['JAEGER_OTLP_PORT']}"
        self.query = f"http://127.0.0.1:{self.env['JAEGER_QUERY_PORT']}"

    def start(self) -> None:
        subprocess.run([str(SCRIPT), "start"], env=self.env, check=True, timeout=1200)

    def stop(self) -> None:
        subprocess.run([str(SCRIPT), "stop"], env=self.env, check=False, timeout=60)

    def trace(self, trace_id: str) -> list[Span]:
        """Every span of the trace the backend holds so far (none if it knows no such trace)."""
        answer = httpx.get(f"{self.query}/api/traces/{trace_id}", timeout=10)
        if answer.status_code == 404:
            return []
        answer.raise_for_status()
        spans = []
        for data in answer.json()["data"] or []:
            processes = {k: v["serviceName"] for k, v in data["processes"].items()}
            for span in data["spans"]:
                tags = {t["key"]: t["value"] for t in span.get("tags", [])}
                kind = str(tags.get("span.kind", "internal"))
                spans.append(Span(processes[span["processID"]], span["operationName"], kind))
        return spans
