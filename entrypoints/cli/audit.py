"""`lianban audit`: replay, verify, export, anchor, rebuild.

Auditors run these on the server: unlike the rest of the CLI they read the database directly
(the configured `LIANBAN_DATABASE_URL`), and Temporal for the cross-check when it is reachable.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from temporalio.client import Client

from entrypoints.cli import audit_render as render
from entrypoints.cli.client import USAGE, fail
from entrypoints.cli.progress import ShowProgress, progress_bar
from infra.bootstrap import Deps, bootstrap, connect_temporal
from infra.settings import get_settings
from services.auditors import anchors, dossier, rebuild, replay, verify
from store.db import make_engine, make_sessionmaker
from store.migrate import upgrade

audit_app = typer.Typer(
    help="Auditors: replay a case to any moment, verify chains and anchors, export a dossier.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)
T = TypeVar("T")
AsJson = Annotated[bool, typer.Option("--json", help="machine-readable output")]


async def _connect(temporal: bool) -> Deps:
    settings = get_settings()
    client: Client | bool = False
    if temporal:
        try:
            client = await asyncio.wait_for(connect_temporal(settings), 10)
        except Exception as exc:  # any failure to connect: the check reports "not checked"
            errors.print(f"[yellow]Temporal unreachable ({exc}); its cross-check is skipped[/]")
    return await bootstrap(settings, temporal=client)


def _run(work: Callable[[Deps], Awaitable[T]], *, temporal: bool = False) -> T:
    async def main() -> T:
        deps = await _connect(temporal)
        try:
            return await work(deps)
        finally:
            await deps.close()

    try:
        return asyncio.run(main())
    except LookupError as exc:  # no such case: named on the command line (exit 2)
        raise fail(str(exc.args[0]) if exc.args else str(exc), USAGE) from exc


@audit_app.command("replay")
def replay_cmd(
    case_id: str,
    at: Annotated[
        str | None, typer.Option(help="ISO date-time (Asia/Shanghai if no zone) or date")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Rebuild a case's state at a moment from its audit record and print its timeline."""
    try:
        moment = replay.parse_at(at) if at else None
    except ValueError as exc:
        raise typer.BadParameter(f"--at {at!r}: {exc}") from exc
    result = _run(lambda deps: replay.replay(deps, case_id, moment))
    if as_json:
        console.print_json(json.dumps(replay.replay_document(result), ensure_ascii=False))
        return
    render.print_replay(console, result)


@audit_app.command("verify")
def verify_cmd(
    case_id: Annotated[str | None, typer.Argument(help="one case; or --all")] = None,
    all_cases: Annotated[bool, typer.Option("--all", help="every case")] = False,
    temporal: Annotated[
        bool | None,
        typer.Option("--temporal/--no-temporal", help="cross-check Temporal (default: one case)"),
    ] = None,
    anchors: Annotated[
        bool, typer.Option("--anchors/--no-anchors", help="check the anchors' chain and file")
    ] = True,
    digest: Annotated[
        bool,
        typer.Option(
            "--digest",
            help="one case: also recompute the latest anchor's digest now (reads the whole "
            "log); otherwise the last recomputation (by --all or the anchor job) is reported",
        ),
    ] = False,
    as_json: AsJson = False,
    show_progress: ShowProgress = None,
) -> None:
    """Check the chains and anchors; cross-check the read model and Temporal.

    Exits 1 on a problem, naming the entry that breaks. `--all` shows a progress bar on
    stderr (see --progress).
    """
    if bool(case_id) == all_cases:
        raise typer.BadParameter("give a CASE or --all")
    cross = temporal if temporal is not None else not all_cases

    with progress_bar(show_progress if all_cases else False, "verifying", "cases") as progress:

        async def work(deps: Deps) -> Any:
            if case_id:
                return await verify.verify_case(
                    deps, case_id, temporal=cross, anchors=anchors, digest=digest
                )
            return await verify.verify_all(deps, temporal=cross, progress=progress)

        report = _run(work, temporal=cross)
    if as_json:
        console.print_json(json.dumps(report.document(), ensure_ascii=False))
    else:
        render.print_report(console, report)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def export_cmd(
    case_id: str,
    fmt: Annotated[str, typer.Option("--format", help="json | html")] = "html",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write")] = None,
    temporal: Annotated[bool, typer.Option("--temporal/--no-temporal")] = True,
) -> None:
    """Export the case's dossier: JSON with every hash, or one self-contained HTML page."""
    if fmt not in ("json", "html"):
        raise typer.BadParameter("--format json or html")
    doc = _run(lambda deps: dossier.dossier(deps, case_id, temporal=temporal), temporal=temporal)
    text = (
        json.dumps(doc, ensure_ascii=False, indent=2)
        if fmt == "json"
        else dossier.dossier_html(doc)
    )
    target = output or Path(f"{case_id}.dossier.{fmt}")
    target.write_text(text, encoding="utf-8")
    status = "intact" if doc["verification"]["ok"] else "PROBLEMS FOUND"
    console.print(f"wrote {target} ({len(doc['entries'])} entries, {status})")


@audit_app.command("anchor")
def anchor_cmd(
    every: Annotated[
        float | None, typer.Option(help="keep anchoring every SECONDS (Ctrl-C stops)")
    ] = None,
) -> None:
    """Anchor the global head (run it periodically, e.g. from a timer).

    Stored, published on <prefix>.audit-anchors and appended to LIANBAN_AUDIT_ANCHOR_FILE.
    """

    async def work(deps: Deps) -> None:
        if every is None:
            try:
                a = await anchors.take_anchor(deps)
            except anchors.LogRewritten as exc:
                raise fail(f"no anchor taken: the log was changed: {exc}") from exc
            console.print(f"anchor {a.seq}: {a.cases} cases, {a.entries} entries, {a.hash}")
            return
        await anchors.anchor_forever(deps, asyncio.Event(), every)

    try:
        _run(work)
    except KeyboardInterrupt:
        console.print("stopped")


@audit_app.command("rebuild")
def rebuild_cmd(
    into: Annotated[str, typer.Option(help="empty database URL to rebuild the read model in")],
    case: Annotated[
        list[str] | None, typer.Option(help="compare only this case (repeat); default: all")
    ] = None,
    show_progress: ShowProgress = None,
) -> None:
    """Rebuild the read model from the audit log into an empty database; compare with live.

    Exits 1 when the rebuilt model differs from the live one.
    """

    async def work(deps: Deps) -> rebuild.Rebuilt:
        engine = make_engine(into)
        try:
            await upgrade(engine)
            target = make_sessionmaker(engine)
            with progress_bar(show_progress, "rebuilding", "cases") as progress:
                out = await rebuild.rebuild_into(deps, target, progress)
            out.differences = await rebuild.compare_models(deps.sessions, target, case)
            return out
        finally:
            await engine.dispose()

    out = _run(work)
    console.print(
        f"rebuilt {out.cases} cases, {out.tasks} tasks, {out.decisions} decisions, "
        f"{out.events} events"
    )
    for line in out.differences:
        console.print(f"[red]differs[/] {line}")
    if out.differences:
        raise typer.Exit(1)
    console.print("[green]the rebuilt read model equals the live one[/]")
