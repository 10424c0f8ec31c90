"""Failpoints: named places where the fault suite makes a process die at the worst moment.

`LIANBAN_FAILPOINTS="relay.after_publish"` (comma-separated; `name@N` for the N-th pass, default
the first) makes the process SIGKILL itself when it passes that place: no cleanup, no flush,
exactly as `kill -9` at that instant would. Unset (always, outside the fault suite) a failpoint
is one set lookup. Only the fault suite sets it; docs/faults.md lists the names.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_ARMED: dict[str, int] = {}
for _spec in filter(None, (s.strip() for s in os.environ.get("LIANBAN_FAILPOINTS", "").split(","))):
    _name, _, _nth = _spec.partition("@")
    _ARMED[_name] = int(_nth or 1)
_passes: Counter[str] = Counter()


def failpoint(name: str) -> None:
    """Die here (SIGKILL) if the fault suite armed `name` for this pass."""
    if name not in _ARMED:
        return
    _passes[name] += 1
    if _passes[name] == _ARMED[name]:
        os.kill(os.getpid(), signal.SIGKILL)
