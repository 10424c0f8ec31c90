"""Rough edges a new user hit in the CLI (issue 16, item 7)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from domain.catalog import load_catalog
from entrypoints.cli.client import token_holder
from entrypoints.cli.main import app
from entrypoints.devstack.server import banner, stack_config
from entrypoints.runner import Parts
from infra.settings import Settings, get_settings
from infra.tokens import Role, mint

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


def test_worker_only_banner_does_not_suggest_the_demo() -> None:
    settings = Settings()
    worker_only = banner(settings, None, Parts(consumers=False, relay=False, api=False))
    assert "lianban demo" not in worker_only
    assert "/docs" not in worker_only
    assert "running: worker" in worker_only
    assert "lianban demo" in banner(settings, None, Parts())
    assert "/metrics" in banner(settings, None, Parts())  # `lianban dev` serves every part's


def test_dev_stack_takes_the_temporal_ui_port_from_settings() -> None:
    assert stack_config(Settings(temporal_ui_port=18233)).temporal_ui_port == 18233
    assert stack_config(Settings(temporal_ui_port=0)).temporal_ui_port is None
    assert stack_config(Settings()).temporal_ui_port == 8233


def test_decide_refuses_a_reviewer_the_token_does_not_name() -> None:
    token = mint(Settings(), Role.reviewer, dept="fire", name="王芳")
    args = ["decide", "C-1.fire", "--outcome", "approve", "--api", "http://127.0.0.1:9"]
    result = runner.invoke(app, [*args, "--reviewer", "李四"], env={"LIANBAN_TOKEN": token})
    assert result.exit_code == 1
    assert "does not match the token" in result.output
    assert "王芳" in result.output
    assert token_holder(token) == "王芳"
    assert token_holder(mint(Settings(), Role.reviewer, dept="fire")) == "reviewer-fire"
    assert token_holder("not-a-jwt") is None


def test_calendar_check_raises_the_coming_year_from_the_configured_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The shipped data know 2026 but not 2027: from the configured day on that is an incident.
    check = ["calendar", "check", "--today", "2026-10-20"]
    get_settings.cache_clear()
    assert runner.invoke(app, check).exit_code == 0
    assert runner.invoke(app, ["calendar", "check", "--today", "2026-11-01"]).exit_code == 1
    monkeypatch.setenv("LIANBAN_CALENDAR_NEXT_YEAR_FROM", "10-15")
    get_settings.cache_clear()
    try:
        moved = runner.invoke(app, check)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert moved.exit_code == 1 and "2027" in moved.output
