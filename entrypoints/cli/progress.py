"""A progress bar for long CLI work, drawn with rich on stderr.

stdout stays the command's own output (JSON included), byte for byte. The bar is shown when
stderr is a terminal, always with `--progress`, never with `--no-progress`. The use case
reports through a plain `(done, total)` callback (`services.progress`) and knows nothing of it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from services.progress import Progress as ProgressCallback
from services.progress import no_progress

ShowProgress = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="a progress bar on stderr (default: only when stderr is a terminal)",
        show_default=False,
    ),
]


class RateColumn(ProgressColumn):
    """The average rate since the start, e.g. `412.3 cases/s` (rich's own speed column is
    for bytes)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        if not elapsed or not task.completed:
            return Text(f"- {self.unit}/s", style="progress.data.speed")
        return Text(f"{task.completed / elapsed:.1f} {self.unit}/s", style="progress.data.speed")


def wants_progress(show: bool | None) -> bool:
    """`--progress/--no-progress`, else whether stderr is a terminal."""
    return sys.stderr.isatty() if show is None else show


@contextmanager
def progress_bar(show: bool | None, what: str, unit: str) -> Iterator[ProgressCallback]:
    """A `(done, total)` callback drawing a bar on stderr while the block runs.

    Args:
        show: `--progress/--no-progress`; None: when stderr is a terminal.
        what: the bar's label, e.g. "verifying".
        unit: what is counted, for the rate, e.g. "cases".
    """
    if not wants_progress(show):
        yield no_progress
        return
    # Forced: `--progress` draws the bar even when stderr is a pipe or a file.
    console = Console(stderr=True, force_terminal=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        RateColumn(unit),
    )
    # Leave stdout alone: rich would otherwise route prints made meanwhile through stderr.
    bar = Progress(*columns, console=console, redirect_stdout=False, redirect_stderr=False)
    task = bar.add_task(what, total=None)

    def report(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield report
        bar.refresh()
