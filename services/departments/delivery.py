"""Delivering a recorded decision to its case, as durably as it was acknowledged.

The decision service commits a decision (row, decided task, `DepartmentDecided`) before it
signals the case workflow, and the department stops re-sending once it sees `DepartmentDecided`.
So nothing outside Lianban would bring a signal lost after that commit (the process killed,
Temporal frozen or down, the broker's copy of the record gone with a restart). The decisions
table keeps the delivery state instead (`store.deliveries`): a decision is delivered when a
signal call to its case returned (Temporal has it in the history) or its case has ended. Until
then a sweeper in every process signals it again, backing off; the stalled list and `audit
verify` report one undelivered past `LIANBAN_DECISION_UNDELIVERED_ALARM_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import trace
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.case_status import ENDED
from events.contracts import DecisionOutcome
from infra import periodic
from infra.bootstrap import Deps
from infra.transient import TRANSIENT
from services.unit_of_work import unit_of_work
from store import deliveries as store
from store.cases import CASE_WORKFLOW, OLD_CASE_WORKFLOW, workflow_type_of
from workflows.case import CaseWorkflow
from workflows.legacy import child_id, review_decide
from workflows.models import DecisionSignal

log = logging.getLogger("lianban.delivery")
# A frozen Temporal holds a call without answering: bounded, it fails and is tried again.
SIGNAL_TIMEOUT = timedelta(seconds=10)
BACKOFF_CAP = 300.0  # seconds between a sweeper's attempts at one decision, at most
SWEEP_BATCH = 100
# What makes a sweeper's attempt fail and leaves the decision to its next one.
SWEEP_FAILURES: tuple[type[Exception], ...] = (*TRANSIENT, RuntimeError)


async def signal_case(
    client: Client,
    case_id: str,
    signal: DecisionSignal,
    *,
    workflow_type: str = CASE_WORKFLOW,
    via_case: bool = False,
) -> bool:
    """Signal the decision to its case; False when the workflow does not exist or has closed.

    Every decision goes to the case workflow (`CaseWorkflow`): its reviews run inside it, so
    that is one hop. A case in the first shape (`workflows.legacy`, started before
    `CaseWorkflow`) still gets a final decision straight at the department's review (its child
    workflow): one hop, where the way through the case costs it two more workflow tasks and
    three history events. Before that review has started (a decision can overtake its task) or
    after it has ended (a redelivery), the case itself takes the decision: it buffers or ignores
    it. Requests for corrections, and a decision that ends a wait for them (`via_case`), go to
    the case, whose clock pauses and resumes at that moment."""
    if (
        workflow_type == OLD_CASE_WORKFLOW
        and signal.outcome is not DecisionOutcome.request_corrections
        and not via_case
    ):
        review = client.get_workflow_handle(child_id(case_id, signal.department))
        decide = review.signal(review_decide, signal, rpc_timeout=SIGNAL_TIMEOUT)
        if await _try_signal(decide):
            return True
    case = client.get_workflow_handle(case_id)
    return await _try_signal(case.signal(CaseWorkflow.decide, signal, rpc_timeout=SIGNAL_TIMEOUT))


async def _try_signal(call: Awaitable[None]) -> bool:
    try:
        await call
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise
        return False
    return True


async def awaits_corrections(deps: Deps, case_id: str, department: str) -> bool:
    async with unit_of_work(deps) as uow:
        task = await uow.records.task(f"{case_id}.{department}")
    return task is not None and task["status"] == "corrections_requested"


async def deliver(deps: Deps, case: Mapping[str, Any], signal: DecisionSignal) -> bool:
    """Signal a recorded final decision to its case and mark it delivered; False when it is
    still undelivered (the workflow not found while the case is open: a sweeper tries again).
    Raises what the signal raises when Temporal cannot be reached."""
    told = await _tell(deps, case, signal)
    return await _mark(deps, case["case_id"], signal, told)


async def _tell(deps: Deps, case: Mapping[str, Any], signal: DecisionSignal) -> bool:
    assert deps.temporal is not None
    case_id, shape = case["case_id"], workflow_type_of(dict(case))
    # Only the first shape sends decisions past the case; skip the lookup otherwise.
    via_case = shape == OLD_CASE_WORKFLOW and await awaits_corrections(
        deps, case_id, signal.department
    )
    return await signal_case(deps.temporal, case_id, signal, workflow_type=shape, via_case=via_case)


async def _mark(deps: Deps, case_id: str, signal: DecisionSignal, told: bool) -> bool:
    async with unit_of_work(deps) as uow:
        if not told:
            # NOT_FOUND: a case that has ended has nothing left to tell; one still open must
            # get it once its workflow answers.
            now_case = await uow.records.case(case_id)
            if now_case is None or now_case["status"] not in ENDED:
                log.warning("%s: no workflow took %s's decision yet", case_id, signal.department)
                return False
        await uow.records.mark_delivered([(case_id, signal.department, signal.event_id)], _now())
        await uow.commit()
    return True


async def deliver_all(
    deps: Deps,
    items: Sequence[tuple[Mapping[str, Any], DecisionSignal]],
    *,
    spans: Sequence[trace.Span] | None = None,
) -> None:
    """`deliver` for the decisions of one batch: signalled side by side, the ones told marked
    delivered in one statement. Raises the first error a signal raised (Temporal away) once
    those told are marked; the others stay undelivered (the consumer tries the batch again,
    the sweeper after the grace)."""
    for _, error in await _attempt(deps, items, spans):
        raise error


async def _attempt(
    deps: Deps,
    items: Sequence[tuple[Mapping[str, Any], DecisionSignal]],
    spans: Sequence[trace.Span] | None,
) -> list[tuple[int, BaseException]]:
    """One attempt of `deliver_all`: the decisions whose signal raised (their indexes in
    `items`, with what each raised), in order; the others are marked as `deliver` does.
    Raises what marking them raised."""

    async def tell(i: int) -> bool:
        case, signal = items[i]
        if spans is None:
            return await _tell(deps, case, signal)
        with trace.use_span(spans[i], end_on_exit=False):  # the signal carries its trace
            return await _tell(deps, case, signal)

    told = await asyncio.gather(*(tell(i) for i in range(len(items))), return_exceptions=True)
    done = [(case["case_id"], signal) for case, signal in items]
    marked = [
        (c, s.department, s.event_id) for (c, s), ok in zip(done, told, strict=True) if ok is True
    ]
    if marked:
        async with unit_of_work(deps) as uow:
            await uow.records.mark_delivered(marked, _now())
            await uow.commit()
    for (case_id, signal), ok in zip(done, told, strict=True):
        if ok is False:  # NOT_FOUND: as `deliver` does it
            await _mark(deps, case_id, signal, False)
    return [(i, ok) for i, ok in enumerate(told) if isinstance(ok, BaseException)]


async def deliver_soon(
    deps: Deps,
    items: Sequence[tuple[Mapping[str, Any], DecisionSignal]],
    *,
    spans: Sequence[trace.Span] = (),
) -> None:
    """`deliver_all` without making the caller wait, where the process has a `Background`
    (the decisions consumer: the decisions are recorded and acknowledged, and telling their
    cases need not hold up the next ones); else at once, raising as `deliver_all` does.

    In the background a transient failure (Temporal away or frozen) is tried again, 0.2 s,
    then twice as long each time up to 10 s, until it succeeds or the process stops; what is
    then still undelivered, the delivery sweeper of any process signals later. Ends `spans`
    once done (the decisions' spans, which the signals carry). A repeated attempt signals
    only the decisions whose signal failed: those told are marked delivered and left alone,
    and so are those whose workflow was not found (left to the sweeper, as after a first
    attempt). Only when marking the told ones failed (the database away) is the attempt
    repeated whole; the case ignores a decision it has (by event id)."""
    if not items:  # a fetch with nothing new: no task for it
        _end(spans)
        return
    if deps.background is None:
        try:
            await deliver_all(deps, items, spans=spans or None)
        finally:
            _end(spans)
        return
    try:
        await deps.background.start(lambda: _until_delivered(deps, items, spans), "deliver")
    except BaseException:
        _end(spans)
        raise


async def _until_delivered(
    deps: Deps,
    items: Sequence[tuple[Mapping[str, Any], DecisionSignal]],
    spans: Sequence[trace.Span],
) -> None:
    delay = 0.2
    left = list(range(len(items)))  # the decisions of `items` not yet told
    try:
        while True:
            try:
                failed = await _attempt(
                    deps, [items[i] for i in left], [spans[i] for i in left] if spans else None
                )
            except TRANSIENT as exc:  # marking those told failed: all of `left` again
                error: BaseException = exc
            else:
                if not failed:
                    return
                left = [left[j] for j, _ in failed]
                error = failed[0][1]
                if not isinstance(error, TRANSIENT):
                    raise error
            log.warning(
                "%d decision(s) not delivered yet (%r); trying again in %.1f s",
                len(left),
                error,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
    finally:
        _end(spans)


def _end(spans: Sequence[trace.Span]) -> None:
    for span in spans:
        span.end()


def _now() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int, base: float) -> float:
    """Seconds until the next attempt after `attempts` failed ones: doubling from `base`, at
    most `BACKOFF_CAP`, each drawn from its upper half so that processes and decisions that
    failed together do not all try again at the same instant."""
    ceiling = min(BACKOFF_CAP, base * 2 ** min(attempts, 16))
    return random.uniform(ceiling / 2, ceiling)


async def signal_of(
    deps: Deps, row: Mapping[str, Any], workflow_type: str | None
) -> DecisionSignal:
    """The signal a stored decision was (or would have been) delivered with."""
    recorded = False
    if workflow_type_of({"workflow_type": workflow_type}) == CASE_WORKFLOW:
        async with unit_of_work(deps) as uow:
            recorded = await uow.records.decided_event_written(row["case_id"], row["department"])
    return stored_signal(row, recorded)


def stored_signal(row: Mapping[Any, Any], recorded: bool = False) -> DecisionSignal:
    """The signal of a stored decision (a `decisions` row), with the decision's own time: what
    the sweeper delivers and what an operator's reset delivers again."""
    return DecisionSignal(
        event_id=row["event_id"],
        department=row["department"],
        outcome=row["outcome"],
        reasons=list(row["reasons"]),
        conditions=list(row["conditions"]),
        reviewer=row["reviewer"],
        decided_at=row.get("decided_at") or row["received_at"],
        recorded=recorded,
    )


async def sweep(deps: Deps, *, now: datetime | None = None) -> int:
    """Signal again every decision due for it (one batch); the number delivered now."""
    now = now or _now()
    async with deps.sessions() as s:
        rows = await store.due(s, now, SWEEP_BATCH)
    base = deps.settings.decision_redeliver_after_seconds
    delivered = 0
    for row in rows:
        async with deps.sessions() as s, s.begin():
            later = now + timedelta(seconds=backoff(row.attempts, base))
            if not await store.claim(s, row, later):
                continue  # another process took this attempt
        fields = row.__dict__
        case = {"case_id": row.case_id, "workflow_type": row.workflow_type}
        try:
            signal = await signal_of(deps, fields, row.workflow_type)
            if await deliver(deps, case, signal):
                delivered += 1
                log.warning(
                    "%s: %s's decision %s delivered by the sweeper (attempt %d)",
                    row.case_id,
                    row.department,
                    row.event_id,
                    row.attempts + 1,
                )
        except SWEEP_FAILURES as exc:
            log.warning(
                "%s: %s's decision %s not delivered (attempt %d): %r; next at %s",
                row.case_id,
                row.department,
                row.event_id,
                row.attempts + 1,
                exc,
                later.isoformat(timespec="seconds"),
            )
    return delivered


async def run_sweeper(deps: Deps, stop: asyncio.Event) -> None:
    """Every `decision_sweep_seconds`, deliver what is due. Every process with a Temporal client
    runs one: each attempt is claimed by a conditional update, so only one process makes it."""
    every = deps.settings.decision_sweep_seconds
    await periodic.every(
        every, stop, lambda: sweep(deps), log, "the decision delivery sweep failed"
    )
