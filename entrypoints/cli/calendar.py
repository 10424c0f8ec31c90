"""`lianban calendar`: show, validate and load the official working-day calendar."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from domain.calendar import WorkingCalendar
from domain.calendar_source import CalendarFileError, missing_years
from entrypoints.cli.client import fail
from entrypoints.cli.progress import ShowProgress, progress_bar
from infra.calendars import CalendarProvider
from infra.settings import get_settings
from services.progress import Progress

calendar_app = typer.Typer(help="Working-day calendar: show, validate, load a year, check.")
console = Console()


def _provider() -> CalendarProvider:
    directory = get_settings().calendar_dir
    return CalendarProvider(Path(directory) if directory else None)


@calendar_app.command()
def show(year: int) -> None:
    """List a year's holidays and make-up working days, and whether it is official."""
    data = _provider()()
    cal = WorkingCalendar(data)
    official = year in data.years
    console.print(f"{year}: {'official' if official else 'NOT KNOWN — weekdays only, provisional'}")
    table = Table("date", "weekday", "kind")
    for d in data.holiday_dates:
        if d.year == year:
            table.add_row(d.isoformat(), d.strftime("%a"), "holiday (day off)")
    for d in data.workday_dates:
        if d.year == year:
            table.add_row(d.isoformat(), d.strftime("%a"), "make-up working day (调休)")
    console.print(table)
    # working_days_between counts (a, b]: start on New Year's Eve so that 1 January is
    # counted only if it is a working day (it never is; adding 1 over-counted by one).
    start, end = date(year - 1, 12, 31), date(year, 12, 31)
    console.print(f"working days: {cal.working_days_between(start, end)}")


@calendar_app.command()
def validate(file: Path) -> None:
    """Check a calendar file; prints what it holds or the entry that is wrong."""
    from services.operators.calendar_admin import validate_file

    try:
        data = validate_file(file)
    except (CalendarFileError, OSError) as exc:
        raise fail(f"invalid: {exc}") from exc
    console.print(
        f"ok: years {', '.join(map(str, data.years))}; {len(data.holidays)} weekday holidays, "
        f"{len(data.workdays)} make-up working days"
    )


@calendar_app.command()
def load(
    file: Path,
    recalculate: bool = typer.Option(True, help="signal running cases"),
    show_progress: ShowProgress = None,
) -> None:
    """Install a year's official calendar and recompute every running case's deadlines."""
    from services.operators.calendar_admin import install_file, validate_file

    settings = get_settings()
    if not settings.calendar_dir:
        raise typer.BadParameter("LIANBAN_CALENDAR_DIR is not set")
    try:
        target = install_file(file, Path(settings.calendar_dir))
    except (CalendarFileError, OSError) as exc:
        raise fail(f"invalid: {exc}") from exc
    # One line each whatever the terminal's width: scripts read them (a path is long).
    console.print(f"installed {target}", soft_wrap=True)
    if recalculate:
        with progress_bar(show_progress, "recalculating", "cases") as progress:
            done, failed = asyncio.run(_recalculate(validate_file(target), progress))
        console.print(
            f"recalculated {done} running case(s)" + (f"; failed: {failed}" if failed else ""),
            soft_wrap=True,
        )


async def _recalculate(data: object, progress: Progress) -> tuple[int, list[str]]:
    from infra.bootstrap import bootstrap
    from services.operators.calendar_admin import recalculate_running_cases

    deps = await bootstrap(get_settings())
    try:
        return await recalculate_running_cases(deps, data, progress)  # type: ignore[arg-type]
    finally:
        await deps.close()


@calendar_app.command()
def check(today: str | None = typer.Option(None, help="YYYY-MM-DD, default today")) -> None:
    """Warn (exit 1) when the current or coming year has no official calendar."""
    day = date.fromisoformat(today) if today else date.today()
    missing = missing_years(_provider()(), day, get_settings().next_year_from)
    if missing:
        console.print(
            f"[yellow]missing official calendar for {', '.join(map(str, missing))}[/]: deadlines "
            "reaching into it are provisional. Load it: lianban calendar load FILE"
        )
        raise typer.Exit(1)
    console.print("ok: the current and coming years are known")
