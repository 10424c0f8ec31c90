"""Lists that read at any terminal width: a table when it fits, else one block per row.

Never truncated: an identifier (a case number, a task, a code) is printed whole on the block's
first line; the other fields follow as `name value` pairs, wrapped at the terminal's width
between pairs, never inside one. `COLUMNS` sets the width when output is not a terminal.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

Item = Mapping[str, Any]
Column = tuple[str, Callable[[Item], str]]  # a header, and how a row's cell is read from the item
NBSP = "\u00a0"  # keeps a pair's name and value on one line when wrapping
SHORT = 24  # a value up to this long is kept whole with its name


def _natural_width(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    widths = [
        max([cell_len(h), *(cell_len(line) for r in rows for line in r[i].splitlines() or [""])])
        for i, h in enumerate(headers)
    ]
    return sum(widths) + 3 * len(headers) + 1


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], keys: int, title: str | None
) -> Table:
    table = Table(title=title, title_justify="left")
    for i, h in enumerate(headers):
        table.add_column(h, no_wrap=i < keys, overflow="fold")
    for r in rows:
        table.add_row(*(escape(c) for c in r))
    return table


def _glued(value: str) -> str:
    """A short value stays on one line with its name; free text may wrap anywhere."""
    return value.replace(" ", NBSP) if len(value) <= SHORT else value


def _block(headers: Sequence[str], row: Sequence[str], keys: int, width: int) -> str:
    head = "  ".join(c for c in row[:keys] if c)
    if cell_len(head) > width:  # the identifier alone on its line, the rest of the keys below
        head = f"{row[0]}\n  " + "  ".join(c for c in row[1:keys] if c)
    pairs = [
        f"{h}{NBSP}{_glued(c)}" if h else _glued(c)
        for h, c in zip(headers[keys:], row[keys:], strict=True)
        if c
    ]
    body = textwrap.fill(
        " · ".join(pairs),
        width=max(20, width),
        initial_indent="  ",
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return f"{head}\n{body.replace(NBSP, ' ')}" if pairs else head


def show(
    console: Console,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    keys: int = 1,
    title: str | None = None,
) -> None:
    """Print `rows` under `headers`; the first `keys` columns identify a row."""
    # Measured now, on the same output: a console made at import keeps the width of then.
    console = Console(file=console.file, stderr=console.stderr)
    if _natural_width(headers, rows) <= console.width:
        console.print(_table(headers, rows, keys, title))
        return
    if title:
        console.print(f"[bold]{escape(title)}[/]")
    for row in rows:
        console.print(escape(_block(headers, row, keys, console.width)), soft_wrap=True)


def text(name: str, empty: str = "") -> Callable[[Item], str]:
    """A cell that is the item's field `name` as the API wrote it (`empty` when it has none)."""
    return lambda item: item[name] or empty


def show_items(
    console: Console,
    columns: Sequence[Column],
    items: Iterable[Item],
    *,
    keys: int = 1,
    title: str | None = None,
) -> None:
    """`show` the API's items, a row each: every column is its header and how its cell is read,
    so a header never drifts from its value."""
    rows = [[cell(item) for _, cell in columns] for item in items]
    show(console, [header for header, _ in columns], rows, keys=keys, title=title)
