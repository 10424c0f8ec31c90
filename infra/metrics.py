"""Prometheus metrics: every figure the processes export, in the process's one registry.

What each metric means is in docs/monitoring.md (a test checks the two agree). Label values come
from small fixed sets only — route templates, topics, matters, departments, reasons, clock
states — never a case number, a query code or anything about a person, so the number of series
does not grow with the cases (tests/e2e/test_metrics.py checks a scrape).

`configure` reads `LIANBAN_METRICS_ENABLED`: off, nothing is counted or served (the benchmark's
switch for what metrics cost). The Temporal SDK's own worker metrics join the same registry
through `infra.temporal_metrics`.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from infra.settings import Settings

# No `_created` series beside every counter and histogram: twice the series for a figure no
# alert or panel uses.
disable_created_metrics()
_enabled = True
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Clock states as operators name them; the read model's `none` is green.
CLOCK_STATES = {"none": "green", "yellow": "yellow", "red": "red", "breach": "breach"}


def configure(settings: Settings) -> None:
    global _enabled
    _enabled = settings.metrics_enabled


def enabled() -> bool:
    return _enabled


# --- HTTP API ---------------------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "lianban_http_requests",
    "HTTP requests answered, by route template, method and status code",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "lianban_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)

# --- Consumers --------------------------------------------------------------------------------
RECORDS = Counter(
    "lianban_consumer_records",
    "Records a consumer finished with, by topic and outcome (applied, dead_lettered)",
    ["topic", "outcome"],
)
TRANSIENT = Counter(
    "lianban_consumer_transient_errors",
    "Times a record was retried in place because Temporal, the database or the broker failed",
    ["topic"],
)
DEAD_LETTERS = Counter(
    "lianban_dead_letters",
    "Records dead-lettered, by source topic and reason (the dead letter's error code)",
    ["topic", "reason"],
)
CONSUMER_LAG = Gauge(
    "lianban_consumer_lag_records",
    "Records on a partition past the consumer group's committed offset",
    ["group", "topic", "partition"],
)

# --- Outbox and relay -------------------------------------------------------------------------
OUTBOX_UNSENT = Gauge("lianban_outbox_unsent_rows", "Outbox rows not yet published")
OUTBOX_OLDEST = Gauge(
    "lianban_outbox_oldest_unsent_age_seconds", "Age of the oldest unsent outbox row (0: none)"
)
OUTBOX_PARKED = Gauge(
    "lianban_outbox_parked_rows", "Outbox rows the relay gave up on, waiting for an operator"
)
RELAY_PUBLISHED = Counter("lianban_relay_published", "Outbox rows published", ["topic"])
RELAY_PARKED = Counter("lianban_relay_parked", "Outbox rows parked by the relay", ["topic"])
RELAY_LATENCY = Histogram(
    "lianban_relay_publish_latency_seconds",
    "From an outbox row's commit to the broker's acknowledgement of it",
    buckets=LATENCY_BUCKETS,
)

# --- Decisions ------------------------------------------------------------------------------
DECISION_LATENCY = Histogram(
    "lianban_decision_latency_seconds",
    "From a decision reaching Lianban to its DepartmentDecided being recorded, by source",
    ["source"],
    buckets=LATENCY_BUCKETS,
)

# --- Background work (the decisions consumer's signals to their cases: infra.background) ------
BACKGROUND_PENDING = Gauge(
    "lianban_background_pending",
    "Background work started and not finished: decisions recorded and acknowledged whose "
    "signal to their case is under way or being tried again",
)
BACKGROUND_LIMIT = Gauge(
    "lianban_background_limit",
    "Background work at most at once (LIANBAN_DECISION_DELIVERY_BACKLOG): at the limit the "
    "decisions consumer waits",
)

# --- What the center's staff see (refreshed by a periodic query of the read model) ----------
CASES_RUNNING = Gauge(
    "lianban_cases_running",
    "Running cases by matter and clock state (green, yellow, red, breach)",
    ["matter", "clock"],
)
CASES_STALLED = Gauge(
    "lianban_cases_stalled", "Stalled-list items by reason (read model only)", ["reason"]
)
SUPERVISION_OPEN = Gauge(
    "lianban_supervision_items_open", "Open supervision items by owner department", ["department"]
)
SUPERVISION_OVERDUE = Gauge(
    "lianban_supervision_items_overdue",
    "Open supervision items past their due date, by owner department",
    ["department"],
)
CLOCKS_PROVISIONAL = Gauge(
    "lianban_clocks_provisional", "Running cases whose clocks are provisional (weekdays only)"
)
CALENDAR_MISSING = Gauge(
    "lianban_calendar_missing_years",
    "Years the official working-day calendar is needed for but missing (this year, the coming "
    "one from LIANBAN_CALENDAR_NEXT_YEAR_FROM)",
)
ALERTS_ACTIVE = Gauge(
    "lianban_alerts_active",
    "Alerts Lianban shows as firing, by source (prometheus, kpi)",
    ["source"],
)
HEALTH_OK = Gauge(
    "lianban_health_check_ok", "1 when a /readyz check passes, 0 when it fails", ["check"]
)
READY = Gauge("lianban_ready", "1 while /readyz would answer 200 (database and Temporal answer)")
PARTS = Gauge("lianban_process_parts", "1 for each part this process runs", ["part"])
REFRESH_ERRORS = Gauge(
    "lianban_gauges_refresh_failed",
    "1 when the last refresh of a group of gauges failed (they keep their last values)",
    ["group"],
)


def http_method(method: str) -> str:
    """A method label from a fixed set: anything unusual is one series, not one per spelling."""
    known = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    return method if method in known else "OTHER"


def label_of(value: str, limit: int = 64) -> str:
    """A label value from a code (a reason, an error code): short, no odd characters."""
    cleaned = "".join(c if c.isalnum() or c in "_-.:" else "_" for c in value[:limit])
    return cleaned or "unknown"


def set_gauges(gauge: Gauge, values: Iterable[tuple[tuple[str, ...], float]]) -> None:
    """Set a labelled gauge to exactly these series: one not given any more is removed."""
    wanted = dict(values)
    for labels in [tuple(s) for s in gauge._metrics]:
        if labels not in wanted:
            gauge.remove(*labels)
    for labels, value in wanted.items():
        gauge.labels(*labels).set(value)


def token_accepted(expected: str | None, authorization: str | None) -> bool:
    """A scrape's `Authorization: Bearer …` against LIANBAN_METRICS_TOKEN (none set: open)."""
    if expected is None:
        return True
    given = (authorization or "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), expected.encode())


def exposition(registry: CollectorRegistry = REGISTRY) -> tuple[bytes, str]:
    """The registry in Prometheus's text format, after draining the Temporal SDK's buffer."""
    from infra import temporal_metrics

    temporal_metrics.drain()
    return generate_latest(registry), CONTENT_TYPE_LATEST
