"""`lianban db`: the database schema's revision, and the upgrade that brings it to this code's."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from infra.bootstrap import keyring_of
from infra.settings import get_settings
from store.db import make_engine
from store.migrate import current_revision, head_revision, upgrade

db_app = typer.Typer(help="The database schema: migrations (Alembic).", no_args_is_help=True)
console = Console()


async def _current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return await current_revision(engine)
    finally:
        await engine.dispose()


async def _upgrade(url: str) -> tuple[str | None, str | None]:
    engine = make_engine(url)
    try:
        before = await current_revision(engine)
        await upgrade(engine, keyring_of(get_settings()))
        return before, await current_revision(engine)
    finally:
        await engine.dispose()


@db_app.command()
def current() -> None:
    """The database's revision and this code's; exit 1 when the database is behind."""
    found, head = asyncio.run(_current(get_settings().database_url)), head_revision()
    state = "at head" if found == head else "BEHIND: run `lianban db upgrade`"
    console.print(f"database {found or '(no schema revision)'}, code {head}: {state}")
    raise typer.Exit(code=0 if found == head else 1)


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Upgrade the database to this code's schema (run before starting the processes)."""
    before, after = asyncio.run(_upgrade(get_settings().database_url))
    if before == after:
        console.print(f"database already at {after}")
    else:
        console.print(f"database upgraded from {before or '(nothing)'} to {after}")
