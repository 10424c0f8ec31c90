"""Submissions from Kafka, a fetch at a time: one transaction for the whole batch.

`handle_submission` stores one case in a transaction of its own, then starts its workflow. A
fetch of the submissions topic holds many, so here they are taken together: one read of their
cases and of their first submissions' event ids, the new cases stored with one insert of their
rows and one of their log entries (one audit head each), the acknowledgements of the
submissions seen before asked again with one read and one update; once that is committed, each
case's workflow is started, side by side. Committed before started, as one at a time: a
workflow reads its stored case, and a start that does not happen (the process killed, Temporal
away) happens when the record comes again, which finds the case stored and starts it.

Only each case's first record goes in the batch, and only when it is a new case or the
submission that stored its case (the API stores a case before it puts its submission on the
topic; a redelivery). The rest is left to `handle_submission`, one at a time and in order,
after the batch: a case's later records (the same event again applies once; another event id
is refused, `duplicate_case`), a submission for a case stored by another event, one the library
refuses (`material_refused`) and one of another type: each is then applied or dead-lettered
alone with its reason. Anything raised inside the batch makes the caller apply every record
alone: the transaction was rolled back, or what it committed is then a redelivery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from events.contracts import ApplicationSubmitted
from events.registry import Decoded
from infra.bootstrap import Deps
from infra.failpoints import failpoint
from services.unit_of_work import Resend, unit_of_work
from services.window.intake import ACKNOWLEDGEMENTS, NewSubmission, new_query_code, start_case


async def apply_submissions(deps: Deps, events: Sequence[Decoded]) -> list[int]:
    """Apply a batch of submissions; the indexes of those left to apply one at a time, in
    order. Raises what a workflow start raised once every start is done (Temporal away: the
    caller tries the batch again, which finds the cases stored and starts them)."""
    firsts: dict[str, tuple[int, Decoded]] = {}
    for i, ev in enumerate(events):
        if isinstance(ev.payload, ApplicationSubmitted):
            firsts.setdefault(ev.envelope.case_id, (i, ev))
    if not firsts:
        return list(range(len(events)))
    async with unit_of_work(deps) as uow:
        known = await uow.records.cases(firsts.keys())
        submitted = await uow.records.submission_event_ids(known.keys()) if known else {}
        new = [
            NewSubmission(ev.envelope, ev.payload, ev.payload.query_code or new_query_code())
            for case_id, (_, ev) in firsts.items()
            if case_id not in known and isinstance(ev.payload, ApplicationSubmitted)
        ]
        stored = await uow.records.store_submissions(deps, new)
        # Stored before by this very submission: a portal re-sends until it sees the answer.
        again = [c for c in known if submitted.get(c) == str(firsts[c][1].envelope.event_id)]
        await uow.records.resend(Resend.acknowledgement(deps, again, ACKNOWLEDGEMENTS, {}))
        cases = {c: known[c] for c in again} | await uow.records.cases(stored)
        await uow.commit()  # wakes the relay for the re-sent answers
    if stored:  # the fault suite kills the consumer here: stored and committed, none started
        failpoint("submission.after_record")
    await _start_all(deps, [(firsts[c][1], case) for c, case in cases.items()])
    done = {firsts[c][0] for c in cases}
    return [i for i in range(len(events)) if i not in done]


async def _start_all(deps: Deps, started: list[tuple[Decoded, dict[str, Any]]]) -> None:
    """Each case's workflow started, side by side; the first error raised once all are done."""

    async def start(ev: Decoded, case: dict[str, Any]) -> bool:
        assert isinstance(ev.payload, ApplicationSubmitted)
        return await start_case(deps, ev.envelope, ev.payload, case)

    outcomes = await asyncio.gather(
        *(start(ev, case) for ev, case in started), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
