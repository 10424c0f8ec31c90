"""Rough edges a new user hit in the CLI (issue 16, item 7)."""

from __future__ import annotations

from typer.testing import CliRunner

from domain.catalog import load_catalog
from entrypoints.cli.main import app

runner = CliRunner()


def test_calendar_show_counts_2026_working_days_exactly() -> None:
    # 2026 official schedule: 248 working days (1 January is a holiday, not day one).
    result = runner.invoke(app, ["calendar", "show", "2026"])
    assert result.exit_code == 0, result.output
    assert "working days: 248" in result.output


def test_demo_refuses_an_unknown_reject_department_naming_the_known_ones() -> None:
    # No API is needed: the department is checked before anything is submitted.
    result = runner.invoke(app, ["demo", "--reject", "bogus", "--api", "http://127.0.0.1:9"])
    assert result.exit_code != 0
    assert "bogus" in result.output
    for dept in ("nrp", "housing", "fire", "env", "cad"):
        assert dept in result.output


def test_catalog_lists_every_matter_with_its_materials_and_limits() -> None:
    result = runner.invoke(app, ["catalog"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for matter in load_catalog().matters:
        assert matter.code in result.output
        assert (
            f"statutory {matter.statutory_days} / promised {matter.promised_days}" in result.output
        )
        for material in matter.materials:
            assert material.code in result.output
        for dept in matter.departments:
            assert dept.code in result.output
