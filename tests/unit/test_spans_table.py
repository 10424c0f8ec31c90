"""Spans go to the `spans` table only without a collector (or when asked): no page or report
reads the table, so with LIANBAN_OTLP_ENDPOINT set it is no longer written."""

from __future__ import annotations

import asyncio

import pytest

from infra import tracing
from infra.settings import Settings

OTLP = "http://127.0.0.1:4318/v1/traces"


@pytest.mark.parametrize(
    ("given", "in_database"),
    [
        ({}, True),  # the embedded default: the table is where traces are
        ({"otlp_endpoint": OTLP}, False),
        ({"otlp_endpoint": OTLP, "spans_table": True}, True),
        ({"spans_table": False}, False),
    ],
)
def test_spans_in_database(given: dict[str, object], in_database: bool) -> None:
    assert Settings.model_validate(given).spans_in_database is in_database


@pytest.mark.parametrize("spans_table", [True, False])
async def test_the_span_writer_gets_spans_only_when_the_table_is_kept(spans_table: bool) -> None:
    provider = tracing.provider_for(Settings(spans_table=spans_table))
    sink = tracing.register_sink()
    try:
        with provider.get_tracer("test").start_as_current_span("step"):
            pass
        provider.force_flush()
        await asyncio.sleep(0)  # the exporter thread hands rows over with call_soon_threadsafe
        got = [row["name"] for rows in drained(sink) for row in rows]
        assert ("step" in got) is spans_table, got
    finally:
        tracing.unregister_sink(sink)
        provider.shutdown()


def drained(sink: tracing.SpanSink) -> list[list[dict[str, object]]]:
    batches = []
    while not sink.queue.empty():
        batches.append(sink.queue.get_nowait())
    return batches


def test_the_provider_answers_one_tracer_per_name_and_stays_replay_safe() -> None:
    from temporalio.contrib.opentelemetry import ReplaySafeTracerProvider

    provider = tracing.provider_for(Settings(spans_table=False))
    try:
        assert isinstance(provider, ReplaySafeTracerProvider)  # Temporal's plugin insists
        first = provider.get_tracer("temporalio.contrib.opentelemetry")
        assert provider.get_tracer("temporalio.contrib.opentelemetry") is first
        assert provider.get_tracer("lianban") is not first
        with first.start_as_current_span("step") as span:
            assert span.get_span_context().is_valid
    finally:
        provider.shutdown()
