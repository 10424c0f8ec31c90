"""`lianban licences`: check an electronic licence offline, revoke one (through the API), and
the center's signing keys (on the configured database, like `lianban keys`)."""

from __future__ import annotations

import base64
import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from domain.licence import LicenceProblem, check, public_key_from_pem, read_signature
from entrypoints.cli.client import ApiError, fail
from entrypoints.cli.direct import on_database
from entrypoints.cli.ops import ApiUrl, _api
from services.operators import licence_keys as uc

licences_app = typer.Typer(
    help="Electronic licences: verify offline, revoke, the center's signing keys.",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="The center's licence signing keys (Ed25519).", no_args_is_help=True)
licences_app.add_typer(keys_app, name="keys")
console = Console()


def _keys_from(key: Path | None, keys: Path | None) -> dict[str, bytes]:
    """Public keys by id: one PEM file, or the JSON of /public/licence-keys."""
    if key is not None:
        return {"": public_key_from_pem(key.read_bytes())}
    if keys is not None:
        listed = json.loads(keys.read_text(encoding="utf-8")).get("data", [])
        return {k["key_id"]: base64.b64decode(k["public_key"]) for k in listed}
    raise LicenceProblem("give the published public key: --key FILE.pem or --keys KEYS.json")


@licences_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="the licence document as downloaded (.json)")],
    signature: Annotated[
        Path | None, typer.Option(help="its signature (.sig); default FILE with .sig")
    ] = None,
    key: Annotated[Path | None, typer.Option(help="the center's public key (PEM)")] = None,
    keys: Annotated[
        Path | None, typer.Option(help="the center's keys as /public/licence-keys gives them")
    ] = None,
) -> None:
    """Check a licence offline: the signature of a published key over the file's exact bytes.
    Exit 0 when it verifies, 1 when the file, the signature or the key does not match."""
    sig_path = signature or file.with_suffix(".sig")
    try:
        doc = check(file.read_bytes(), read_signature(sig_path.read_bytes()), _keys_from(key, keys))
    except (LicenceProblem, OSError, ValueError) as exc:
        raise fail(f"NOT VERIFIED: {exc}") from None
    holder = doc["holder"]
    console.print(f"[green]VERIFIED[/] licence {doc['licence_number']} (key {doc['key_id']})")
    console.print(f"  {doc['licence']['name']} · {doc['matter']['name']}")
    console.print(f"  holder {holder['name']} {holder.get('id_number') or ''}".rstrip())
    console.print(f"  valid {doc['valid_from']} – {doc['valid_until'] or 'no end'}")
    console.print(f"  whether it was revoked since is not checked offline: {doc['verify_url']}")


@licences_app.command("revoke")
def revoke(
    number: str,
    reason: Annotated[str, typer.Option("--reason", "-r", help="why (on the case's record)")],
    api: ApiUrl = None,
) -> None:
    """Revoke an issued licence (admin, or a head of a department reviewing its matter)."""
    try:
        done = _api(api).post(f"/licences/{number}/revoke", {"reason": reason})
    except ApiError as exc:
        raise fail(str(exc)) from exc
    console.print(f"revoked {done['licence_number']} by {done['by']}: {done['reason']}")


@keys_app.command("rotate")
def rotate(
    by: Annotated[str, typer.Option("--by", help="who does this")] = getpass.getuser(),
) -> None:
    """A new signing key from now on; the old ones stay published and keep verifying."""
    key_id = on_database(lambda deps: uc.rotate(deps, by))
    console.print(f"licences are signed with [bold]{key_id}[/] from now on")


@keys_app.command("list")
def list_keys() -> None:
    """Every key the center signed licences with."""
    found = on_database(uc.keys)
    table = Table("key id", "public key (base64)", "created", "retired")
    for k in found:
        table.add_row(
            k["key_id"],
            k["public_key"],
            f"{k['created_at']:%Y-%m-%d %H:%M}",
            f"{k['retired_at']:%Y-%m-%d %H:%M}" if k["retired_at"] else "signs now",
        )
    console.print(table)
