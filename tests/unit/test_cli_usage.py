"""The CLI's usage rules (docs/cli.md): fast help (lazy imports), exit codes, errors on stderr,
readable refusals, one spelling of each option."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from entrypoints.cli.client import readable
from entrypoints.cli.main import app
from infra.settings import Settings
from infra.tokens import verify

runner = CliRunner()
HEAVY = ("sqlalchemy", "temporalio", "httpx", "matplotlib", "aiokafka", "fastapi", "services")


def test_help_imports_nothing_heavy() -> None:
    # What `lianban --help` costs is what it imports: no database, Temporal or HTTP library.
    probe = (
        "import sys, json\n"
        "from entrypoints.cli.main import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == []
    assert "ops" in done.stdout and "audit" in done.stdout  # the groups are listed all the same


def test_a_group_still_runs_and_has_its_help() -> None:
    result = runner.invoke(app, ["ops", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0 and "dead-letters" in result.output and "stalled" in result.output


def test_an_unknown_department_exits_2_naming_the_known_ones() -> None:
    result = runner.invoke(app, ["tasks", "nope", "--api", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "unknown department 'nope'" in result.stderr and result.stdout == ""
    for known in ("fire", "env", "nrp", "housing", "cad"):
        assert known in result.stderr


def test_an_unreachable_api_exits_3_on_stderr() -> None:
    result = runner.invoke(app, ["tasks", "fire", "--api", "http://127.0.0.1:9"])
    assert result.exit_code == 3 and "cannot reach the API" in result.stderr
    assert result.stdout == ""


def test_validation_details_read_as_lines() -> None:
    detail = [
        {"field": "body.reasons", "message": "a rejection needs at least one reason"},
        {"field": "body.outcome", "message": "Input should be 'approve' or 'reject'"},
    ]
    text = readable(detail)
    assert "[{" not in text and "'field'" not in text
    assert text.splitlines()[1:] == [
        "  - reasons: a rejection needs at least one reason",
        "  - outcome: Input should be 'approve' or 'reject'",
    ]


def test_department_is_spelt_one_way_with_the_old_alias() -> None:
    settings = Settings()
    for spelling in ("--department", "--dept"):
        result = runner.invoke(app, ["token", "--role", "reviewer", spelling, "fire"])
        assert result.exit_code == 0, result.output
        assert verify(settings, result.stdout.strip()).dept == "fire"
    refused = runner.invoke(app, ["token", "--role", "reviewer"])
    assert refused.exit_code == 2 and "--department" in refused.output
