"""`lianban serve` runs on the event loop LIANBAN_EVENT_LOOP names (entrypoints/cli/serving.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvloop

from entrypoints.cli import serving
from entrypoints.devstack import server
from infra.settings import Settings


@pytest.mark.parametrize(
    ("name", "loop"), [("asyncio", asyncio.BaseEventLoop), ("uvloop", uvloop.Loop)]
)
def test_serve_runs_on_the_loop_the_setting_names(
    name: str, loop: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []

    async def run_forever(*_: Any, **__: Any) -> None:
        seen.append(asyncio.get_running_loop())

    monkeypatch.setattr(server, "run_forever", run_forever)
    settings = Settings(event_loop=name, log_format="text")  # type: ignore[arg-type]
    serving._run(object(), embedded=False, settings=settings)
    assert isinstance(seen[0], loop)
    assert name == "uvloop" or not isinstance(seen[0], uvloop.Loop)
