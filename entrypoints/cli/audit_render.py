"""How `lianban audit` prints a replay and a verification report (rich tables)."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from domain.case_clocks import CHINA
from services.auditors.findings import VerifyReport
from services.auditors.replay import Replay


def local(instant: datetime | None) -> str:
    return instant.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") if instant else "—"


def _header(console: Console, r: Replay) -> None:
    s, c = r.state, r.state.clocks
    when = f"as of {local(r.at)} (Asia/Shanghai)" if r.at else "now"
    console.print(f"[bold]{s.case_id}[/] {escape(s.title or '')}  {when}")
    outcome = f"  outcome [bold]{s.outcome}[/]" if s.outcome else ""
    matter = f"{s.matter_code} {escape(r.matter_name or '')}".strip() if s.matter_code else "—"
    console.print(f"matter {matter}  status [bold]{s.status or '—'}[/]{outcome}")
    paused = "  [yellow]clock paused[/]" if c.paused else ""
    extended = f"  extension +{c.extension_days}" if c.extension_days else ""
    console.print(
        f"accepted {c.accepted_on or '—'}  statutory due {c.statutory_due or '—'}  "
        f"promised due {c.promised_due or '—'}{paused}{extended}  warning {s.warning_level}"
    )


def _departments(console: Console, r: Replay) -> None:
    table = Table("department", "status", "outcome", "reviewer", "due", "reasons / conditions")
    for t in r.state.task_rows():
        notes = "; ".join(t["reasons"] + t["conditions"])
        table.add_row(
            t["department"],
            t["status"],
            t["outcome"] or "",
            t["reviewer"] or "",
            str(t["due_date"] or ""),
            escape(notes),
        )
    console.print(table)


def _steps(console: Console, r: Replay) -> None:
    if r.steps is None:
        return
    table = Table("step", "start", "end", "due", "hard limit", "wd", "margin", "status")
    for st in r.steps.steps:
        margin = "" if st.margin_days is None else str(st.margin_days)
        table.add_row(
            st.label,
            str(st.start),
            str(st.end or "running"),
            str(st.due or ""),
            str(st.hard_due or ""),
            str(st.working_days),
            margin,
            st.status,
        )
    console.print(table)


def print_replay(console: Console, r: Replay) -> None:
    """The state at the moment, the departments, the steps against limits, the timeline."""
    _header(console, r)
    _departments(console, r)
    for w in r.state.warnings:
        console.print(f"  [yellow]warning[/] {w['level']} (limit {w.get('due_at')})")
    _steps(console, r)
    table = Table("#", "time (Asia/Shanghai)", "actor · role", "what")
    for line in r.lines:
        who = f"{escape(line.actor)} · {line.role}"
        table.add_row(str(line.seq), local(line.occurred_at), who, escape(line.summary))
    console.print(table)
    later = len(r.entries) - len(r.lines)
    if later:
        console.print(f"({later} later entries not applied)")


def print_report(console: Console, report: VerifyReport) -> None:
    """Each finding, then a one-line verdict."""
    for f in report.findings:
        colour = "red" if f.outcome == "failed" else "yellow"
        console.print(f"[{colour}]{f.outcome}[/] {escape(str(f))}")
    verdict = "[green]OK[/]" if report.ok else f"[red]{len(report.failures)} problem(s)[/]"
    console.print(
        f"{verdict}: {report.cases} case(s), {report.entries} entries, {report.anchors} "
        f"anchor(s); checked {', '.join(report.checked)}"
    )
