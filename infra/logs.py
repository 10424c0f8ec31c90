"""Log lines: JSON objects in production, readable lines under `lianban dev`.

Every line carries the time, level, logger and message, and where known the case it is about
and the trace and span it belongs to (the current OpenTelemetry span's, else the trace context
the code working on a case set with `case_context`). ID and phone numbers are masked before any
of this sees a record (`infra.redact`). aiokafka's metadata chatter ("Updating subscribed
topics", several lines a second) is held back to warnings.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from infra.settings import Settings

_case_id: ContextVar[str | None] = ContextVar("lianban_case_id", default=None)
_traceparent: ContextVar[str | None] = ContextVar("lianban_traceparent", default=None)
# Loggers of libraries that talk too much at INFO for an operator's log.
QUIET = ("aiokafka", "kafka", "httpx", "httpcore", "alembic.runtime.migration")


@contextlib.contextmanager
def case_context(case_id: str | None, traceparent: str | None = None) -> Iterator[None]:
    """Lines logged inside carry this case (and its trace, when no span is current)."""
    case_token = _case_id.set(case_id)
    trace_token = _traceparent.set(traceparent)
    try:
        yield
    finally:
        _case_id.reset(case_token)
        _traceparent.reset(trace_token)


def set_case(case_id: str | None, traceparent: str | None = None) -> None:
    """As `case_context`, for the rest of the current task (an activity, a request)."""
    _case_id.set(case_id)
    _traceparent.set(traceparent)


def _from_traceparent(value: str | None) -> tuple[str | None, str | None]:
    parts = (value or "").split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16:
        return parts[1], parts[2]
    return None, None


NO_CONTEXT = "lianban_no_context"  # `extra={NO_CONTEXT: True}`: a line about no case


class ContextFilter(logging.Filter):
    """Adds `case_id`, `trace_id` and `span_id` to every record (None when unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, NO_CONTEXT, False):
            # (The access log: what the request's handler set must not show in its line.)
            record.case_id = record.trace_id = record.span_id = None
            return True
        if getattr(record, "case_id", None) is None:
            record.case_id = _case_id.get() or _workflow_case(record)
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            record.trace_id, record.span_id = f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"
        else:
            record.trace_id, record.span_id = _from_traceparent(_traceparent.get())
        return True


def _workflow_case(record: logging.LogRecord) -> str | None:
    """Temporal's workflow and activity loggers name the workflow: a case's id is its own (a
    review of the first shape is `<case>/review/<department>`)."""
    for extra in ("temporal_workflow", "temporal_activity"):
        info = getattr(record, extra, None)
        if isinstance(info, dict) and info.get("workflow_id"):
            return str(info["workflow_id"]).split("/", 1)[0]
    return None


class LineFormatter(JsonFormatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the context
    fields that are known, and whatever `extra=` the call gave."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message)
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        for key in ("case_id", "trace_id", "span_id"):
            value = getattr(record, key, None)
            log_data.pop(key, None)
            if value:
                log_data[key] = value
        # (temporal_log: the SDK core's own record object, forwarded; its text is the message.)
        for key in ("levelname", "name", "asctime", "color_message", "temporal_log", NO_CONTEXT):
            log_data.pop(key, None)


class ReadableFormatter(logging.Formatter):
    """`HH:MM:SS LEVEL logger message [case … trace …]` for a developer's terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tags = [
            f"{name} {value}"
            for name, value in (
                ("case", getattr(record, "case_id", None)),
                ("trace", getattr(record, "trace_id", None)),
            )
            if value
        ]
        return f"{line} [{' '.join(tags)}]" if tags else line


def json_formatter() -> logging.Formatter:
    return LineFormatter("{message}", style="{", json_ensure_ascii=False)


def configure(settings: Settings, *, dev: bool = False) -> None:
    """The root logger of a `lianban serve` / `lianban dev` process: one handler on stderr."""
    use_json = settings.log_format == "json" or (settings.log_format == "auto" and not dev)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter() if use_json else ReadableFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
