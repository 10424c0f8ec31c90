"""The metrics' plumbing without a server: label hygiene, gauges set to exactly what is given,
the Temporal SDK's buffered updates as Prometheus series, the scrape token, the PromQL reader
the deploy check uses, and the docs listing every metric."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from temporalio.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_GAUGE,
    BUFFERED_METRIC_KIND_HISTOGRAM,
)

from entrypoints.cli.deploy_monitoring import exported_names, metric_names
from infra import metrics, temporal_metrics
from infra.temporal_metrics import TemporalCollector

DOCS = Path(__file__).parents[2] / "docs" / "monitoring.md"


@dataclass(frozen=True)
class FakeMetric:
    name: str
    kind: int
    description: str = ""
    unit: str | None = None


@dataclass(frozen=True)
class FakeUpdate:
    metric: FakeMetric
    value: float
    attributes: dict[str, str] = field(default_factory=dict)


def test_method_and_code_labels_come_from_fixed_sets() -> None:
    assert metrics.http_method("GET") == "GET"
    assert metrics.http_method("PROPFIND") == metrics.http_method("X" * 300) == "OTHER"
    assert metrics.label_of("bad_signature") == "bad_signature"
    assert metrics.label_of("a b/c{d}\n" + "x" * 100) == "a_b_c_d__" + "x" * 55
    assert metrics.label_of("") == "unknown"


def test_set_gauges_removes_the_series_not_given_again() -> None:
    registry = CollectorRegistry()
    gauge = Gauge("g", "a gauge", ["reason"], registry=registry)
    metrics.set_gauges(gauge, [(("a",), 1), (("b",), 2)])
    metrics.set_gauges(gauge, [(("b",), 3)])
    samples = {s.labels["reason"]: s.value for s in next(iter(gauge.collect())).samples}
    assert samples == {"b": 3}


def test_temporal_updates_become_counters_gauges_and_histograms() -> None:
    collector = TemporalCollector()
    attrs = {"task_queue": "q", "workflow_type": "CaseWorkflow"}
    done = FakeMetric("temporal_workflow_completed", BUFFERED_METRIC_KIND_COUNTER)
    local = FakeMetric("temporal_local_activity_total", BUFFERED_METRIC_KIND_COUNTER)
    slots = FakeMetric("temporal_worker_task_slots_available", BUFFERED_METRIC_KIND_GAUGE)
    latency = FakeMetric("temporal_workflow_task_execution_latency", BUFFERED_METRIC_KIND_HISTOGRAM)
    collector.add(
        [
            FakeUpdate(done, 1, attrs),
            FakeUpdate(done, 2, attrs),
            FakeUpdate(local, 5, attrs),
            FakeUpdate(slots, 7, {"worker_type": "WorkflowWorker"}),
            FakeUpdate(slots, 4, {"worker_type": "WorkflowWorker"}),
            FakeUpdate(latency, 0.003, attrs),
            FakeUpdate(latency, 0.2, attrs),
            FakeUpdate(latency, 120.0, attrs),
        ]
    )
    registry = CollectorRegistry()
    registry.register(collector)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for s in family.samples
    }
    labels = tuple(sorted(attrs.items()))
    assert samples[("temporal_workflow_completed_total", labels)] == 3
    assert samples[("temporal_local_activity_total", labels)] == 5  # not `_total_total`
    assert (
        samples[("temporal_worker_task_slots_available", (("worker_type", "WorkflowWorker"),))] == 4
    )
    bucket = "temporal_workflow_task_execution_latency_bucket"
    assert samples[(bucket, tuple(sorted({**attrs, "le": "0.005"}.items())))] == 1
    assert samples[(bucket, tuple(sorted({**attrs, "le": "0.25"}.items())))] == 2
    assert samples[(bucket, tuple(sorted({**attrs, "le": "+Inf"}.items())))] == 3
    assert samples[("temporal_workflow_task_execution_latency_count", labels)] == 3
    assert abs(samples[("temporal_workflow_task_execution_latency_sum", labels)] - 120.203) < 1e-9


def test_temporal_labels_are_cached_per_label_set_not_per_attribute_object() -> None:
    """The SDK makes a new attributes object per workflow run and activity, with the same few
    values, and holds many of them: the worker grew by each one it ever saw (bench/RESULTS.md)."""
    collector = TemporalCollector()
    done = FakeMetric("temporal_workflow_completed", BUFFERED_METRIC_KIND_COUNTER)
    runs = [{"task_queue": "q", "workflow_type": f"W{i % 2}"} for i in range(6_000)]
    collector.add(FakeUpdate(done, 1, attrs) for attrs in runs)
    assert len(collector._label_cache) == 2  # one entry per label set, not per object
    series = collector._series["temporal_workflow_completed"].values
    assert sorted(series.values()) == [len(runs) / 2, len(runs) / 2]
    # Labels of equal values are one tuple, whichever attributes object they came from.
    cached = {id(labels) for labels in collector._label_cache.values()}
    assert cached == {id(labels) for labels in series}


def test_temporal_labels_follow_the_values_when_an_attributes_id_is_reused() -> None:
    """An attributes object the SDK dropped frees its id for the next one, of other values: the
    cache keyed by id alone counted W2's updates as W0's or W1's."""
    collector = TemporalCollector()
    done = FakeMetric("temporal_workflow_completed", BUFFERED_METRIC_KIND_COUNTER)
    # Each dict is dropped after its update: CPython hands its memory (its id) to a later one.
    collector.add(
        FakeUpdate(done, 1, {"task_queue": "q", "workflow_type": f"W{i % 3}"}) for i in range(300)
    )
    series = collector._series["temporal_workflow_completed"].values
    assert {dict(labels)["workflow_type"]: n for labels, n in series.items()} == {
        "W0": 100,
        "W1": 100,
        "W2": 100,
    }


def test_the_temporal_metric_buffer_costs_a_few_megabytes() -> None:
    """The SDK touches every slot of the buffer when the runtime starts: 200,000 slots were
    ~21 MB of every process's RSS (bench/RESULTS.md). Measured in a fresh interpreter."""
    probe = (
        "import re\n"
        "def rss():\n"
        "    status = open('/proc/self/status').read()\n"
        "    return int(re.search(r'VmRSS:\\s+(\\d+)', status).group(1)) / 1024\n"
        "from infra import temporal_metrics\n"
        "before = rss()\n"
        "temporal_metrics.runtime()\n"
        "print(rss() - before)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert float(out.stdout) < 12, f"the Temporal runtime with its buffer: {out.stdout} MB"


def test_a_drain_past_half_the_buffer_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    done = FakeMetric("temporal_workflow_completed", BUFFERED_METRIC_KIND_COUNTER)
    pending: list[list[FakeUpdate]] = []

    class Buffer:
        def retrieve_updates(self) -> list[FakeUpdate]:
            return pending.pop()

    monkeypatch.setattr(temporal_metrics, "_buffer", Buffer())
    monkeypatch.setattr(temporal_metrics, "_collector", TemporalCollector())
    half = temporal_metrics.BUFFER_SIZE // 2
    pending += [[FakeUpdate(done, 1)] * (half + 1), [FakeUpdate(done, 1)] * half]
    with caplog.at_level("WARNING", logger="lianban.metrics"):
        assert temporal_metrics.drain() == half
        assert caplog.messages == []
        assert temporal_metrics.drain() == half + 1
    assert caplog.messages == [
        f"{half + 1} Temporal metric updates since the last drain: more than half the buffer "
        f"({temporal_metrics.BUFFER_SIZE}); the SDK drops those beyond it"
    ]


def test_the_scrape_token_is_asked_for_only_when_set() -> None:
    assert metrics.token_accepted(None, None)
    assert metrics.token_accepted("s3cret", "Bearer s3cret")
    assert not metrics.token_accepted("s3cret", None)
    assert not metrics.token_accepted("s3cret", "Bearer s3cre")


def test_metric_names_reads_what_an_expression_queries() -> None:
    expr = (
        'sum by (matter) (rate(lianban_dead_letters_total{topic=~"a|b"}[5m])) * 60 > 5 '
        "or histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m]))) "
        'or (up{job="lianban"} == 0) or count(lianban_ready == 0) or vector(0) offset 1h'
    )
    assert metric_names(expr) == {"lianban_dead_letters_total", "x_bucket", "up", "lianban_ready"}


def test_the_docs_list_every_metric_and_no_other() -> None:
    documented = set(re.findall(r"^\| `(lianban_[a-z_]+)` \|", DOCS.read_text(), re.MULTILINE))
    exported = exported_names()
    families = {
        n.removesuffix("_total").removesuffix("_bucket").removesuffix("_sum").removesuffix("_count")
        for n in exported
    }
    # A counter is documented by its `_total` name, anything else by its family name.
    shown = {n.removesuffix("_total") for n in documented}
    assert families == shown, (families - shown, shown - families)
    assert {n for n in documented if n.endswith("_total")} <= exported
