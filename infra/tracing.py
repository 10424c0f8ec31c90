"""OpenTelemetry wiring: one replay-safe tracer provider per process, spans kept in the
database (embedded default) and/or sent over OTLP, W3C trace context carried in Kafka headers.

Spans inside workflows come from Temporal's replay-safe provider (deterministic ids, workflow
time, nothing emitted again on replay), so a case's step spans follow its event history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, SpanKind
from temporalio.contrib.opentelemetry import ReplaySafeTracerProvider, create_tracer_provider

from infra.settings import Settings

log = logging.getLogger("lianban.tracing")
CASE_ATTR = "lianban.case_id"
_provider: Any = None
_sinks: list[SpanSink] = []


class SpanSink:
    """Receives finished spans from the exporter thread; an async task writes them."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
        self.closed = False

    def offer(self, rows: list[dict[str, Any]]) -> None:
        if not self.closed:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, rows)


def _ts(ns: int | None) -> datetime:
    return datetime.fromtimestamp((ns or 0) / 1e9, UTC)


def span_row(span: ReadableSpan) -> dict[str, Any]:
    ctx = span.get_span_context()
    attrs = dict(span.attributes or {})
    return {
        "span_id": f"{ctx.span_id:016x}" if ctx else "",
        "trace_id": f"{ctx.trace_id:032x}" if ctx else "",
        "parent_span_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "name": span.name,
        "case_id": attrs.get(CASE_ATTR),
        "start_time": _ts(span.start_time),
        "end_time": _ts(span.end_time),
        "status": span.status.status_code.name,
        "attributes": {k: v if not isinstance(v, tuple) else list(v) for k, v in attrs.items()},
    }


class DatabaseSpanExporter(SpanExporter):
    """Hands spans to every registered sink (one per running app in this process)."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        rows = [span_row(s) for s in spans]
        for sink in list(_sinks):
            sink.offer(rows)
        return SpanExportResult.SUCCESS


class _CachedTracers(ReplaySafeTracerProvider):
    """Temporal's replay-safe provider, answering `get_tracer` once per instrumentation name.
    Temporal's interceptor asks for a tracer at every signal, activity and workflow step, and
    each ask costs the SDK a warnings-filter update, two scope objects and a lock: ~2.5 % of
    the process's CPU (bench/RESULTS.md). Its tracers are stateless wrappers, so the first
    answer serves every later ask. (Temporal's plugin requires this class, hence a subclass.)"""

    _tracers: dict[tuple[str, str | None, str | None], trace.Tracer]

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> trace.Tracer:
        key = (instrumenting_module_name, instrumenting_library_version, schema_url)
        if attributes:  # not cacheable by name (nobody here passes any)
            return super().get_tracer(*key, attributes)
        tracers = self.__dict__.setdefault("_tracers", {})
        found = tracers.get(key)
        if found is None:
            found = tracers[key] = super().get_tracer(*key)
        return found


def provider_for(settings: Settings) -> Any:
    """A replay-safe tracer provider exporting where `settings` say (not installed)."""
    made = create_tracer_provider(resource=Resource.create({"service.name": "lianban"}))
    provider = _CachedTracers(made._tracer_provider, made.id_generator())
    if settings.spans_in_database:
        # Off the request and activity paths: the processor's thread hands batches to the
        # process's span writer task (entrypoints/runner.py), one transaction a batch.
        provider.add_span_processor(
            BatchSpanProcessor(DatabaseSpanExporter(), schedule_delay_millis=500)
        )
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(settings.otlp_endpoint)))
    return provider


def configure(settings: Settings) -> None:
    """Install the process's tracer provider once (OpenTelemetry allows only one)."""
    global _provider
    if _provider is not None:
        return
    provider = provider_for(settings)
    trace.set_tracer_provider(provider)
    # When the worker evicts a cached workflow (shutdown, cache pressure) its coroutine is
    # closed inside open spans; OpenTelemetry then logs a harmless detach error per span.
    logging.getLogger("opentelemetry.context").setLevel(logging.CRITICAL)
    _provider = provider


def register_sink() -> SpanSink:
    sink = SpanSink()
    _sinks.append(sink)
    return sink


def unregister_sink(sink: SpanSink) -> None:
    sink.closed = True
    if sink in _sinks:
        _sinks.remove(sink)


def flush() -> None:
    if _provider is not None:
        _provider.force_flush()


def tracer() -> trace.Tracer:
    return trace.get_tracer("lianban")


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def context_from(traceparent: str | None) -> Context | None:
    return propagate.extract({"traceparent": traceparent}) if traceparent else None


@contextlib.contextmanager
def span_in_case(
    name: str,
    case_traceparent: str | None,
    *,
    incoming: str | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: dict[str, Any] | None = None,
) -> Iterator[trace.Span]:
    """A span in the case's trace; a different incoming context becomes a link, not a parent."""
    span = start_in_case(
        name, case_traceparent, incoming=incoming, kind=kind, attributes=attributes
    )
    with trace.use_span(span, end_on_exit=True):
        yield span


def start_in_case(
    name: str,
    case_traceparent: str | None,
    *,
    incoming: str | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: dict[str, Any] | None = None,
) -> trace.Span:
    """`span_in_case`'s span, started but not made current: several at once (a batch of
    decisions, one span each), each entered with `trace.use_span` where its work is done."""
    parent = context_from(case_traceparent or incoming)
    links = []
    if incoming and case_traceparent and incoming != case_traceparent:
        other = trace.get_current_span(context_from(incoming)).get_span_context()
        links.append(Link(other))
    return tracer().start_span(
        name, context=parent, kind=kind, links=links, attributes=attributes or {}
    )


def traceparent_of(span: trace.Span) -> str | None:
    """The W3C traceparent naming `span`, as an event written in it carries."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get("traceparent")
