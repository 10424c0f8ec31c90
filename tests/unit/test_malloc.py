"""The malloc arena cap (`infra.malloc`), checked in fresh interpreters: the threads' arenas are
counted from the process's memory map (each arena but the main one reserves an aligned 64 MiB
heap). Linux with glibc, as the servers run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from infra.malloc import limit_arenas

PROBE = """
import sys, threading, time
from infra.malloc import limit_arenas
limit_arenas(int(sys.argv[1]))

def allocate():
    kept = [bytearray(300) for _ in range(20000)]
    time.sleep(0.3)  # all threads allocating at once: busy arenas make glibc open new ones

threads = [threading.Thread(target=allocate) for _ in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
heaps = 0
for line in open("/proc/self/maps"):
    fields = line.split()
    start = int(fields[0].split("-")[0], 16)
    heaps += len(fields) == 5 and start % (64 << 20) == 0
print(heaps)
"""

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")


def arena_heaps(arenas: int) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(arenas)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return int(out.stdout)


@linux_only
def test_threads_share_the_capped_arenas() -> None:
    assert arena_heaps(0) > 2  # glibc's default: an arena per busy thread, up to 8 per core
    assert arena_heaps(2) <= 1  # the main arena and one other


def test_the_environment_and_zero_leave_glibc_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limit_arenas(0) is False
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_arenas(2) is False
