"""`lianban ops dead-letters | dead-letter-redrive | dead-letter-discard`: every dead letter,
with or without a case, over the API (token: an operator's)."""

from __future__ import annotations

from typing import Annotated

import typer

from entrypoints.cli.client import answered
from entrypoints.cli.layout import Column, show_items, text
from entrypoints.cli.ops import ApiUrl, Reason, _act, _api, console, local_minute, ops_app

COLUMNS: list[Column] = [
    ("id", lambda d: str(d["id"])),
    ("error", text("error")),
    ("case", text("case_id", "(no case)")),
    ("source", lambda d: f"{d['source_topic']}/{d['partition']}/{d['offset']}"),
    ("received", lambda d: local_minute(d["created_at"])),
    ("state", text("state")),
    ("detail", text("detail")),
]


@ops_app.command("dead-letters")
def dead_letters(
    state: Annotated[str, typer.Option(help="pending | redriven | discarded | all")] = "pending",
    error: Annotated[str | None, typer.Option(help="unsigned, malformed_json, …")] = None,
    topic: Annotated[str | None, typer.Option(help="the source topic")] = None,
    case_id: Annotated[str | None, typer.Option("--case", help="one case's")] = None,
    without_case: bool = typer.Option(False, help="only those with no case (none, or unknown)"),
    limit: int = 50,
    api: ApiUrl = None,
) -> None:
    """Dead letters of every kind, newest first, and the pending ones counted by error."""
    params = {
        "state": state,
        "error": error,
        "topic": topic,
        "case_id": case_id,
        "case": "without" if without_case else "any",
        "limit": limit,
    }
    result = answered(_api(api).get, "/ops/dead-letters", params)
    show_items(console, COLUMNS, result["data"], keys=3)
    pending = ", ".join(f"{e} {n}" for e, n in result["pending_by_error"].items()) or "none"
    console.print(f"{result['count']} shown; pending by error: {pending}")


@ops_app.command("dead-letter-redrive")
def dead_letter_redrive(dead_letter_id: int, reason: Reason, api: ApiUrl = None) -> None:
    """Apply one dead letter again, once its cause is fixed (e.g. its key registered)."""
    _act(api, f"/ops/dead-letters/{dead_letter_id}/redrive", {"reason": reason})


@ops_app.command("dead-letter-discard")
def dead_letter_discard(dead_letter_id: int, reason: Reason, api: ApiUrl = None) -> None:
    """Give up on one dead letter that can never apply (unsigned, malformed, a duplicate…)."""
    _act(api, f"/ops/dead-letters/{dead_letter_id}/discard", {"reason": reason})
