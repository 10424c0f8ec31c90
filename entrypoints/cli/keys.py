"""`lianban keys`: the keys department systems sign their Kafka decisions with.

Run by the platform team against the configured database (like `lianban db`), not the API.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from entrypoints.cli.client import fail
from entrypoints.cli.direct import on_database
from services.operators import department_keys as uc

keys_app = typer.Typer(
    help="Department signing keys (Ed25519) for decisions sent on Kafka.", no_args_is_help=True
)
console = Console()
By = Annotated[str, typer.Option("--by", help="who does this (kept with the key)")]


def _usage(key_id: str, where: str) -> None:
    console.print(
        f"The department system signs each record it sends to the decisions topic with {where}:\n"
        "  header lianban-key-id:    " + key_id + "\n"
        "  header lianban-signature: base64(Ed25519 signature of the record's exact bytes)\n"
        'See docs/contracts.md, "Signing decisions", for a few lines in Python, Java or shell.'
    )


@keys_app.command("new")
def new(
    department: Annotated[str, typer.Option(help="department code, e.g. fire")],
    out: Annotated[Path, typer.Option(help="file to write the private key to (PEM)")],
    key_id: Annotated[str | None, typer.Option(help="default <dept>-<date>-<random>")] = None,
    by: By = getpass.getuser(),
) -> None:
    """Create a key pair, register its public key, write the private key to --out (mode 600)."""
    if out.exists():
        raise fail(f"{out} exists; a private key is never overwritten")
    made = on_database(lambda deps: uc.create(deps, department, key_id, by))
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(made.private_pem)
    console.print(f"registered key [bold]{made.key_id}[/] for {made.department}")
    console.print(f"public key  {made.public_key}")
    console.print(f"private key {out} (give it to the department system as a secret only)")
    _usage(made.key_id, f"the private key in {out}")


@keys_app.command("add")
def add(
    department: Annotated[str, typer.Option(help="department code")],
    key_id: Annotated[str, typer.Option(help="the id the department's records will carry")],
    public_key: Annotated[str, typer.Option(help="raw Ed25519 public key, base64 (32 bytes)")],
    by: By = getpass.getuser(),
) -> None:
    """Register a public key a department created itself (its private key never leaves it)."""
    on_database(lambda deps: uc.register(deps, department, key_id, public_key, by))
    console.print(f"registered key [bold]{key_id}[/] for {department}")
    _usage(key_id, "its private key")


@keys_app.command("revoke")
def revoke(
    key_id: str,
    reason: Annotated[str, typer.Option(help="why (kept with the key)")],
) -> None:
    """Revoke a key: records signed with it are refused from now on (dead letter revoked_key)."""
    on_database(lambda deps: uc.revoke(deps, key_id, reason))
    console.print(f"revoked {key_id}")


@keys_app.command("list")
def list_(department: Annotated[str | None, typer.Option()] = None) -> None:
    """Every key, revoked ones too (a decision signed years ago is checked with its key)."""
    rows: list[dict[str, Any]] = on_database(lambda deps: uc.keys(deps, department))
    table = Table("key id", "department", "public key", "created", "by", "revoked")
    for r in rows:
        revoked = (
            f"{r['revoked_at']:%Y-%m-%d %H:%M} {r['revoked_reason']}" if r["revoked_at"] else ""
        )
        table.add_row(
            r["key_id"],
            r["department"],
            r["public_key"],
            f"{r['created_at']:%Y-%m-%d %H:%M}",
            r["created_by"],
            revoked,
        )
    console.print(table)
