"""Loading a year's official calendar recomputes running cases, provisional ones included.

Today (late 2026) a 45-working-day case reaches into 2027, whose schedule the calendar package
does not know: its deadlines are provisional until an operator loads the year.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from entrypoints.cli.main import app as cli
from infra.settings import get_settings
from services.operators.calendar_admin import recalculate_running_cases, validate_file
from tests.e2e.test_api import submitted_case
from tests.utils.auth import bearer
from tests.utils.eventually import eventually

# A test fixture, NOT the official 2027 schedule (which this code base does not ship).
TEST_2027 = """
year: 2027
source: test fixture (illustrative only)
holidays:
  - {from: 2027-01-01, to: 2027-01-01, name: New Year}
  - {from: 2027-02-08, to: 2027-02-12, name: Spring Festival (illustrative)}
workdays: [2027-02-06]
"""


async def test_loading_a_year_recomputes_provisional_cases(app: Any, tmp_path: Path) -> None:
    clerk = bearer("clerk", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=10, headers=clerk) as http:
        case_id = await submitted_case(http)
        before = (await http.get(f"/cases/{case_id}/clocks")).json()
        if not before["provisional"]:
            pytest.skip("this run's date does not reach an unknown year")
        file = tmp_path / "2027.yaml"
        file.write_text(TEST_2027)
        signalled, failed = await recalculate_running_cases(app.deps, validate_file(file))
        assert signalled >= 1 and case_id not in failed

        # Other tests may load other years into the same app: wait for this year's effect.
        async def read() -> Any:
            return (await http.get(f"/cases/{case_id}")).json()

        def recalculated(case: Any) -> bool:
            types = [e["event_type"] for e in case["events"]]
            return "DeadlinesRecalculated" in types and case["provisional"] is False

        case = await eventually(read, until=recalculated, timeout=20, what="the recalculation")
        after = (await http.get(f"/cases/{case_id}/clocks")).json()
    assert after["provisional"] is False and case["provisional"] is False
    # Five extra days off in the window push the statutory due date later.
    assert after["statutory_due"] > before["statutory_due"]


def test_cli_validate_names_the_bad_entry(tmp_path: Path) -> None:
    bad = tmp_path / "2027.yaml"
    bad.write_text("year: 2027\nholidays: [2027-01-01]\nworkdays: [2027-01-04]\n")
    result = CliRunner().invoke(cli, ["calendar", "validate", str(bad)])
    assert result.exit_code == 1
    assert "2027-01-04" in result.output
    good = tmp_path / "ok.yaml"
    good.write_text(TEST_2027)
    result = CliRunner().invoke(cli, ["calendar", "validate", str(good)])
    assert result.exit_code == 0 and "years 2027" in result.output


def _load(app: Any, directory: Path, file: Path, *flags: str) -> Any:
    """`lianban calendar load` against the app (settings read afresh, as a new process would)."""
    s = app.settings
    env = {
        "LIANBAN_DATABASE_URL": s.database_url,
        "LIANBAN_TEMPORAL_ADDRESS": s.temporal_address,
        "LIANBAN_PAYLOAD_KEYS": json.dumps(s.payload_keys),
        "LIANBAN_PAYLOAD_KID": s.payload_kid or "",
        "LIANBAN_CALENDAR_DIR": str(directory),
        "COLUMNS": "1000",  # the path on one line,
    }
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, ["calendar", "load", str(file), *flags], env=env)
    finally:
        get_settings.cache_clear()


async def test_cli_load_shows_counts_and_rate_on_stderr(app: Any, tmp_path: Path) -> None:
    clerk = bearer("clerk", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=10, headers=clerk) as http:
        await submitted_case(http)  # at least one running case
    file = tmp_path / "2027.yaml"
    file.write_text(TEST_2027)
    plain = await asyncio.to_thread(_load, app, tmp_path / "a", file, "--no-progress")
    shown = await asyncio.to_thread(_load, app, tmp_path / "b", file, "--progress")
    assert plain.exit_code == shown.exit_code == 0, shown.output
    assert plain.stderr == ""
    # stdout is the command's two lines either way; the bar is only on stderr.
    line = r"installed \S*2027\.yaml\nrecalculated (\d+) running case\(s\)(; failed: .*)?\n"
    assert re.fullmatch(line, plain.stdout), plain.stdout
    found = re.fullmatch(line, shown.stdout)
    assert found and int(found[1]) >= 1, shown.stdout
    bar = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.stderr)
    # Every running case counted, signalled or failed (finished meanwhile by another test).
    counted = re.search(r"\b(\d+)/\1\b", bar)
    assert counted and int(counted[1]) >= int(found[1]), bar
    assert re.search(r"\d+\.\d cases/s", bar), bar
