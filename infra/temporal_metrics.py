"""The Temporal SDK's own worker and client metrics, in the process's Prometheus registry.

The SDK's runtime can serve Prometheus itself, but on a port and registry of its own; a process
running several parts serves one registry (docs/monitoring.md), so the runtime records into a
`MetricBuffer` instead and this module turns the buffered updates into Prometheus series:
counters add up, gauges keep the last value, histograms count into buckets. The buffer is
drained by the process's metrics loop every few seconds and before every scrape.

The SDK's labels are its own (namespace, task queue, workflow and activity type, poller and
status): never a workflow id, so never a case number. But the SDK makes a new attributes object
for each workflow run and activity it meters, with the same few values: labels are cached by
the attributes' values, so the cache holds one entry per label set (tens). Keyed by every object
ever seen, the cache grew ~2.5 KB per case for good (bench/RESULTS.md, "Worker memory per open
case"); keyed by id alone, an object the SDK dropped handed its id, and so its labels, to the
next one.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from temporalio.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_GAUGE,
    LogForwardingConfig,
    LoggingConfig,
    MetricBuffer,
    MetricBufferDurationFormat,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

log = logging.getLogger("lianban.metrics")
# Updates the SDK can hold between two drains (every 2 s); when full it drops them and logs an
# error. The SDK allocates and touches every slot (~90 B) when the runtime starts: with 200,000
# slots the runtime took 21 MB of every process's RSS from its first second, 7 MB with 50,000
# (bench/RESULTS.md, "Worker memory per open case"). `drain` warns past half of it.
BUFFER_SIZE = 50_000
LABEL_CACHE_MAX = 10_000  # distinct label sets remembered (the SDK uses tens)
BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
Labels = tuple[tuple[str, str], ...]


@dataclass
class _Series:
    kind: int
    description: str
    values: dict[Labels, float] = field(default_factory=dict)
    buckets: dict[Labels, list[float]] = field(default_factory=dict)  # counts, then the sum


def _labels(attributes: Mapping[str, Any]) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in attributes.items()))


class TemporalCollector(Collector):
    """Holds what the SDK reported, by metric and label set, and hands it to Prometheus."""

    def __init__(self) -> None:
        self._series: dict[str, _Series] = {}
        self._lock = threading.Lock()
        # Labels by the attribute set's items as the SDK hands them. Not by `id()`: the SDK
        # makes a new attributes object for every workflow and activity it reports on, so a
        # cache by id grew by ~8 entries a workflow for good (the worker's slow growth with
        # open cases) and a freed object's id, reused, could file an update under another
        # set's labels. The SDK's label sets are few (tens); the cap is a fuse, not a policy.
        self._label_cache: dict[tuple[tuple[str, Any], ...], Labels] = {}

    def add(self, updates: Any) -> None:
        with self._lock:
            for u in updates:
                self._add(u)

    def _add(self, u: Any) -> None:
        metric = u.metric
        name = metric.name.replace(".", "_").replace("-", "_")
        series = self._series.get(name)
        if series is None:
            series = self._series[name] = _Series(metric.kind, metric.description or name)
        key = tuple(u.attributes.items())  # cheaper to hash than to sort and stringify
        labels = self._label_cache.get(key)
        if labels is None:
            if len(self._label_cache) >= LABEL_CACHE_MAX:
                self._label_cache.clear()
            labels = self._label_cache[key] = _labels(u.attributes)
        if series.kind == BUFFERED_METRIC_KIND_COUNTER:
            series.values[labels] = series.values.get(labels, 0.0) + u.value
        elif series.kind == BUFFERED_METRIC_KIND_GAUGE:
            series.values[labels] = float(u.value)
        else:
            counts = series.buckets.get(labels)
            if counts is None:
                counts = series.buckets[labels] = [0.0] * (len(BUCKETS) + 2)
            counts[bisect.bisect_left(BUCKETS, u.value)] += 1
            counts[-1] += u.value

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            snapshot = list(self._series.items())
            for name, s in snapshot:
                yield from self._families(name, s)

    @staticmethod
    def _families(name: str, s: _Series) -> Iterator[Metric]:
        if s.kind == BUFFERED_METRIC_KIND_COUNTER:
            # Some SDK counters already end in `_total` (temporal_local_activity_total).
            family = name.removesuffix("_total")
            counter = CounterMetricFamily(family, s.description, labels=None)
            for labels, value in s.values.items():
                counter.add_sample(f"{family}_total", dict(labels), value)
            yield counter
        elif s.kind == BUFFERED_METRIC_KIND_GAUGE:
            gauge = GaugeMetricFamily(name, s.description)
            for labels, value in s.values.items():
                gauge.add_sample(name, dict(labels), value)
            yield gauge
        else:
            hist = HistogramMetricFamily(name, s.description)
            for labels, counts in s.buckets.items():
                cumulative, running = [], 0.0
                for bound, n in zip((*BUCKETS, float("inf")), counts[:-1], strict=True):
                    running += n
                    cumulative.append((_bound(bound), running))
                base = dict(labels)
                for le, n in cumulative:
                    hist.add_sample(f"{name}_bucket", {**base, "le": le}, n)
                hist.add_sample(f"{name}_count", base, running)
                hist.add_sample(f"{name}_sum", base, counts[-1])
            yield hist


def _bound(b: float) -> str:
    return "+Inf" if b == float("inf") else repr(b)


_buffer: MetricBuffer | None = None
_runtime: Runtime | None = None
_collector: TemporalCollector | None = None


def runtime() -> Runtime:
    """The process's Temporal runtime recording into the buffer (made once, registered once)."""
    global _buffer, _runtime, _collector
    if _runtime is None:
        _buffer = MetricBuffer(BUFFER_SIZE, MetricBufferDurationFormat.SECONDS)
        # The SDK core's own warnings go through Python's logging too (JSON lines in
        # production), not straight to stderr in a format of their own.
        core_logs = LoggingConfig(
            filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
            forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
        )
        _runtime = Runtime(
            telemetry=TelemetryConfig(logging=core_logs, metrics=_buffer, metric_prefix="temporal_")
        )
        _collector = TemporalCollector()
        REGISTRY.register(_collector)
    return _runtime


def drain() -> int:
    """Move the buffered updates into the collector; how many there were."""
    if _buffer is None or _collector is None:
        return 0
    updates = _buffer.retrieve_updates()
    if len(updates) > BUFFER_SIZE // 2:  # a 500-case burst made ~2,100 between two drains
        log.warning(
            "%d Temporal metric updates since the last drain: more than half the buffer (%d); "
            "the SDK drops those beyond it",
            len(updates),
            BUFFER_SIZE,
        )
    _collector.add(updates)
    return len(updates)
