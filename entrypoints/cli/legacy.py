"""`lianban ops legacy`: how many cases still run the case's first shape (`workflows.legacy`).

The platform team runs it where the worker runs: unlike the other `ops` commands it reads
Temporal (the configured `LIANBAN_TEMPORAL_ADDRESS`) and the database directly, not the API.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from infra.bootstrap import bootstrap
from infra.settings import get_settings
from services.operators.legacy import LegacyReport, legacy_report

console = Console()


async def _report() -> LegacyReport:
    deps = await bootstrap(get_settings())
    try:
        return await legacy_report(deps)
    finally:
        await deps.close()


def legacy(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Cases still in the first shape (JointApprovalWorkflow): running, closed but kept.

    Exit status 0 once nothing of it is left (the shape can be retired), 1 while some is."""
    report = asyncio.run(_report())
    if as_json:
        doc = {**asdict(report), "retirable": report.retirable}
        console.print_json(json.dumps(doc))
    else:
        table = Table("workflow type", "running", "closed, kept by Temporal")
        for c in report.counts:
            table.add_row(c.workflow_type, str(c.running), str(c.closed_kept))
        console.print(table)
        console.print(f"{report.open_cases} open case(s) of the first shape in the read model")
        verdict = "can be retired" if report.retirable else "cannot be retired yet"
        console.print(f"the first shape {verdict} (workflows/legacy/__init__.py)")
    raise typer.Exit(0 if report.retirable else 1)
