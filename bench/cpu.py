"""CPU seconds spent by each process of a benchmark, read from /proc (Linux only).

Where the time goes between the parts (Temporal server, broker, Lianban, the driver) is the
first question of any throughput figure on a 2-core machine: they all share the cores.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children; 0 when it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Fields after the command name (which may hold spaces) start at index 2 of this split.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / _TICK


def command_cpu_seconds(comm: str) -> float:
    """`cpu_seconds` summed over every process named `comm` (e.g. a PostgreSQL server: its
    backends come and go, and an ended backend's CPU is in the postmaster's reaped-children
    figures, so the sum over those alive holds the whole server's)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if stat[stat.find("(") + 1 : stat.rfind(")")] == comm:
                total += cpu_seconds(int(entry.name))
    return total


class CpuMeter:
    """Snapshot CPU per named process, then report what each used since the snapshot.
    `commands`: parts measured as every process of that command name (`command_cpu_seconds`)."""

    def __init__(self, pids: Mapping[str, int], commands: Mapping[str, str] | None = None) -> None:
        self.pids = dict(pids)
        self.commands = dict(commands or {})
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        found = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return found | {name: command_cpu_seconds(c) for name, c in self.commands.items()}

    def used(self) -> dict[str, float]:
        now = self._read()
        return {name: now[name] - self.start[name] for name in now}


def pin(pid: int, cpus: set[int]) -> None:
    """Run every thread of `pid` on `cpus` only (`taskset -a -p`). Threads created later
    inherit it from their creator, so a process pinned as it starts stays pinned."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            os.sched_setaffinity(int(task.name), cpus)
        except OSError:  # a thread that ended meanwhile
            continue


def cores_busy() -> dict[int, float]:
    """CPU seconds each core has spent busy since boot (not idle, not waiting on I/O)."""
    busy: dict[int, float] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *ticks = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            values = [int(t) for t in ticks]
            busy[int(name[3:])] = (sum(values[:8]) - values[3] - values[4]) / _TICK
    return busy


def format_cores(before: Mapping[int, float], wall: float, cores: set[int]) -> str:
    """How busy each of `cores` was over `wall` seconds since the `cores_busy()` `before`."""
    now = cores_busy()
    return ", ".join(
        f"core {c} {100 * (now[c] - before[c]) / wall:.0f}% busy" for c in sorted(cores)
    )


def format_usage(used: Mapping[str, float], wall: float, cases: int) -> str:
    parts = [f"{name} {sec:.1f}s ({1000 * sec / cases:.0f} ms/case)" for name, sec in used.items()]
    total = sum(used.values())
    return f"CPU over {wall:.1f}s wall: " + ", ".join(parts) + f"; cores busy {total / wall:.2f}"


def against_temporal(used: Mapping[str, float], lianban: Sequence[str]) -> str:
    """Lianban's CPU (its processes summed) over Temporal's in the same run. The same case
    costs Temporal the same work whatever Lianban does, so this reads the host's speed out:
    on one host in one session Lianban's ms/case moved 45-78 with nothing changed, Temporal's
    in step with it, and this ratio 1.38-1.57 (bench/RESULTS.md, wave 3 session 9). Compare
    commits by it, alternating runs, beside the absolute figure."""
    mine = sum(used[name] for name in lianban)
    return f"lianban/temporal CPU: {mine / used['temporal']:.2f}"
