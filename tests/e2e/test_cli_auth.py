"""The CLI with tokens: `lianban token` mints what the API accepts, `LIANBAN_TOKEN` is sent,
and the demo plays the clerk and each department's reviewer with tokens it mints."""

from __future__ import annotations

import asyncio
from typing import Any

from typer.testing import CliRunner

from entrypoints.cli.main import app as cli
from infra.settings import Settings
from infra.tokens import Role, verify

runner = CliRunner()


def test_token_command_mints_a_verifiable_token() -> None:
    result = runner.invoke(cli, ["token", "--role", "reviewer", "--dept", "fire", "--name", "王工"])
    assert result.exit_code == 0, result.output
    jwt = result.stdout.strip().splitlines()[-1]
    who = verify(Settings(), jwt)
    assert (who.role, who.dept, who.name) == (Role.reviewer, "fire", "王工")
    refused = runner.invoke(cli, ["token", "--role", "dept_head"])
    assert refused.exit_code != 0 and "--department" in refused.output


async def test_cli_sends_the_token_and_the_demo_runs(app: Any) -> None:
    denied = await asyncio.to_thread(runner.invoke, cli, ["tasks", "fire", "--api", app.api_url])
    assert denied.exit_code == 1 and "401" in denied.output
    demo = await asyncio.to_thread(
        runner.invoke, cli, ["demo", "--api", app.api_url, "--reject", "fire"]
    )
    assert demo.exit_code == 0, demo.output
    assert "concluded: refused" in demo.output
    minted = runner.invoke(cli, ["token", "--role", "reviewer", "--dept", "fire"]).stdout
    env = {"LIANBAN_TOKEN": minted.strip().splitlines()[-1]}
    inbox = await asyncio.to_thread(
        runner.invoke, cli, ["tasks", "fire", "--status", "decided", "--api", app.api_url], env=env
    )
    assert inbox.exit_code == 0, inbox.output
