"""`lianban users`: staff accounts for the pages' sign-in, on the configured database."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from entrypoints.cli.direct import on_database
from services import signin

users_app = typer.Typer(help="Staff accounts: sign-in with a user name and password.")
console = Console()
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def add(
    username: str,
    role: Annotated[str, typer.Option(help="clerk, reviewer, dept_head, operator, auditor, …")],
    dept: Annotated[
        str | None,
        typer.Option("--department", "--dept", help="department (reviewer, dept_head)"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="display name recorded on actions")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an account (the password: at least 12 characters, asked for twice)."""
    password = _password(password_stdin)
    on_database(lambda deps: signin.add_user(deps, username, password, role, dept, name))
    console.print(f"user [bold]{username}[/] ({role}{' ' + dept if dept else ''}) created")


@users_app.command("passwd")
def passwd(username: str, password_stdin: PasswordStdin = False) -> None:
    """Set a new password; every session of the account ends."""
    password = _password(password_stdin)
    on_database(lambda deps: signin.set_password(deps, username, password))
    console.print(f"password of {username} changed; its sessions ended")


@users_app.command("unlock")
def unlock(username: str) -> None:
    """Lift a lock-out after repeated wrong passwords."""
    on_database(lambda deps: signin.unlock(deps, username))
    console.print(f"{username} unlocked")


@users_app.command("disable")
def disable(username: str) -> None:
    """No more sign-ins; the account's sessions end now."""
    ended = on_database(lambda deps: signin.disable(deps, username))
    console.print(f"{username} disabled; {ended} session(s) ended")


@users_app.command("revoke-sessions")
def revoke_sessions(username: str) -> None:
    """End every session of the account now (a lost laptop)."""
    ended = on_database(lambda deps: signin.revoke_sessions(deps, username))
    console.print(f"{ended} session(s) of {username} ended")


@users_app.command("list")
def list_() -> None:
    rows: list[dict[str, Any]] = on_database(signin.users)
    table = Table("user", "role", "dept", "name", "locked until", "disabled")
    for r in rows:
        locked = f"{r['locked_until']:%Y-%m-%d %H:%M}" if r["locked_until"] else ""
        disabled = f"{r['disabled_at']:%Y-%m-%d}" if r["disabled_at"] else ""
        table.add_row(
            r["username"], r["role"], r["dept"] or "", r["display_name"] or "", locked, disabled
        )
    console.print(table)
