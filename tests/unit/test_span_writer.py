"""The span writer survives the database going away: a batch is retried, then dropped with an
error in the log, and the process goes on (the fault suite cuts every connection mid-run)."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy.exc import DBAPIError

from entrypoints import runner
from infra.bootstrap import Deps

ROWS = [{"span_id": "s1"}]


def _failing(times: int, calls: list[int]) -> Any:
    async def store(_sessions: Any, rows: list[dict[str, Any]]) -> None:
        if rows is not ROWS:  # another app's span writer in this process (the suite's)
            return
        calls.append(len(rows))
        if len(calls) <= times:
            raise DBAPIError("INSERT INTO spans", {}, Exception("connection was closed"))

    return store


async def test_a_cut_connection_is_retried_and_the_spans_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(runner, "store_spans", _failing(2, calls))
    await runner._store_spans(cast(Deps, SimpleNamespace(sessions=None)), ROWS, backoff=0)
    assert calls == [1, 1, 1]  # twice refused, stored the third time


async def test_a_database_that_stays_away_drops_the_batch_without_raising(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(runner, "store_spans", _failing(99, calls))
    with caplog.at_level(logging.WARNING, logger="lianban.runner"):
        await runner._store_spans(cast(Deps, SimpleNamespace(sessions=None)), ROWS, backoff=0)
    assert len(calls) == runner.SPAN_ATTEMPTS
    assert "dropped 1 spans" in caplog.text
