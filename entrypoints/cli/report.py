"""`lianban report`: the efficiency (SLA) report and a case's timeline, over the API (token:
$LIANBAN_TOKEN, e.g. from `lianban token --role auditor`); `--png FILE` saves the chart too
(SVG when FILE ends in .svg)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from entrypoints.cli.client import Api, ApiError, api_failure, unreachable
from entrypoints.cli.layout import Column, Item, show_items, text
from infra.settings import get_settings

report_app = typer.Typer(
    help="Reports: on time, overdue and speed per matter and department; a case's timeline.",
    no_args_is_help=True,
)
console = Console()
ApiUrl = Annotated[str | None, typer.Option("--api", envvar="LIANBAN_API_URL", help="API base URL")]
Day = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD")]
Picture = Annotated[Path | None, typer.Option("--png", help="also save the chart (.png or .svg)")]


class ReportApi(Api):
    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._call("GET", path, params=_present(params or {}))

    def picture(self, path: str, params: dict[str, Any] | None = None) -> bytes:
        """A chart's bytes (the JSON client would try to decode them)."""
        try:
            response = self._http.get(path, params=_present(params or {}))
        except httpx.HTTPError as exc:
            raise unreachable(self._http.base_url, exc) from exc
        if response.status_code >= 400:
            raise ApiError(f"HTTP {response.status_code} {response.text}")
        return response.content


def _present(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def _api(url: str | None) -> ReportApi:
    s = get_settings()
    return ReportApi(url or f"http://{s.api_host}:{s.api_port}", timeout=60.0)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _count(name: str) -> Callable[[Item], str]:
    return lambda r: f"{r[name]:,}"


COLUMNS: list[Column] = [
    ("code", text("key")),
    ("name", text("name")),
    ("cases", _count("cases")),
    ("concluded", _count("concluded")),
    ("open", _count("open")),
    ("on time", lambda r: _pct(r["on_time_rate"])),
    ("early", lambda r: _pct(r["early_rate"])),
    ("overdue", lambda r: f"{r['overdue']:,} ({_pct(r['overdue_rate'])})"),
    ("breached", _count("breached")),
    ("avg wd", lambda r: _days(r["avg_working_days"])),
    ("compression", lambda r: _pct(r["compression"])),
    ("online", lambda r: _pct(r["online_rate"])),
    ("corrections", _count("corrections")),
]


def _rows(title: str, rows: list[dict[str, Any]], total: dict[str, Any] | None) -> None:
    """A table when the terminal is wide enough, else a block per row (code and name first)."""
    show_items(
        console, COLUMNS, [*rows, *([total] if total is not None else [])], keys=2, title=title
    )


def _print_report(report: dict[str, Any]) -> None:
    start, end = report["start"] or "first case", report["end"] or "last case"
    console.print(f"[bold]Cases submitted {start} to {end}[/], as of {report['as_of']}")
    if report["matters"]:
        _rows("By matter", report["matters"], report["total"])
    _rows("By department (review tasks)", report["departments"], None)
    total = report["total"]
    if total is not None:
        console.print(
            f"immediate cases {_pct(total['immediate_share'])} · satisfaction "
            f"{_pct(total['satisfaction'])} of {total['rated']} ratings · bad ratings followed "
            f"up {_pct(total['follow_up_rate'])} · window correction notices "
            f"{total['correction_notices']:,}"
        )
    for note in report["not_measured"]:
        console.print(f"[dim]not measurable yet: {note}[/]")


def _save(api: ReportApi, path: str, params: dict[str, Any], file: Path) -> None:
    fmt = "svg" if file.suffix.lower() == ".svg" else "png"
    file.write_bytes(api.picture(f"{path}.{fmt}", params))
    console.print(f"chart saved to {file}")


@report_app.command()
def sla(
    from_: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="YYYY-MM-DD")
    ] = None,
    to: Day = None,
    matter: Annotated[str | None, typer.Option(help="only this matter code")] = None,
    png: Picture = None,
    by: Annotated[str, typer.Option(help="chart: one bar per department | matter")] = "department",
    api: ApiUrl = None,
) -> None:
    """On time, early, overdue, speed and more, per matter and per department."""
    params = {
        "from": from_.date().isoformat() if from_ else None,
        "to": to.date().isoformat() if to else None,
        "matter": matter,
    }
    client = _api(api)
    try:
        _print_report(client.get("/reports/sla", params))
        if png is not None:
            _save(client, "/reports/sla", params | {"by": by}, png)
    except ApiError as exc:
        raise api_failure(exc) from exc


STEP_COLUMNS: list[Column] = [
    ("step", text("label")),
    ("start", text("start")),
    ("end", text("end", "running")),
    ("limit", text("due", "–")),
    ("working days", lambda s: f"{s['working_days']}" + _paused(s["paused_days"])),
    ("margin", lambda s: "" if s["margin_days"] is None else f"{s['margin_days']:+d}"),
    ("status", text("status")),
]


def _paused(days: int) -> str:
    return f" (+{days} paused)" if days else ""


@report_app.command()
def timeline(case_id: str, png: Picture = None, api: ApiUrl = None) -> None:
    """A case's steps (acceptance, each review, pauses, decision, issuance) against limits."""
    client = _api(api)
    try:
        t = client.get(f"/cases/{case_id}/timeline")
        if png is not None:
            _save(client, f"/cases/{case_id}/timeline", {}, png)
    except ApiError as exc:
        raise api_failure(exc) from exc
    outcome = f" ({t['outcome']})" if t["outcome"] else ""
    console.print(f"[bold]{t['case_id']}[/] {t['matter_code']} {t['status']}{outcome}")
    show_items(console, STEP_COLUMNS, t["steps"])
    for m in t["markers"]:
        console.print(f"  {m['on']}  {m['label']}")
