"""`lianban ops`: stalled cases and the operator actions, over the API (token: $LIANBAN_TOKEN,
e.g. from `lianban token --role operator`). Every action asks for a reason."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from entrypoints.cli.client import Api, ApiError, answered, api_failure, unreachable
from entrypoints.cli.layout import Column, show_items, text
from entrypoints.cli.progress import ShowProgress, progress_bar, wants_progress
from infra.settings import get_settings
from services.progress import Progress

ops_app = typer.Typer(
    help="Operators: find stalled cases and dead letters, and resume them.", no_args_is_help=True
)
console = Console()
ApiUrl = Annotated[str | None, typer.Option("--api", envvar="LIANBAN_API_URL", help="API base URL")]
Reason = Annotated[str, typer.Option("--reason", "-r", help="why (goes on the case's record)")]


class OpsApi(Api):
    def get(self, path: str, params: dict[str, Any]) -> Any:
        return self._call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, json={k: v for k, v in body.items() if v is not None})

    def post_with_progress(self, path: str, body: dict[str, Any], progress: Progress) -> Any:
        body = {k: v for k, v in body.items() if v is not None}
        return self.with_progress("POST", path, progress, json=body)


def _api(url: str | None) -> OpsApi:
    s = get_settings()
    return OpsApi(url or f"http://{s.api_host}:{s.api_port}", timeout=60.0)


def _act(url: str | None, path: str, body: dict[str, Any]) -> None:
    result = answered(_api(url).post, path, body)
    target = f" {result['target']}" if result.get("target") else ""
    console.print(
        f"[green]{result['action']}{target}[/] on {result['case_id']}: {result['detail']}"
    )


STALLED_COLUMNS: list[Column] = [
    ("case", text("case_id")),
    ("matter", text("matter_code")),
    ("dept", text("department")),
    ("reason", text("reason")),
    ("since", lambda i: local_minute(i["since"])),
    ("detail", text("detail")),
    ("target", text("target")),
]


@ops_app.command()
def stalled(
    matter: Annotated[str | None, typer.Option(help="matter code")] = None,
    department: Annotated[str | None, typer.Option(help="department code")] = None,
    reason: Annotated[str | None, typer.Option(help="idle_task, activity_retrying, …")] = None,
    limit: int = 200,
    live: bool = typer.Option(True, help="ask Temporal for retry details"),
    api: ApiUrl = None,
) -> None:
    """Stalled cases and why, longest-stalled first."""
    params = {"matter": matter, "department": department, "reason": reason, "limit": limit}
    result = answered(_api(api).get, "/ops/stalled", params | {"live": str(live).lower()})
    show_items(console, STALLED_COLUMNS, result["data"])
    console.print(f"{result['count']} stalled")


@ops_app.command()
def health(api: ApiUrl = None) -> None:
    """Each dependency and the flow of work, as `/readyz` reports it.

    Exit status: 0 ok, 1 degraded, 2 down (database or Temporal not answering), 3 no API."""
    base = _api(api)
    try:
        response = base._http.get("/readyz")
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise api_failure(unreachable(base._http.base_url, exc)) from exc
    table = Table("check", "ok", "detail")
    for c in body["checks"]:
        mark = "[green]yes[/]" if c["ok"] else ("[red]NO[/]" if c["critical"] else "[yellow]no[/]")
        table.add_row(c["name"], mark, c["detail"])
    console.print(table)
    colour = {"ok": "green", "degraded": "yellow"}.get(body["status"], "red")
    console.print(f"status [{colour}]{body['status']}[/]")
    raise typer.Exit(code={"ok": 0, "degraded": 1}.get(body["status"], 2))


@ops_app.command("outbox-retry")
def outbox_retry(case_id: str, outbox_id: int, reason: Reason, api: ApiUrl = None) -> None:
    """Publish a parked outgoing event of the case again (`stalled --reason outbox_parked`)."""
    _act(api, f"/ops/cases/{case_id}/outbox/{outbox_id}/retry", {"reason": reason})


@ops_app.command("outbox-discard")
def outbox_discard(case_id: str, outbox_id: int, reason: Reason, api: ApiUrl = None) -> None:
    """Give up on a parked outgoing event; the case's later events flow again."""
    _act(api, f"/ops/cases/{case_id}/outbox/{outbox_id}/discard", {"reason": reason})


@ops_app.command()
def remind(case_id: str, department: str, reason: Reason, api: ApiUrl = None) -> None:
    """Remind a department of its open task."""
    _act(api, f"/ops/cases/{case_id}/remind", {"department": department, "reason": reason})


@ops_app.command()
def reassign(
    task_id: str,
    reason: Reason,
    reviewer: Annotated[str | None, typer.Option(help="the reviewer taking it")] = None,
    unit: Annotated[str | None, typer.Option(help="the unit taking it")] = None,
    api: ApiUrl = None,
) -> None:
    """Hand an open task (CASE.department) to another reviewer or unit."""
    body = {"reason": reason, "reviewer": reviewer, "unit": unit}
    _act(api, f"/ops/tasks/{task_id}/reassign", body)


ActivityId = Annotated[str | None, typer.Option("--activity", help="default: every failing one")]


@ops_app.command()
def retry(case_id: str, reason: Reason, activity: ActivityId = None, api: ApiUrl = None) -> None:
    """Retry a failing activity now (skip the backoff)."""
    _act(api, f"/ops/cases/{case_id}/retry", {"reason": reason, "activity_id": activity})


@ops_app.command("pause-activity")
def pause_activity(
    case_id: str, reason: Reason, activity: ActivityId = None, api: ApiUrl = None
) -> None:
    """Pause a failing activity: no more retries until unpaused."""
    body = {"reason": reason, "activity_id": activity}
    _act(api, f"/ops/cases/{case_id}/activities/pause", body)


@ops_app.command("unpause-activity")
def unpause_activity(
    case_id: str, reason: Reason, activity: ActivityId = None, api: ApiUrl = None
) -> None:
    """Unpause an activity: it runs again at once."""
    body = {"reason": reason, "activity_id": activity}
    _act(api, f"/ops/cases/{case_id}/activities/unpause", body)


@ops_app.command("end-pause")
def end_pause(
    case_id: str,
    notice_ref: str,
    reason: Reason,
    end: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today")] = None,
    api: ApiUrl = None,
) -> None:
    """End a special-procedure pause whose end was never recorded."""
    _act(api, f"/ops/cases/{case_id}/pauses/{notice_ref}/end", {"reason": reason, "end": end})


@ops_app.command()
def redrive(
    case_id: str,
    reason: Reason,
    dead_letter: Annotated[int | None, typer.Option(help="one dead letter id; default all")] = None,
    api: ApiUrl = None,
) -> None:
    """Re-drive the case's dead letters after the cause is fixed."""
    body = {"reason": reason, "dead_letter_id": dead_letter}
    _act(api, f"/ops/cases/{case_id}/redrive", body)


@ops_app.command()
def escalate(
    case_id: str,
    reason: Reason,
    note: Annotated[str, typer.Option(help="instruction for the supervisors")],
    api: ApiUrl = None,
) -> None:
    """Escalate to supervision (督办)."""
    _act(api, f"/ops/cases/{case_id}/escalate", {"reason": reason, "note": note})


@ops_app.command()
def withdraw(case_id: str, reason: Reason, api: ApiUrl = None) -> None:
    """The applicant withdrew: end the case, cancel its open reviews."""
    _act(api, f"/ops/cases/{case_id}/terminate", {"status": "withdrawn", "reason": reason})


@ops_app.command()
def terminate(case_id: str, reason: Reason, api: ApiUrl = None) -> None:
    """Terminate the case (e.g. materials owed under tolerant acceptance not supplied)."""
    _act(api, f"/ops/cases/{case_id}/terminate", {"status": "terminated", "reason": reason})


@ops_app.command()
def reset(
    case_id: str,
    reason: Reason,
    event_id: Annotated[int | None, typer.Option(help="reset point; default last good")] = None,
    bad_build: Annotated[str | None, typer.Option(help="build id of the bad deploy")] = None,
    api: ApiUrl = None,
) -> None:
    """Reset the case's workflow to its last good point, keeping the decisions received."""
    body = {"reason": reason, "event_id": event_id, "bad_build": bad_build}
    _act(api, f"/ops/cases/{case_id}/reset", body)


@ops_app.command("bulk")
def bulk_action(
    action: Annotated[str, typer.Argument(help="remind, retry_now, redrive, escalate, …")],
    reason: Reason,
    matter: Annotated[str | None, typer.Option(help="matter code")] = None,
    department: Annotated[str | None, typer.Option(help="department code")] = None,
    stalled_reason: Annotated[str | None, typer.Option("--stalled", help="stall reason")] = None,
    note: Annotated[str | None, typer.Option(help="escalation note")] = None,
    execute: bool = typer.Option(False, "--execute", help="do it (default: dry run)"),
    show_progress: ShowProgress = None,
    api: ApiUrl = None,
) -> None:
    """An action on every stalled case the filter selects; a dry run unless --execute.

    With --execute, a progress bar on stderr (see --progress)."""
    body = {
        "action": action,
        "reason": reason,
        "matter": matter,
        "department": department,
        "stalled_reason": stalled_reason,
        "note": note,
        "dry_run": not execute,
    }
    try:
        if execute and wants_progress(show_progress):
            with progress_bar(True, f"bulk {action}", "targets") as progress:
                result = _api(api).post_with_progress("/ops/bulk", body, progress)
        else:
            result = _api(api).post("/ops/bulk", body)
    except ApiError as exc:
        raise api_failure(exc) from exc
    verb = "would" if result["dry_run"] else "did"
    for p in result["planned"]:
        console.print(f"{verb}: {p['case_id']}  {p['change']}")
    for f in result["failed"]:
        console.print(f"[red]failed[/]: {f['case_id']} {f['target'] or ''}: {f['error']}")
    console.print(f"{len(result['planned'])} planned, {len(result['done'])} done")


SUPERVISION_COLUMNS: list[Column] = [
    ("id", lambda i: str(i["id"])),
    ("case", text("case_id")),
    ("owner", text("owner_department", "center")),
    ("level", text("level")),
    ("due", lambda i: (i["due_date"] or "") + (" OVERDUE" if i["overdue"] else "")),
    ("escalated", lambda i: str(i["escalation_level"])),
    ("status", text("status")),
    ("note", text("note")),
]


@ops_app.command()
def supervision(
    status: Annotated[str, typer.Option(help="open | closed | all")] = "open",
    department: Annotated[str | None, typer.Option(help="owner department")] = None,
    overdue: bool = typer.Option(False, help="only open items past their due date"),
    api: ApiUrl = None,
) -> None:
    """Supervision items (督办), soonest due first."""
    params = {"status": status, "department": department, "overdue": str(overdue).lower()}
    result = answered(_api(api).get, "/supervision", params)
    show_items(console, SUPERVISION_COLUMNS, result["data"], keys=2)
    console.print(f"{result['count']} item(s)")


def local_minute(value: str | None) -> str:
    """An API time (UTC, ISO) as the center reads it: Asia/Shanghai, to the minute (the
    pages' one formatter)."""
    from infra.i18n.times import local_minute_or_dash

    return local_minute_or_dash(value) if value else ""


from entrypoints.cli import dead_letters as _dead_letters  # noqa: E402, F401  (its commands)
from entrypoints.cli.legacy import legacy  # noqa: E402

ops_app.command()(legacy)  # reads Temporal and the database, not the API
