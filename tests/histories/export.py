"""Export the Temporal histories of finished cases into tests/histories/, for the replay test.

    .venv/bin/python -m tests.histories.export

Runs real cases — granted, refused, not accepted, withdrawn, pre-reviewed at the window, and
one with a pause, an extension, a department's request for corrections and every warning —
with the current workflow code on a fresh time-skipping server and SQLite, and writes each
case's history (`<scenario>.json`, the format of `temporal workflow show --output json`) and,
for cases of the first shape, its department reviews' (`<scenario>.review-<dept>.json`;
`CaseWorkflow` runs them inside the case, so there are none) into a folder named after the workflow
code (a digest of workflows/**/*.py). Histories of older code stay: they stand for cases still
running on it. Re-run it after a deliberate, patched change to the workflows; with unchanged
code it rewrites the same folder. It prints the folder's row for MANIFEST.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from infra.bootstrap import Deps
from tests.conftest import venv_bin
from tests.histories.manifest import recorded_patches
from tests.utils import audit_cases
from tests.utils.audit_env import audited_deps
from workflows.legacy import child_id

HERE = Path(__file__).parent
WORKFLOWS = HERE.parents[1] / "workflows"


def code_version() -> str:
    """A digest of the workflow code: histories are kept per version of it."""
    digest = hashlib.sha256()
    for path in sorted(WORKFLOWS.rglob("*.py")):
        name = path.relative_to(WORKFLOWS).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def scenarios(env: WorkflowEnvironment) -> dict[str, Callable[[Deps], Awaitable[str]]]:
    async def prereview(deps: Deps) -> str:
        return await audit_cases.prereview_case(deps, await env.get_current_time())

    return {
        "granted": lambda d: audit_cases.run_case(d, conditional=["env"]),
        "refused": lambda d: audit_cases.run_case(d, reject=["fire"]),
        "not_accepted": audit_cases.not_accepted_case,
        "withdrawn": audit_cases.withdrawn_case,
        "prereview": prereview,
        "clocks": lambda d: audit_cases.case_with_everything(d, env.sleep),
    }


async def _write(client: Client, workflow_id: str, path: Path) -> bool:
    try:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
    except RPCError:
        return False  # e.g. no review was started for a case not accepted
    # Pretty-printed so a diff of a re-export is readable.
    text = json.dumps(json.loads(history.to_json()), indent=1) + "\n"
    await asyncio.to_thread(path.write_text, text, "utf-8")
    return True


async def export(out: Path) -> list[Path]:
    """Run every scenario and write its histories under `out`; returns the files written."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=venv_bin("temporal-test-server"),
    )
    written: list[Path] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with audited_deps("sqlite", env, Path(tmp)) as deps:
                for name, run in scenarios(env).items():
                    case_id = await run(deps)
                    files = {case_id: out / f"{name}.json"}
                    for dept in ("samr", "fire", "env", "health"):
                        files[child_id(case_id, dept)] = out / f"{name}.review-{dept}.json"
                    for workflow_id, path in files.items():
                        if await _write(env.client, workflow_id, path):
                            written.append(path)
    finally:
        await env.shutdown()
    return written


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / code_version()
    out.mkdir(parents=True, exist_ok=True)
    written = asyncio.run(export(out))
    print(f"wrote {len(written)} histories to {out}")
    patches = ", ".join(f"`{p}`" for p in sorted(recorded_patches(written))) or "none"
    print("its MANIFEST.md row (fill in the commit and what changed):")
    print(f"| `{out.name}` | <commit> | <commit> | {patches} | <what changed> |")


if __name__ == "__main__":
    main()
