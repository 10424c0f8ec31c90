"""A process without the API does not load the API's stack: FastAPI's pages, the message
catalog and matplotlib cost a worker ~55 MB it never uses (bench.memory, docs/benchmarks.md).
Checked in a fresh interpreter, since this test session has imported everything already."""

from __future__ import annotations

import subprocess
import sys

PAGES_ONLY = ("fastapi", "matplotlib", "numpy", "babel", "jinja2", "segno", "entrypoints.http.app")


def test_the_runner_imports_no_pages() -> None:
    probe = (
        "import sys, entrypoints.runner; "
        f"print(','.join(m for m in {PAGES_ONLY!r} if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "", f"entrypoints.runner loads {found} at import"


def test_the_api_loads_matplotlib_only_for_a_chart() -> None:
    """matplotlib (with numpy and pyparsing) was ~0.6 s of every API process's start, for the
    charts only leaders and supervisors open; it loads on the first chart drawn instead."""
    probe = (
        "import sys, entrypoints.http.app; "
        "print(','.join(m for m in ('matplotlib', 'numpy') if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "", f"entrypoints.http.app loads {found} at import"
