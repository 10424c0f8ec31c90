"""Department decisions from Kafka, a fetch at a time: one transaction for the whole batch.

`apply_decision` records one decision in a transaction of its own (about ten statements, one
head lock of the case's audit chain each). A fetch of the decisions topic holds many, often
several of one case, so here the new final decisions of a batch are recorded together: one read
of their cases, one insert of their rows, one update of their open tasks and one write of their
`DepartmentDecided` events (one head lock per case), then, once that is committed, their
signals side by side and one update marking them delivered.

What is not plainly new is left to `apply_decision`, one at a time and in order, after the
batch: a request for corrections, a decision for a case that is not open, a (case, department)
already decided (a redelivery, a conflicting second decision) or named twice in the batch, and
one refused before anything is written (its signature, no such case or department), which is
then dead-lettered alone with its reason. Anything else raised inside the batch rolls its
transaction back and the caller applies every record alone, so that one record is
dead-lettered by itself and the others are applied.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from events.contracts import DecisionMade, DecisionOutcome
from events.registry import Decoded
from infra import metrics, tracing
from infra.bootstrap import Deps
from infra.failpoints import failpoint
from services.departments.decisions import (
    OPEN_STATUSES,
    checked_case,
    decision_row,
    decision_signal,
    masked_decision,
    proof_of,
)
from services.departments.delivery import deliver_soon
from services.departments.signatures import Signed, check_signature
from services.errors import Refused
from services.unit_of_work import Decided, UnitOfWork, unit_of_work
from store.cases import CASE_WORKFLOW, workflow_type_of
from workflows.models import DecisionSignal


@dataclass
class _Item:
    index: int
    ev: Decoded
    d: DecisionMade
    signed: Signed | None

    @property
    def case_id(self) -> str:
        return self.ev.envelope.case_id

    @property
    def key(self) -> tuple[str, str]:
        return (self.case_id, self.d.department)


@dataclass
class _New:
    item: _Item
    case: dict[str, Any]
    signal: DecisionSignal
    span: trace.Span


async def apply_decisions(deps: Deps, events: Sequence[Decoded]) -> list[int]:
    """Apply a batch of decisions; the indexes of those left to apply one at a time, in
    order. Raises a transient error (the caller tries the batch again: what was committed is
    then a redelivery) or, should anything unforeseen go wrong, that (the caller applies each
    record alone: the transaction was rolled back, or what it committed is a redelivery)."""
    started = time.monotonic()
    items = [item for i, ev in enumerate(events) if (item := await _item(deps, i, ev))]
    new = await _record(deps, items)
    if metrics.enabled():  # DepartmentDecided is in, with the decision's row
        for n in new:
            if n.signal.recorded:
                metrics.DECISION_LATENCY.labels("kafka").observe(time.monotonic() - started)
    spans = [n.span for n in new]
    try:
        if new:  # the fault suite kills the consumer here: recorded and committed, no case told
            failpoint("decision.after_record")
    except BaseException:
        for span in spans:
            span.end()
        raise
    # Recorded and acknowledged: their cases are told without holding up the next fetch.
    await deliver_soon(deps, [(n.case, n.signal) for n in new], spans=spans)
    done = {n.item.index for n in new}
    return [i for i in range(len(events)) if i not in done]


async def _item(deps: Deps, index: int, ev: Decoded) -> _Item | None:
    """The decision ready for the batch; None for one refused (its signature, its type):
    left out, `apply_decision` refuses it alone and it is dead-lettered with the reason."""
    if not isinstance(ev.payload, DecisionMade):
        return None
    try:
        signed = await check_signature(deps, ev, ev.payload.department)
    except Refused:
        return None
    return _Item(index, ev, masked_decision(ev.payload), signed)


async def _record(deps: Deps, items: list[_Item]) -> list[_New]:
    """The new final decisions of open cases, recorded in one transaction; each with its
    span (ended by the caller) and the signal that tells its case."""
    if not items:
        return []
    async with unit_of_work(deps) as uow:
        cases = await uow.records.cases({i.case_id for i in items})
        decided = await uow.records.decided({i.key for i in items})
        valid = _plain_prefixes(deps, items, cases, decided)
        fresh = [_New(i, c, _signal(i), _span(i, c)) for i, c in valid]
        try:
            new = await _insert(deps, uow, fresh)
            await uow.commit()
        except BaseException:
            for n in fresh:
                n.span.end()
            raise
    taken = {id(n) for n in new}
    for n in fresh:
        if id(n) not in taken:  # decided meanwhile: `apply_decision` says how, alone
            n.span.end()
    return new


def _plain_prefixes(
    deps: Deps,
    items: list[_Item],
    cases: dict[str, dict[str, Any]],
    decided: set[tuple[str, str]],
) -> list[tuple[_Item, dict[str, Any]]]:
    """Of each case's records, in order, those before the first that is not a plain new final
    decision of an open case: from that one on, the case's records are applied alone, in
    order, so each sees what the ones before it did (as one at a time would). A record refused
    whatever came before (no such case or department) is left out without cutting."""
    twice = {k for k, n in Counter(i.key for i in items).items() if n > 1}
    cut: set[str] = set()
    taken = []
    for item in items:
        if item.case_id in cut:
            continue
        try:
            case = checked_case(deps, item.case_id, cases.get(item.case_id), item.d)
        except Refused:
            continue
        plain = (
            item.key not in twice
            and item.key not in decided
            and item.d.outcome is not DecisionOutcome.request_corrections
            and case["status"] in OPEN_STATUSES
        )
        if plain:
            taken.append((item, case))
        else:
            cut.add(item.case_id)
    return taken


def _signal(item: _Item) -> DecisionSignal:
    env = item.ev.envelope
    return decision_signal(item.d, str(env.event_id), env.occurred_at, conditions=item.d.conditions)


async def _insert(deps: Deps, uow: UnitOfWork, fresh: list[_New]) -> list[_New]:
    rows = [
        decision_row(deps, n.item.case_id, n.signal, n.item.d, "kafka", n.item.signed)
        for n in fresh
    ]
    inserted = await uow.records.add_decisions(rows)
    new = [n for n in fresh if n.item.key in inserted]
    ours = [n for n in new if workflow_type_of(n.case) == CASE_WORKFLOW]
    decided = await uow.records.decide_open_tasks(
        deps.topics.case_events,
        [Decided(n.item.case_id, n.signal, proof_of(n.item.signed), _tp(n)) for n in ours],
    )
    for n in new:
        n.signal = n.signal.model_copy(
            update={"recorded": f"{n.item.case_id}.{n.item.d.department}" in decided}
        )
    return new


def _tp(n: _New) -> str | None:
    return tracing.traceparent_of(n.span)


def _span(item: _Item, case: dict[str, Any]) -> trace.Span:
    """The decision's span in its case's trace, as `apply_decision` opens it."""
    return tracing.start_in_case(
        f"decision {item.d.department}",
        case["traceparent"],
        incoming=item.ev.envelope.traceparent,
        kind=SpanKind.CONSUMER,
        attributes={
            tracing.CASE_ATTR: item.case_id,
            "lianban.department": item.d.department,
            "lianban.outcome": item.d.outcome.value,
            "lianban.source": "kafka",
            "lianban.batch": True,
        },
    )
