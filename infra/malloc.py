"""How many malloc arenas the process's threads share (glibc only).

glibc gives a thread that finds the arenas busy an arena of its own, up to 8 per core, and an
arena's free memory goes back to the system only from its top: the Temporal SDK's threads
(its Rust core) and the database's each held memory of their own that the others' frees could
not reuse, and the worker grew with the open cases after its workflow cache was full
(bench/RESULTS.md, "Worker memory per open case"). Set before the process starts any thread:
an arena is chosen when a thread first allocates.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_ARENA_MAX = -8  # glibc's malloc.h


def limit_arenas(arenas: int) -> bool:
    """Cap the arenas at `arenas` (0: glibc's default); whether it was set. The environment's
    MALLOC_ARENA_MAX, read by glibc itself at start, is left as it is."""
    if arenas <= 0 or not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))
