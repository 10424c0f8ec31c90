"""A workflow that calls what workflow code must not (tests/workflows/test_workflow_runner.py).

A module of its own: the strict sandbox imports it afresh for each run, which it could not do
with a pytest module (rewritten assertions, the test's own imports)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime

from temporalio import workflow

# Each gives another value when the history is replayed. Looked up when called: the strict
# sandbox refuses even the attribute as it imports this module.
CALLS: dict[str, Callable[[], object]] = {
    "date.today": lambda: date.today(),
    "datetime.now": lambda: datetime.now(),
    "random.random": lambda: random.random(),
    "open": lambda: open(__file__).close(),
}


@workflow.defn(name="CallsOutside", failure_exception_types=[workflow.NondeterminismError])
class CallsOutside:
    """A refused call fails the workflow (not only its task, retried for ever), for the test."""

    @workflow.run
    async def run(self, call: str) -> str:
        CALLS[call]()
        return "went through"
