"""Where the official holiday schedule comes from: the ``chinese_calendar`` package and files.

The package carries the State Council schedules it knows (2004–2026 in 1.11). Later years come
from operator-maintained YAML files (format: ``deploy/calendars/README.md``), which override the
package for every year they list. This is the only calendar module that imports third-party
packages or reads files; :mod:`domain.calendar` stays pure for the workflow sandbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from chinese_calendar import constants

from domain.calendar import CalendarData

_YEAR_KEYS = frozenset({"year", "holidays", "workdays", "source", "notes"})
_RANGE_KEYS = frozenset({"from", "to", "name"})
# No official break is longer than a month; a longer range is a typo in a year or month.
_MAX_RANGE_DAYS = 31


class CalendarFileError(ValueError):
    """A calendar file is malformed or contradicts itself; the message names the entry."""


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps dates as text, so a bad date is reported with its entry."""


def _date_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    # PyYAML would build dates itself and fail on 2099-13-01 with no hint of where it was.
    return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _date_as_text)


def load_builtin(years: range | None = None) -> CalendarData:
    """The schedule shipped in the ``chinese_calendar`` package.

    Args:
        years: Keep only these years; ``None`` keeps every year the package has data for.

    Returns:
        Calendar data whose ``years`` are the years present in the package (∩ ``years``).
    """
    known = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    keep = {y for y in known if years is None or y in years}
    # The package lists whole breaks, weekends included; only Mon–Fri days off change counts.
    holidays = [d for d in constants.holidays if d.year in keep and d.weekday() < 5]
    workdays = [d for d in constants.workdays if d.year in keep]
    return CalendarData.from_dates(keep, holidays, workdays)


def parse_calendar_file(text: str, *, source: str = "<calendar file>") -> CalendarData:
    """Parse and validate an operator calendar file (one or more years).

    Args:
        text: YAML text; each document is one year mapping or a list of them.
        source: Name used in error messages, typically the file path.

    Returns:
        The years the file defines.

    Raises:
        CalendarFileError: On invalid YAML or any invalid entry, naming it.
    """
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        raise CalendarFileError(f"{source}: not valid YAML: {exc}") from exc
    result = CalendarData()
    for entry in _year_entries(documents, source):
        year_data = _parse_year(entry, source)
        if year_data.years[0] in result.years:
            raise CalendarFileError(f"{source}: year {year_data.years[0]} is defined twice")
        result = result.merge(year_data)
    if not result.years:
        raise CalendarFileError(f"{source}: defines no year")
    return result


def load_calendar(overlay_paths: list[Path]) -> CalendarData:
    """The built-in schedule overlaid, in order, by calendar files.

    Args:
        overlay_paths: Files, or directories whose ``*.yaml``/``*.yml`` files are read in name
            order. Later files override earlier ones for the years they define.

    Raises:
        CalendarFileError: If a path does not exist or a file is invalid.
    """
    data = load_builtin()
    for path in _expand(overlay_paths):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CalendarFileError(f"{path}: cannot read calendar file: {exc}") from exc
        data = data.merge(parse_calendar_file(text, source=str(path)))
    return data


def missing_years(
    data: CalendarData, today: date, next_year_from: tuple[int, int] = (11, 1)
) -> list[int]:
    """Years that should be known by ``today`` but are not, for the "calendar missing" alert.

    The current year is always needed; the coming year is needed from ``next_year_from``
    (month, day; default 1 November, when the State Council usually publishes it and clocks
    started in December spill into it).
    """
    coming = (today.month, today.day) >= next_year_from
    needed = [today.year, today.year + 1] if coming else [today.year]
    return [y for y in needed if y not in data.years]


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"})
        elif path.exists():
            yield path
        else:
            raise CalendarFileError(f"{path}: no such calendar file or directory")


def _year_entries(documents: list[Any], source: str) -> Iterator[Any]:
    for index, doc in enumerate(documents):
        if doc is None:  # an empty document, e.g. a trailing '---'
            continue
        if isinstance(doc, dict):
            yield doc
        elif isinstance(doc, list):
            yield from doc
        else:
            raise CalendarFileError(
                f"{source}: document {index + 1} must be a year mapping or a list of them"
            )


def _parse_year(entry: Any, source: str) -> CalendarData:
    if not isinstance(entry, dict):
        raise CalendarFileError(f"{source}: {entry!r} is not a year mapping (year: ...)")
    year = entry.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1949 <= year <= 2200:
        raise CalendarFileError(f"{source}: {entry.get('year')!r} is not a valid 'year'")
    where = f"{source}: year {year}"
    unknown = set(entry) - _YEAR_KEYS
    if unknown:
        raise CalendarFileError(f"{where}: unknown key(s) {sorted(map(str, unknown))}")
    holidays = _holiday_dates(_as_list(entry.get("holidays"), f"{where}: holidays"), year, where)
    workdays = _workday_dates(_as_list(entry.get("workdays"), f"{where}: workdays"), year, where)
    if not holidays:
        # An empty year would silently mark a guessed weekday-only calendar as official.
        raise CalendarFileError(f"{where}: lists no holidays; refusing to mark it as known")
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise CalendarFileError(f"{where}: {both[0]} is listed as both holiday and workday")
    weekday_holidays = [d for d in holidays if d.weekday() < 5]  # weekend ones change nothing
    return CalendarData.from_dates([year], weekday_holidays, workdays)


def _as_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CalendarFileError(f"{where}: must be a list")
    return value


def _holiday_dates(items: list[Any], year: int, where: str) -> list[date]:
    days: list[date] = []
    for i, item in enumerate(items):
        label = f"{where}: holidays[{i}] ({item!r})"
        if isinstance(item, dict):
            days.extend(_holiday_range(item, year, label))
        else:
            days.append(_in_year(_to_date(item, label), year, label))
    return days


def _holiday_range(item: dict[Any, Any], year: int, label: str) -> list[date]:
    unknown = set(item) - _RANGE_KEYS
    if unknown or "from" not in item:
        raise CalendarFileError(f"{label}: a range needs 'from' (and optional 'to', 'name')")
    first = _in_year(_to_date(item["from"], label), year, label)
    last = _in_year(_to_date(item.get("to", item["from"]), label), year, label)
    if last < first:
        raise CalendarFileError(f"{label}: 'to' {last} is before 'from' {first}")
    span = (last - first).days + 1
    if span > _MAX_RANGE_DAYS:
        raise CalendarFileError(f"{label}: a {span}-day range is implausible (max 31)")
    return [first + timedelta(days=k) for k in range(span)]


def _workday_dates(items: list[Any], year: int, where: str) -> list[date]:
    days: list[date] = []
    for i, item in enumerate(items):
        label = f"{where}: workdays[{i}] ({item!r})"
        day = _in_year(_to_date(item, label), year, label)
        if day.weekday() < 5:
            raise CalendarFileError(
                f"{label}: {day} is a {day:%A}; a make-up workday must be a Saturday or Sunday"
            )
        days.append(day)
    return days


def _to_date(value: Any, label: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CalendarFileError(f"{label}: not a date in YYYY-MM-DD form")


def _in_year(day: date, year: int, label: str) -> date:
    if day.year != year:
        raise CalendarFileError(f"{label}: {day} is not in year {year}")
    return day
