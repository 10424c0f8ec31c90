"""`lianban submit | status | tasks | decide | catalog | demo`: cases over the API. Imported by
`lianban` at start-up, so everything heavy is imported inside the commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from entrypoints.cli.client import Api

TASK_STATUSES = ("open", "decided")
ApiUrl = Annotated[str | None, typer.Option("--api", envvar="LIANBAN_API_URL", help="API base URL")]


def _console() -> Console:
    from rich.console import Console

    return Console()


def _api(url: str | None) -> Api:
    from entrypoints.cli.client import Api
    from infra.settings import get_settings

    s = get_settings()
    return Api(url or f"http://{s.api_host}:{s.api_port}")


def _call(fn: Any, *args: Any) -> Any:
    from entrypoints.cli.client import answered  # here: `lianban --help` does not pay for it

    return answered(fn, *args)


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
    _console().print(f"case [bold]{result['case_id']}[/] query code {result['query_code']}")


def status(case_id: str, api: ApiUrl = None, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show a case: status, each department's task, and the event log."""
    import json

    case = _call(_api(api).case, case_id)
    if as_json:
        _console().print_json(json.dumps(case))
        return
    _print_case(case)


def _print_case(case: dict[str, Any]) -> None:
    from rich.markup import escape

    from entrypoints.cli.layout import show_items, text

    console = _console()
    console.print(
        f"[bold]{case['case_id']}[/] {escape(case['title'])}\n"
        f"matter {case['matter_code']}  status [bold]{case['status']}[/]"
        + (f"  outcome [bold]{case['outcome']}[/]" if case["outcome"] else "")
    )
    columns = [
        ("department", text("department")),
        ("status", text("status")),
        ("outcome", text("outcome")),
        ("reviewer", text("reviewer")),
        ("reasons / conditions", lambda t: "; ".join(t["reasons"] + t["conditions"])),
    ]
    show_items(console, columns, case["tasks"])
    for line in case["reasons"] + case["conditions"]:
        console.print(f"  • {escape(line)}")


def _known_department(department: str) -> None:
    """Exit 2 naming the known departments (of the configured catalog) for any other."""
    from entrypoints.cli.catalog import configured_catalog
    from entrypoints.cli.client import USAGE, fail

    known = configured_catalog().departments
    if department not in known:
        raise fail(f"unknown department {department!r}; known: {', '.join(sorted(known))}", USAGE)


def tasks(
    department: str,
    status: Annotated[str | None, typer.Option(help="open | decided")] = None,
    api: ApiUrl = None,
) -> None:
    """List a department's review tasks, soonest due first."""
    from entrypoints.cli.client import USAGE, fail
    from entrypoints.cli.layout import show_items, text

    _known_department(department)
    if status is not None and status not in TASK_STATUSES:
        raise fail(f"unknown --status {status!r}; known: {', '.join(TASK_STATUSES)}", USAGE)
    result = _call(_api(api).tasks, department, status)
    columns = [
        ("task", text("task_id")),
        ("status", text("status")),
        ("due", text("due_date")),
        ("assigned", lambda t: t["assigned_at"][:16]),
    ]
    show_items(_console(), columns, result["data"])
    _console().print(f"{result['count']} task(s)")


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
    import os

    from entrypoints.cli.client import fail, token_holder

    recorded = token_holder(os.environ.get("LIANBAN_TOKEN"))
    if reviewer is not None and recorded is not None and reviewer != recorded:
        raise fail(
            f"--reviewer {reviewer!r} does not match the token, whose holder {recorded!r} is "
            "what the decision records; drop --reviewer or use that reviewer's own token"
        )
    body = {"outcome": outcome, "reasons": reason or [], "conditions": condition or []}
    result = _call(_api(api).decide, task_id, body)
    who = f", recorded as reviewer {recorded}" if recorded else ""
    _console().print(f"{result['status']}: {task_id} (event {result['event_id']}{who})")


def catalog() -> None:
    """List each matter: limits, reviewing departments and the materials it needs."""
    from entrypoints.cli.catalog import configured_catalog, print_catalog

    print_catalog(_console(), configured_catalog())


def demo(
    api: ApiUrl = None,
    reject: Annotated[str | None, typer.Option(help="department that rejects")] = None,
    timeout: float = 60.0,
) -> None:
    """Run a realistic construction case through every department, showing progress."""
    import time

    from entrypoints.cli.client import USAGE, ApiError, api_failure, fail
    from entrypoints.cli.demo import demo_departments, run_demo

    # A misspelt department would silently never match and the case would be granted.
    known = demo_departments()
    if reject is not None and reject not in known:
        raise fail(
            f"--reject {reject!r} is not a department of the demo matter; "
            f"known: {', '.join(known)}",
            USAGE,
        )
    try:
        run_demo(_api(api), _console(), reject=reject, timeout=timeout, clock=time.monotonic)
    except ApiError as exc:
        raise api_failure(exc) from exc
    except TimeoutError as exc:
        raise fail(str(exc)) from exc
