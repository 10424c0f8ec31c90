"""Long work answered as NDJSON: a progress line as each unit is done, then the result.

`{"progress": {"done": n, "total": m}}` lines while it runs, and one last line: `{"result":
…}` (the body the plain request returns) or `{"error": "internal", "detail": …}` when the work
failed after it started. A refusal before any progress (403, 409, 422, …) is the usual error
response, since nothing has been sent yet.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

from fastapi.responses import StreamingResponse

from services.progress import Progress

T = TypeVar("T")
NDJSON = "application/x-ndjson"
log = logging.getLogger(__name__)

# The work goes on when the client hangs up: each unit is an action already under way.
_running: set[asyncio.Task[Any]] = set()


def _line(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode() + b"\n"


class _Reports:
    """The progress reports of one piece of work, as they come."""

    def __init__(self) -> None:
        self.latest: tuple[int, int] | None = None
        self.changed = asyncio.Event()

    def __call__(self, done: int, total: int) -> None:
        self.latest = (done, total)
        self.changed.set()

    async def next(self, task: asyncio.Task[Any]) -> tuple[int, int] | None:
        """The latest report not yet taken (waiting for one), or None once the work ended."""
        while self.latest is None and not task.done():
            self.changed.clear()
            waiting = asyncio.ensure_future(self.changed.wait())
            await asyncio.wait({waiting, task}, return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
        latest, self.latest = self.latest, None
        return latest


async def ndjson_progress(
    work: Callable[[Progress], Coroutine[Any, Any, T]], public: Callable[[T], Any]
) -> StreamingResponse:
    """Run `work(progress)` and stream its progress and `public(result)`; reports that come
    faster than they are sent are merged into the latest."""
    reports = _Reports()
    task = asyncio.create_task(work(reports))
    _running.add(task)
    task.add_done_callback(_running.discard)
    first = await reports.next(task)
    if first is None:
        task.result()  # refused before it started: raised here, answered as usual

    async def lines() -> AsyncIterator[bytes]:
        report = first
        while report is not None:
            yield _line({"progress": {"done": report[0], "total": report[1]}})
            report = await reports.next(task)
        try:
            yield _line({"result": public(task.result())})
        except Exception:  # already answered 200: the failure goes in the last line
            log.exception("streamed work failed")
            yield _line({"error": "internal", "detail": "the work failed; see the server's log"})

    return StreamingResponse(lines(), media_type=NDJSON)
