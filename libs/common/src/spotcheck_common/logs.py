"""Structured (JSON) logs carrying the trace id, so a log line leads to its trace."""

from __future__ import annotations

import atexit
import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from opentelemetry import trace


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        span = trace.get_current_span().get_span_context()
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if span.is_valid:
            line["trace_id"] = f"{span.trace_id:032x}"
            line["span_id"] = f"{span.span_id:016x}"
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            line.update(extra)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


# Libraries that log every retry of an outage at ERROR: during a broker outage aiokafka logs
# each reconnect of each consumer (archives alone has 38), ~1,600 lines a second.
REPEATING = ("aiokafka",)
REPEAT_WINDOW_S = 30.0


class Repeats(logging.Filter):
    """Lets through the first record of each message (logger, level, unformatted text) of the
    ``prefixes``' loggers, then at most one every ``window_s``, carrying how many were held back
    (``repeated``; in the text too). Other loggers pass untouched. What is held back when the
    process ends is not lost: :meth:`held_back`."""

    MAX_KEYS = 1024  # messages remembered at once (a library's templates: a few dozen)

    def __init__(
        self,
        prefixes: tuple[str, ...] = REPEATING,
        window_s: float = REPEAT_WINDOW_S,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.prefixes, self.window_s, self.now = prefixes, window_s, now
        # Per message: when one was last let through, how many since, the latest held back.
        self.seen: dict[tuple[str, int, str], tuple[float, int, logging.LogRecord | None]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.now()
        last = self.seen.get(key)
        if last is not None and now - last[0] < self.window_s:
            self.seen[key] = (last[0], last[1] + 1, record)
            return False
        if len(self.seen) >= self.MAX_KEYS:
            self.seen.clear()
        self.seen[key] = (now, 0, None)
        if last is not None and last[1]:
            _repeated(record, last[1], f"and {last[1]} like it in the last {self.window_s:g} s")
        return True

    def held_back(self) -> list[logging.LogRecord]:
        """The latest record of each message held back since one was let through, carrying how
        many were; forgotten once taken (the process's exit logs them)."""
        held = [(n, r) for _, n, r in self.seen.values() if n and r is not None]
        self.seen.clear()
        for count, record in held:
            _repeated(record, count, f"the last of {count} like it held back")
        return [record for _, record in held]


def _repeated(record: logging.LogRecord, count: int, note: str) -> None:
    record.msg = f"{record.msg} ({note})"
    record.fields = {**getattr(record, "fields", {}), "repeated": count}


def _log_held_back(repeats: Repeats, handler: logging.Handler) -> None:
    for record in repeats.held_back():
        handler.emit(record)  # past the filter, which would hold it back again


def setup_logging(level: str = "INFO", as_json: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    repeats = Repeats()
    handler.addFilter(repeats)
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Before logging's own shutdown (exit handlers run last registered first).
    atexit.unregister(_log_held_back)
    atexit.register(_log_held_back, repeats, handler)
    for noisy in ("aiokafka", "faststream", "sqlalchemy.engine", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
