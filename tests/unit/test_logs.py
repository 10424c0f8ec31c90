"""Log lines: JSON with time, level, logger, message, case and trace ids in production; readable
lines under `lianban dev`; aiokafka's chatter held back; personal data still masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from infra import logs, redact
from infra.settings import Settings

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger configured as `lianban serve` does, writing into a buffer."""
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    logs.configure(Settings(log_format="json"))
    out = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    try:
        yield out
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in before[0]:
            root.addHandler(h)
        root.setLevel(before[1])
        logging.getLogger("aiokafka").setLevel(logging.NOTSET)


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_json_line_names_its_case_and_trace(captured: io.StringIO) -> None:
    with logs.case_context("LB-2026-000123", TRACEPARENT):
        logging.getLogger("lianban.consumers").warning("transient error on %s; retrying", "x")
    (line,) = lines(captured)
    assert line["level"] == "WARNING" and line["logger"] == "lianban.consumers"
    assert line["message"] == "transient error on x; retrying"
    assert line["case_id"] == "LB-2026-000123"
    assert line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert line["span_id"] == "00f067aa0ba902b7"
    assert str(line["time"]).endswith("+00:00")


def test_the_current_span_wins_and_nothing_unknown_is_written(captured: io.StringIO) -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("step") as span:
        logging.getLogger("lianban.relay").error("parked")
    logging.getLogger("lianban.relay").info("no case here", extra={"route": "/x"})
    first, second = lines(captured)
    assert first["trace_id"] == f"{span.get_span_context().trace_id:032x}"
    assert "case_id" not in first
    assert second == {k: second[k] for k in ("message", "route", "time", "level", "logger")}


def test_the_access_log_never_names_the_case_its_handler_set(captured: io.StringIO) -> None:
    with logs.case_context("LB-2026-000999", TRACEPARENT):
        extra = {"route": "/tasks/{task_id}/decision", logs.NO_CONTEXT: True}
        logging.getLogger("lianban.access").info("POST …", extra=extra)
    (line,) = lines(captured)
    assert "LB-2026-000999" not in json.dumps(line) and "trace_id" not in line
    assert logs.NO_CONTEXT not in line and line["route"] == "/tasks/{task_id}/decision"


def test_temporal_log_context_names_the_case(captured: io.StringIO) -> None:
    extra = {"temporal_activity": {"workflow_id": "LB-2026-000456/review/fire"}}
    logging.getLogger("temporalio.activity").info("retrying", extra=extra)
    assert lines(captured)[0]["case_id"] == "LB-2026-000456"


def test_aiokafka_metadata_chatter_is_held_back(captured: io.StringIO) -> None:
    logging.getLogger("aiokafka.consumer.subscription_state").info("Updating subscribed topics")
    logging.getLogger("aiokafka.conn").warning("connection lost")
    assert [line["message"] for line in lines(captured)] == ["connection lost"]


def test_personal_data_is_masked_in_json_lines(captured: io.StringIO) -> None:
    redact.install()
    logging.getLogger("lianban.api").warning("applicant %s", "身份证 110101199003077774")
    assert "110101199003077774" not in captured.getvalue()


def test_the_readable_format_for_a_developer() -> None:
    record = logging.LogRecord(
        "lianban.relay", logging.INFO, __file__, 1, "published %d", (3,), None
    )
    logs.ContextFilter().filter(record)
    assert logs.ReadableFormatter().format(record).endswith("INFO    lianban.relay published 3")
    with logs.case_context("LB-1", TRACEPARENT):
        logs.ContextFilter().filter(record)
    line = logs.ReadableFormatter().format(record)
    assert line.endswith("[case LB-1 trace 4bf92f3577b34da6a3ce929d0e0e4736]")


def test_dev_is_readable_and_serve_json_by_default() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        logs.configure(Settings(), dev=True)
        assert isinstance(root.handlers[0].formatter, logs.ReadableFormatter)
        logs.configure(Settings(), dev=False)
        assert isinstance(root.handlers[0].formatter, logs.LineFormatter)
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in before:
            root.addHandler(h)
