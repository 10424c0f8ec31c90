"""Every benchmark under bench/ runs at a tiny size, so none rots between measurements.

No timing is asserted: each test checks the run completed and printed its figures (the rows it
exists for, with counts above zero). The benchmarks that need a Temporal server and a broker run
on the suite's session stack (`bench.harness.shared_stack`: topics, task queue and consumer group
of their own); those on PostgreSQL make their throwaway database on 127.0.0.1:5432 as they do
when run by hand. Helper modules (harness, bare, cpu, *_data, scale_*) run through these.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import io
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

import asyncpg
import pytest

from bench import (
    anatomy,
    audit,
    flame,
    latency,
    library,
    memory,
    reports,
    resend_burst,
    scale,
    scale_explain,
    spans,
    statements,
    throughput,
    workers,
    writepath,
)
from bench.harness import shared_stack
from entrypoints import runner
from entrypoints.devstack.stack import EmbeddedStack

pytestmark = pytest.mark.integration

# Two departments: the cheapest joint case (IND-CONSTRUCTION has five).
MATTER = "OUTDOOR-AD"


def numbers(pattern: str, text: str) -> list[float]:
    """The first group of every match of `pattern` in `text`, as numbers; fails on none."""
    found = [float(m.group(1).replace(",", "")) for m in re.finditer(pattern, text)]
    assert found, f"no {pattern!r} in:\n{text}"
    return found


def positive(pattern: str, text: str) -> list[float]:
    found = numbers(pattern, text)
    assert all(n > 0 for n in found), (pattern, found, text)
    return found


@pytest.fixture(autouse=True)
def quick_group_joins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every consumer these runs start (in `lianban serve` or in-process) joins its group in
    2 s, not 5: the embedded broker lets a member in after half the session timeout. The
    benchmarks' own runs keep the default; nothing is measured here."""
    monkeypatch.setenv("LIANBAN_KAFKA_SESSION_TIMEOUT_MS", "3000")


# The benchmarks on the stack run side by side, at most this many at once: most of each is
# waiting (a `lianban serve` process starting, a consumer group joining), not computing.
AT_ONCE = 4
_OUT: contextvars.ContextVar[io.StringIO | None] = contextvars.ContextVar("out", default=None)


class _TaskStdout(io.TextIOBase):
    """sys.stdout that keeps each benchmark's prints apart: a task writes to its own buffer."""

    def __init__(self, fallback: TextIO) -> None:
        self.fallback = fallback

    def write(self, text: str) -> int:
        return (_OUT.get() or self.fallback).write(text)


Check = Callable[[str], object]


def check_throughput(out: str) -> None:
    positive(r"bare Temporal :\s+([\d.]+) cases/s", out)
    positive(r"Lianban\s+:\s+([\d.]+) cases/s", out)
    positive(r"ratio\s+:\s+([\d.]+)", out)
    assert len(numbers(r"CPU over ([\d.]+)s wall", out)) == 2  # the bare run, then Lianban's
    positive(r"lianban ([\d.]+)s", out)
    positive(r"lianban/temporal CPU: ([\d.]+)", out)


def check_split(out: str) -> None:
    """Lianban as one process per part on PostgreSQL: each part's CPU and their sum."""
    positive(r"Lianban\s+:\s+([\d.]+) cases/s", out)
    for part in throughput.PARTS:
        numbers(rf"{part} ([\d.]+)s \(", out)
    positive(r"lianban, 4 processes: ([\d.]+)s", out)
    positive(r"lianban/temporal CPU: ([\d.]+)", out)
    assert "bare Temporal" not in out, out


def check_metrics_cost(out: str) -> None:
    positive(r"metrics on : median ([\d.]+) ms CPU/case", out)
    positive(r"metrics off: median ([\d.]+) ms CPU/case", out)
    numbers(r"cost\s+: ([-+\d.]+) %", out)


def check_anatomy(out: str) -> None:
    positive(r"one case: (\d+) history events", out)
    positive(r"history events, (\d+) workflow tasks", out)


def check_latency(out: str) -> None:
    assert numbers(r"decisions: (\d+) at", out) == [4]  # 2 cases x 2 departments
    for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms"):
        positive(rf'"{key}": ([\d.]+)', out)
    positive(r'until Lianban produced the acknowledgement: \{"p50_ms": ([\d.]+)', out)


def check_memory(out: str) -> None:
    assert numbers(r"open cases: (\d+) x", out) == [3]
    positive(r"worker peak RSS \(VmHWM\): (\d+) MB", out)


def check_resend_burst(out: str) -> None:
    assert numbers(r"decisions\s+: (\d+)", out) == [4]
    positive(r"records produced\s+: (\d+)", out)
    positive(r"DepartmentDecided\s+: (\d+) seen", out)
    positive(r"broker memory\s+: (\d+) MB before", out)


def check_workers(out: str) -> None:
    positive(r"1 worker process\(es\):\s+([\d.]+) cases/s", out)
    positive(r"MB for (\d+) cases", out)


def on_the_stack() -> dict[str, tuple[Callable[[], Awaitable[object]], Check]]:
    """Each benchmark that starts `lianban serve`: its run at a tiny size and its check."""
    burst = argparse.Namespace(
        cases=2, matter=MATTER, resend=2.0, resend_max=2.0, timeout=120.0, postgres=False
    )
    return {
        "throughput": (lambda: throughput.main(3, MATTER, None, None, False), check_throughput),
        "throughput --split": (
            lambda: throughput.main(3, MATTER, "lianban", None, False, split=True),
            check_split,
        ),
        "metrics_cost": (lambda: throughput.metrics_cost(2, MATTER, 1), check_metrics_cost),
        "anatomy": (lambda: anatomy.main(MATTER), check_anatomy),
        "latency": (lambda: latency.main(2, 20.0, MATTER, "ack", False, False), check_latency),
        "latency --split": (
            lambda: latency.main(2, 20.0, MATTER, "ack", False, True),
            check_latency,
        ),
        "memory": (lambda: memory.main(3, MATTER, 3, settle=0), check_memory),
        "resend_burst": (lambda: resend_burst.main(burst), check_resend_burst),
        "workers": (lambda: workers.main(2, [1], MATTER), check_workers),
    }


async def smoke(name: str, run: Callable[[], Awaitable[object]], check: Check) -> str | None:
    """None when `run` completed and its output passed `check`; else what went wrong."""
    out = io.StringIO()
    _OUT.set(out)  # this task's context only
    try:
        await run()
        check(out.getvalue())
    except Exception as e:  # every benchmark's failure is reported, not only the first
        where = "".join(traceback.format_exception(e)[-4:])
        return f"== {name}: {e!r}\n{where}\n{out.getvalue()}"
    return None


async def test_benchmarks_on_the_stack(
    stack: EmbeddedStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", _TaskStdout(sys.stdout))
    limit = asyncio.Semaphore(AT_ONCE)

    async def one(name: str, run: Callable[[], Awaitable[object]], check: Check) -> str | None:
        async with limit:
            return await smoke(name, run, check)

    with shared_stack(stack):
        results = await asyncio.gather(
            *(one(name, run, check) for name, (run, check) in on_the_stack().items())
        )
    failed = [r for r in results if r is not None]
    assert not failed, "\n".join(failed)


def test_throughput_pin_restores() -> None:
    """--pin puts every thread of a process on the cores given, and back afterwards: the
    servers it pins may be a test session's. (The --pin run itself is not smoked here: it pins
    this process, whose other benchmarks' children would inherit the core.)"""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        before = os.sched_getaffinity(child.pid)
        with throughput.pinned([child.pid], {0}):
            threads = Path(f"/proc/{child.pid}/task").iterdir()
            assert {frozenset(os.sched_getaffinity(int(t.name))) for t in threads} == {
                frozenset({0})
            }
        assert os.sched_getaffinity(child.pid) == before
    finally:
        child.kill()
        child.wait()


async def test_audit(capsys: pytest.CaptureFixture[str]) -> None:
    await audit.main(20, 10, False)
    out = capsys.readouterr().out
    positive(r"log \+ audit, one transaction per event\s+([\d.]+) ms/event", out)
    assert numbers(r"verify --all \((\d+) cases\)", out) == [21]


async def test_reports(capsys: pytest.CaptureFixture[str]) -> None:
    await reports.main(200, 1)
    out = capsys.readouterr().out
    assert numbers(r"loaded (\d+) cases", out) == [200]
    positive(r"total: (\d+) cases", out)


async def test_library(capsys: pytest.CaptureFixture[str]) -> None:
    await library.main(60, 10)
    out = capsys.readouterr().out
    positive(r"loaded ([\d,]+) entries", out)
    assert "intake look-up" in out and "window search" in out, out


async def test_writepath(capsys: pytest.CaptureFixture[str]) -> None:
    await writepath.main(3, False)
    out = capsys.readouterr().out
    positive(r"on SQLite: ([\d.]+) ms CPU/case", out)


async def test_spans(capsys: pytest.CaptureFixture[str]) -> None:
    await spans.main(4, 2, False)
    out = capsys.readouterr().out
    assert numbers(r"cases x (\d+) spans", out) == [15]
    positive(r"([\d.]+) ms CPU/case", out)
    assert numbers(r"([\d.]+) statements/case", out) == [0.5]  # one INSERT a batch of 2 cases


async def test_statements(stack: EmbeddedStack, capsys: pytest.CaptureFixture[str]) -> None:
    # Alone, not beside the others: it runs the serve parts in this process.
    with shared_stack(stack):
        await statements.main(2, MATTER, None)
    out = capsys.readouterr().out
    positive(r"statements per case: ([\d.]+)", out)
    positive(r"consumer decisions\s+([\d.]+)", out)
    assert runner._run_worker.__name__ == "_run_worker"  # the wrapping was put back


async def test_scale_and_explain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The scale run keeps its database (anchors under tmp_path) for `scale_explain`."""
    monkeypatch.setattr(scale, "KEPT", tmp_path)
    args = argparse.Namespace(cases=200, audit_every=10, keep=True, url=None, max_runs=2)
    kept = None
    try:
        await scale.main(args)
        out = capsys.readouterr().out
        kept = re.search(r"kept database: (postgresql://\S+)", out)
        assert kept, out
        positive(r"(\d+) cases", out)
        url = kept.group(1).replace("postgresql://", "postgresql+asyncpg://")
        await scale_explain.main(url, 1e9)
        positive(r"===== .+: (\d+) statements", capsys.readouterr().out)
    finally:
        kept = kept or re.search(r"kept database: \S+/(\S+)", capsys.readouterr().out)
        if kept:  # the database is kept even when the run failed
            await drop_database(kept.group(1).rsplit("/", 1)[-1])


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(scale.PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def test_flame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """py-spy cannot attach everywhere (ptrace): the summary runs on a profile written here,
    in py-spy's raw (collapsed) format."""
    profile = tmp_path / "serve.txt"
    profile.write_text(
        "process 1;main (run.py:1);serve (services/a.py:5);query (store/db.py:9) 7\n"
        "process 1;main (run.py:1);serve (services/a.py:5) 3\n"
    )
    monkeypatch.setattr(sys, "argv", ["bench.flame", str(profile), "--top", "5"])
    flame.main()
    out = capsys.readouterr().out
    assert numbers(r"\((\d+) busy samples\)", out) == [10, 10]
    assert "70.0%  query (store/db.py:9)" in out, out
