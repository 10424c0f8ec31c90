"""Where the working-day calendar comes from at run time: the package data overlaid by the
operator's calendar files, re-read when a file changes."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from domain.calendar import CalendarData
from domain.calendar_source import load_builtin, load_calendar, missing_years

log = logging.getLogger("lianban.calendar")


class CalendarProvider:
    """Callable returning the current CalendarData; cheap when nothing changed."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._stamp: tuple[tuple[str, float], ...] | None = None
        self._data = load_builtin()

    def _files_stamp(self) -> tuple[tuple[str, float], ...]:
        if self.directory is None or not self.directory.is_dir():
            return ()
        files = sorted([*self.directory.glob("*.yaml"), *self.directory.glob("*.yml")])
        return tuple((str(f), f.stat().st_mtime) for f in files)

    def __call__(self) -> CalendarData:
        stamp = self._files_stamp()
        if stamp != self._stamp:
            paths = [Path(name) for name, _ in stamp]
            self._data = load_calendar(paths) if paths else load_builtin()
            self._stamp = stamp
        return self._data

    def warn_if_missing(self, today: date) -> list[int]:
        """Log and return the years deadlines may reach that no calendar covers yet."""
        missing = missing_years(self(), today)
        if missing:
            log.warning(
                "no official working-day calendar for %s: deadlines reaching into it are "
                "provisional; load it with `lianban calendar load FILE`",
                ", ".join(map(str, missing)),
            )
        return missing
