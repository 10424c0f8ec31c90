"""How a `lianban` process ends: once the command is done, without interpreter finalization
when it used Temporal.

temporalio's Rust core runs its own threads (the tokio runtime under every client and worker)
that call back into Python, and there is no way to close a client or that runtime. A callback
that lands while the interpreter is finalizing aborts the process after its work is done and
its output printed (`Fatal Python error: PyGILState_Release … finalizing`, exit 134: seen once
after `lianban audit verify --all --temporal` printed OK; temporalio/sdk-python#300). Every
command closes what it opened first (the runner stops its workers, consumers and servers; the
CLI disposes its engines); then a process that loaded the Temporal bridge flushes what is
buffered (spans, log handlers, stdout, stderr) and leaves with the command's exit status via
`os._exit`, before any of those threads can run into a finalizing interpreter.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

BRIDGE = "temporalio.bridge.temporal_sdk_bridge"


def status_of(code: str | int | None) -> int:
    """The process status `sys.exit(code)` would give."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def run_cli(main: Callable[[], object]) -> None:
    """Run the command (`main` ends with SystemExit, as a Typer app does) and exit as above."""
    try:
        main()
        code: str | int | None = 0
    except SystemExit as exc:
        code = exc.code
    if BRIDGE not in sys.modules:
        sys.exit(code)  # no Temporal threads: the ordinary exit
    status = status_of(code)
    from infra import tracing

    tracing.flush()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(status)
