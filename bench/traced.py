"""`lianban` ready for tracemalloc, for `bench.memory --tracemalloc`. The first SIGUSR1 starts
tracing; each later one writes a snapshot of what was allocated since and is still alive to
`$LIANBAN_BENCH_SNAPSHOT_DIR/<n>.snap` (n counts from 1), then touches `<n>.done`.

    python -m bench.traced serve --no-api ...   (then kill -USR1 <pid>, more than once)

Tracing from the start made the worker so slow that its workflow tasks timed out; started once
the workflow cache is full, it sees what grows with the open cases. Python's own heap only:
what the Temporal SDK's Rust core or the allocator hold is not traced.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType

FRAMES = 8  # enough to see which of Lianban's or the SDK's calls allocated
_taken = 0


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _taken
    if not tracemalloc.is_tracing():
        tracemalloc.start(FRAMES)
        return
    _taken += 1
    folder = Path(os.environ["LIANBAN_BENCH_SNAPSHOT_DIR"])
    tracemalloc.take_snapshot().dump(str(folder / f"{_taken}.snap"))
    (folder / f"{_taken}.done").touch()  # the dump is complete


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _on_signal)
    sys.argv = ["lianban", *sys.argv[1:]]
    runpy.run_module("entrypoints.cli.main", run_name="__main__", alter_sys=True)
