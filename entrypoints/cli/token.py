"""`lianban token`: mint a development bearer token with the configured signing key."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from infra.settings import get_settings
from infra.tokens import DEPARTMENT_ROLES, Role, mint, uses_dev_secret

token_app = typer.Typer(
    help="Mint a development bearer token (role, department) signed with the configured key.",
    invoke_without_command=True,
)


@token_app.callback()
def token(
    role: Annotated[Role, typer.Option(help="who the token speaks for")],
    dept: Annotated[
        str | None,
        typer.Option("--department", "--dept", help="department code (reviewer, dept_head)"),
    ] = None,
    sub: Annotated[str | None, typer.Option(help="subject id; default <role>-<dept>")] = None,
    name: Annotated[str | None, typer.Option(help="display name recorded on decisions")] = None,
    ttl_minutes: Annotated[int | None, typer.Option(help="lifetime; default from settings")] = None,
) -> None:
    """Print a signed token; use it as `Authorization: Bearer <token>` or on the login page."""
    settings = get_settings()
    if role in DEPARTMENT_ROLES and not dept:
        raise typer.BadParameter(
            f"--department is required for role {role.value}", param_hint="--department"
        )
    if uses_dev_secret(settings):
        typer.secho(
            "warning: signed with the development key (set LIANBAN_JWT_SECRET in production)",
            fg=typer.colors.YELLOW,
            err=True,
        )
    ttl = timedelta(minutes=ttl_minutes) if ttl_minutes else None
    typer.echo(mint(settings, role, dept=dept, sub=sub, name=name, ttl=ttl))
