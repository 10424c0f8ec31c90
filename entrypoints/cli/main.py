"""`lianban`: run the service, submit and decide cases, follow them, run a demo.

Imports are lazy: a command group's module (and what it needs: the database, Temporal, HTTP)
is imported only when that group runs, so `lianban --help` answers in a fraction of a second.
Exit codes and where errors go: `entrypoints/cli/client.py` (docs/cli.md).
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer._click.core import Command, Context  # typer 0.29 carries its own click
from typer.core import TyperGroup

# name: (module, its Typer app, the help shown before the module is imported)
GROUPS = {
    "calendar": (
        "entrypoints.cli.calendar",
        "calendar_app",
        "Working-day calendar: show, validate, load a year, check.",
    ),
    "db": ("entrypoints.cli.db", "db_app", "The database schema: migrations (Alembic)."),
    "keys": (
        "entrypoints.cli.keys",
        "keys_app",
        "Department signing keys (Ed25519) for decisions sent on Kafka.",
    ),
    "licences": (
        "entrypoints.cli.licences",
        "licences_app",
        "Electronic licences: verify offline, revoke, the center's signing keys.",
    ),
    "audit": (
        "entrypoints.cli.audit",
        "audit_app",
        "Auditors: replay a case to any moment, verify chains and anchors, export a dossier.",
    ),
    "token": (
        "entrypoints.cli.token",
        "token_app",
        "Mint a development bearer token (role, department) signed with the configured key.",
    ),
    "users": (
        "entrypoints.cli.users",
        "users_app",
        "Staff accounts: sign-in with a user name and password.",
    ),
    "ops": (
        "entrypoints.cli.ops",
        "ops_app",
        "Operators: find stalled cases and dead letters, and resume them.",
    ),
    "report": (
        "entrypoints.cli.report",
        "report_app",
        "Reports: on time, overdue and speed per matter and department; a case's timeline.",
    ),
}


def load_group(name: str) -> Command:
    module, attribute, _ = GROUPS[name]
    group = getattr(importlib.import_module(module), attribute)
    group._add_completion = False  # the top command offers completion, not each group
    command = typer.main.get_command(group)
    command.name = name
    return command


class _Deferred(TyperGroup):
    """A command group listed by name and help; its module is imported when it runs."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Context | None = None, **kw: Any
    ) -> Context:
        assert self.name is not None
        return load_group(self.name).make_context(info_name, args, parent=parent, **kw)


class LazyGroup(TyperGroup):
    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *GROUPS]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in GROUPS:
            return _Deferred(name=cmd_name, help=GROUPS[cmd_name][2])
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    help="Lianban 联办: joint approval across departments.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    cls=LazyGroup,
)


@app.callback()
def _settings_valid() -> None:
    """Refuse a bad configuration with its reason, before any command runs."""
    from pydantic import ValidationError

    from entrypoints.cli.client import fail
    from infra.settings import get_settings

    try:
        get_settings()
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise fail(f"invalid configuration (LIANBAN_* settings): {reasons}") from None


from entrypoints.cli import cases, serving  # noqa: E402  (light: their imports are inside)

COMMANDS: tuple[Any, ...] = (
    serving.serve,
    serving.dev,
    cases.submit,
    cases.status,
    cases.tasks,
    cases.decide,
    cases.catalog,
    cases.demo,
)
for command in COMMANDS:
    app.command()(command)


def run() -> None:
    """The `lianban` command (entrypoints.cli.exit says how it ends)."""
    from entrypoints.cli.exit import run_cli

    run_cli(app)


if __name__ == "__main__":
    run()
