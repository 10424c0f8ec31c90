"""How long-running use cases report how far they are: a callback `(done, total)`.

The use case calls it once when it knows the total (`done` 0) and after each unit of work;
the caller decides what to show (the CLI draws a bar on stderr). Nothing here draws anything,
so use cases stay free of terminal libraries.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """The default: report nothing."""
