"""`lianban`: run the service, submit and decide cases, follow them, run a demo."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from entrypoints.cli.audit import audit_app
from entrypoints.cli.calendar import calendar_app
from entrypoints.cli.client import Api, ApiError, fail, token_holder
from entrypoints.cli.db import db_app
from entrypoints.cli.exit import run_cli
from entrypoints.cli.keys import keys_app
from entrypoints.cli.legacy import legacy
from entrypoints.cli.licences import licences_app
from entrypoints.cli.ops import ops_app
from entrypoints.cli.report import report_app
from entrypoints.cli.token import token_app
from entrypoints.cli.users import users_app
from infra.settings import get_settings
from infra.tokens import uses_dev_secret

app = typer.Typer(
    help="Lianban 联办: joint approval across departments.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console()
app.add_typer(calendar_app, name="calendar")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(licences_app, name="licences")
app.add_typer(audit_app, name="audit")
app.add_typer(token_app, name="token")
app.add_typer(users_app, name="users")
ops_app.command()(legacy)  # reads Temporal and the database, not the API
app.add_typer(ops_app, name="ops")
app.add_typer(report_app, name="report")

ApiUrl = Annotated[str | None, typer.Option("--api", envvar="LIANBAN_API_URL", help="API base URL")]


@app.callback()
def _settings_valid() -> None:
    """Refuse a bad configuration with its reason, before any command runs."""
    try:
        get_settings()
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise fail(f"invalid configuration (LIANBAN_* settings): {reasons}") from None


def _api(url: str | None) -> Api:
    s = get_settings()
    return Api(url or f"http://{s.api_host}:{s.api_port}")


def _call(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ApiError as exc:
        raise fail(str(exc)) from exc


@app.command()
def serve(
    worker: bool = typer.Option(True, help="run the Temporal worker"),
    consumers: bool = typer.Option(True, help="run the Kafka consumers"),
    relay: bool = typer.Option(True, help="run the outbox relay"),
    api: bool = typer.Option(True, help="run the HTTP API"),
) -> None:
    """Run the processes against the configured Temporal, Kafka and database."""
    from entrypoints.runner import Parts

    settings = get_settings()
    if uses_dev_secret(settings) and not settings.allow_dev_key:
        raise fail(
            "refusing to serve with the development signing key published in Lianban's source: "
            "anyone could mint an operator token. Set LIANBAN_JWT_SECRET to a random key of at "
            "least 32 bytes (python -c 'import secrets; print(secrets.token_urlsafe(48))'); "
            "on a developer's machine, LIANBAN_ALLOW_DEV_KEY=true or `lianban dev`."
        )
    if not settings.payload_kid and not settings.allow_dev_key:
        raise fail(
            "refusing to serve without Temporal payload encryption: workflow histories would "
            "hold case titles and reasons in plain text. Set LIANBAN_PAYLOAD_KEYS "
            '(JSON {"p1": "<base64 of 32 random bytes>"}) and LIANBAN_PAYLOAD_KID=p1; on a '
            "developer's machine, LIANBAN_ALLOW_DEV_KEY=true or `lianban dev`."
        )
    _run(Parts(worker=worker, consumers=consumers, relay=relay, api=api), embedded=False)


@app.command()
def dev() -> None:
    """Start the embedded stack (Temporal dev server, broker, SQLite) and every process."""
    from entrypoints.runner import Parts

    # Development: the sign-in page also takes a pasted token (`lianban token …`); the case
    # page links to the embedded Temporal UI unless another one is set.
    settings = get_settings()
    update: dict[str, Any] = {"token_sign_in": True}
    if not settings.temporal_ui_url and settings.temporal_ui_port:
        update["temporal_ui_url"] = f"http://127.0.0.1:{settings.temporal_ui_port}"
    _run(Parts(), embedded=True, settings=settings.model_copy(update=update))


def _run(parts: Any, *, embedded: bool, settings: Any = None) -> None:
    from entrypoints.devstack.server import run_forever
    from infra import logs
    from store.migrate import SchemaNotCurrent

    settings = settings or get_settings()
    # JSON lines under `serve` (LIANBAN_LOG_FORMAT), readable ones under `dev`.
    logs.configure(settings, dev=embedded)
    try:
        asyncio.run(run_forever(settings, parts, embedded=embedded, install=_install_signals))
    except SchemaNotCurrent as exc:
        raise fail(f"refusing to start: {exc}") from None


def _install_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


@app.command()
def submit(
    matter: Annotated[str, typer.Option(help="matter code, e.g. IND-CONSTRUCTION")],
    title: Annotated[str, typer.Option(help="project or application title")],
    applicant: Annotated[str, typer.Option(help="applicant name")],
    kind: Annotated[str, typer.Option(help="enterprise | citizen")] = "enterprise",
    id_number: Annotated[str | None, typer.Option(help="resident ID / credit code")] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    material: Annotated[list[str] | None, typer.Option(help="material code; repeat")] = None,
    channel: Annotated[str, typer.Option(help="online | window")] = "online",
    api: ApiUrl = None,
) -> None:
    """Submit an application; prints the case number and query code."""
    body = {
        "matter_code": matter,
        "title": title,
        "channel": channel,
        "applicant": {"kind": kind, "name": applicant, "id_number": id_number, "phone": phone},
        "materials": [{"code": c} for c in material or []],
    }
    result = _call(_api(api).submit, body)
    console.print(f"case [bold]{result['case_id']}[/] query code {result['query_code']}")


@app.command()
def status(case_id: str, api: ApiUrl = None, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show a case: status, each department's task, and the event log."""
    case = _call(_api(api).case, case_id)
    if as_json:
        console.print_json(json.dumps(case))
        return
    _print_case(case)


def _print_case(case: dict[str, Any]) -> None:
    console.print(
        f"[bold]{case['case_id']}[/] {case['title']}\n"
        f"matter {case['matter_code']}  status [bold]{case['status']}[/]"
        + (f"  outcome [bold]{case['outcome']}[/]" if case["outcome"] else "")
    )
    table = Table("department", "status", "outcome", "reviewer", "reasons / conditions")
    for t in case["tasks"]:
        notes = "; ".join(t["reasons"] + t["conditions"])
        table.add_row(t["department"], t["status"], t["outcome"] or "", t["reviewer"] or "", notes)
    console.print(table)
    for line in case["reasons"] + case["conditions"]:
        console.print(f"  • {escape(line)}")


@app.command()
def tasks(department: str, status: str | None = None, api: ApiUrl = None) -> None:
    """List a department's review tasks, soonest due first."""
    result = _call(_api(api).tasks, department, status)
    table = Table("task", "status", "due", "assigned")
    for t in result["data"]:
        table.add_row(t["task_id"], t["status"], str(t["due_date"] or ""), t["assigned_at"])
    console.print(table)


@app.command()
def decide(
    task_id: str,
    outcome: Annotated[str, typer.Option(help="approve|approve_with_conditions|reject")],
    reviewer: Annotated[
        str | None,
        typer.Option(help="optional check: the name the token carries (that name is recorded)"),
    ] = None,
    reason: Annotated[list[str] | None, typer.Option(help="reason; repeat")] = None,
    condition: Annotated[list[str] | None, typer.Option(help="condition; repeat")] = None,
    api: ApiUrl = None,
) -> None:
    """Decide a review task (TASK is CASE.department) as the token's holder.

    The API records the token's name (or subject) as the reviewer, never a typed one: a
    --reviewer that differs is refused rather than silently replaced on the legal record.
    """
    recorded = token_holder(os.environ.get("LIANBAN_TOKEN"))
    if reviewer is not None and recorded is not None and reviewer != recorded:
        raise fail(
            f"--reviewer {reviewer!r} does not match the token, whose holder {recorded!r} is "
            "what the decision records; drop --reviewer or use that reviewer's own token"
        )
    body = {"outcome": outcome, "reasons": reason or [], "conditions": condition or []}
    result = _call(_api(api).decide, task_id, body)
    who = f", recorded as reviewer {recorded}" if recorded else ""
    console.print(f"{result['status']}: {task_id} (event {result['event_id']}{who})")


@app.command()
def catalog() -> None:
    """List each matter: limits, reviewing departments and the materials it needs."""
    from entrypoints.cli.catalog import configured_catalog, print_catalog

    print_catalog(console, configured_catalog())


@app.command()
def demo(
    api: ApiUrl = None,
    reject: Annotated[str | None, typer.Option(help="department that rejects")] = None,
    timeout: float = 60.0,
) -> None:
    """Run a realistic construction case through every department, showing progress."""
    from entrypoints.cli.demo import demo_departments, run_demo

    # A misspelt department would silently never match and the case would be granted.
    known = demo_departments()
    if reject is not None and reject not in known:
        raise fail(
            f"--reject {reject!r} is not a department of the demo matter; known: {', '.join(known)}"
        )
    try:
        run_demo(_api(api), console, reject=reject, timeout=timeout, clock=time.monotonic)
    except ApiError as exc:
        raise fail(str(exc)) from exc
    except TimeoutError as exc:
        raise fail(str(exc)) from exc


def run() -> None:
    """The `lianban` command (entrypoints.cli.exit says how it ends)."""
    run_cli(app)


if __name__ == "__main__":
    run()
