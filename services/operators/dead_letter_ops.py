"""Dead letters of every kind, for operators: list them with filters, re-drive one, or discard
one with a reason.

A dead letter whose case exists is acted on through `action_log.perform`, so the action is on
the case's record like any other (and the stalled list sees it). Every action, with or without
a case, is also a row in `dead_letter_actions`: a malformed record with no case number, or a
decision for a case that does not exist, has no case record to carry it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from infra.bootstrap import Deps
from services.errors import Refused
from services.operators import redrive as redriving
from services.operators.action_log import (
    OPERATOR_ROLES,
    ActionResult,
    Forbidden,
    Operator,
    ReasonRequired,
    perform,
    refuse,
)
from services.operators.deadletters import excerpt
from services.operators.runtime import NothingToDo
from services.reads import one_or_refuse
from store import dead_letter_queries as q
from store.dead_letter_queries import CASE_FILTERS, STATES, DeadLetterFilter
from store.schema import dead_letter_actions, dead_letters
from store.sealing import Keyring

# A record over the size limit is kept as an excerpt only, and bytes that are not JSON never
# will be: neither can ever be applied (each is still re-drivable over the API, and refused).
NEVER_REDRIVABLE = frozenset({"too_large", "malformed_json"})


class UnknownDeadLetter(Refused, code="unknown_dead_letter", http_status=404):
    """No dead letter with this id."""


def _check(filt: DeadLetterFilter) -> None:
    if filt.state not in STATES:
        raise Refused(f"no state {filt.state!r}; known: {', '.join(STATES)}")
    if filt.case not in CASE_FILTERS:
        raise Refused(f"no case filter {filt.case!r}; known: {', '.join(CASE_FILTERS)}")


@dataclass
class DeadLetterList:
    items: list[dict[str, Any]]
    pending_by_error: dict[str, int] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    next_before: int | None = None  # set when older ones follow


def _state(row: dict[str, Any]) -> str:
    if row["discarded_at"] is not None:
        return "discarded"
    return "redriven" if row["redriven_at"] is not None else "pending"


def _item(row: dict[str, Any], last: dict[str, Any] | None, keyring: Keyring) -> dict[str, Any]:
    return {
        **{k: v for k, v in row.items() if k not in ("raw", "raw_kid", "headers")},
        "state": _state(row),
        "excerpt": excerpt(row, keyring),
        "redrivable": row["error"] not in NEVER_REDRIVABLE,
        "last_action": last,
    }


async def list_dead_letters(deps: Deps, filt: DeadLetterFilter) -> DeadLetterList:
    """The dead letters the filter selects, newest first, a page at a time; the counts of
    pending ones by error and the topics seen, for the filters."""
    _check(filt)
    async with deps.sessions() as s:
        rows = await q.dead_letter_page(s, filt, limit=filt.limit + 1)
        counts = await q.pending_by_error(s)
        topics = await q.topics(s)
        last = await q.last_actions(s, [r["id"] for r in rows[: filt.limit]])
    more = len(rows) > filt.limit
    rows = rows[: filt.limit]
    return DeadLetterList(
        [_item(r, last.get(r["id"]), deps.keyring) for r in rows],
        counts,
        topics,
        rows[-1]["id"] if more and rows else None,
    )


async def _row(deps: Deps, dead_letter_id: int) -> dict[str, Any]:
    missing = UnknownDeadLetter(f"no dead letter {dead_letter_id}")
    return await one_or_refuse(deps, lambda s: q.dead_letter(s, dead_letter_id), missing)


async def _record(
    deps: Deps,
    op: Operator,
    row: dict[str, Any],
    action: str,
    reason: str,
    result: str,
    detail: str,
) -> None:
    async with deps.sessions() as s, s.begin():
        await s.execute(
            sa.insert(dead_letter_actions).values(
                dead_letter_id=row["id"],
                case_id=row["case_id"],
                action=action,
                actor=op.actor,
                role=op.role,
                reason=reason,
                result=result,
                detail=detail[:2000],
                created_at=datetime.now(UTC),
            )
        )


async def _checked(deps: Deps, op: Operator, action: str, reason: str, dead_letter_id: int) -> None:
    if op.role not in OPERATOR_ROLES:
        await refuse(deps, op, f"ops:{action}", "the operator role is needed")
        raise Forbidden(f"{op.actor} ({op.role}) may not {action}: the operator role is needed")
    if not reason or not reason.strip():
        raise ReasonRequired(f"{action} of dead letter {dead_letter_id} needs a reason")


async def _act(
    deps: Deps,
    op: Operator,
    dead_letter_id: int,
    action: str,
    reason: str,
    run: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
) -> ActionResult:
    """Check, run on the case's record when the case exists (else on the dead letter's only),
    and keep the attempt in `dead_letter_actions` either way."""
    await _checked(deps, op, action, reason, dead_letter_id)
    row = await _row(deps, dead_letter_id)
    case_id = row["case_id"]
    async with deps.sessions() as s:
        on_case = bool(case_id) and await q.case_exists(s, case_id)
    try:
        if on_case:
            result = await perform(
                deps, op, case_id, action, reason, lambda: run(row), target=str(row["id"])
            )
        else:
            result = ActionResult(case_id or "", action, str(row["id"]), "done", await run(row))
    except Refused as exc:
        await _record(deps, op, row, action, reason, "failed", f"{exc.code}: {exc.detail}")
        raise
    await _record(deps, op, row, action, reason, "done", str(result.detail))
    return result


async def redrive_dead_letter(
    deps: Deps, op: Operator, dead_letter_id: int, reason: str
) -> ActionResult:
    """Apply the dead letter again through the consumer's own handler (its signature checked
    again); refused again while its cause is not fixed, and then it stays pending."""

    async def run(row: dict[str, Any]) -> dict[str, Any]:
        if _state(row) != "pending":
            raise NothingToDo(f"dead letter {row['id']} is already {_state(row)}")
        how = await redriving.apply(deps, row)
        await redriving.mark(deps, row["id"])
        return {"dead_letter_id": row["id"], "error": row["error"], "result": how}

    return await _act(deps, op, dead_letter_id, "dead_letter_redrive", reason, run)


async def discard_dead_letter(
    deps: Deps, op: Operator, dead_letter_id: int, reason: str
) -> ActionResult:
    """Give up on a dead letter that can never apply (unsigned, malformed, a duplicate…): it
    leaves the pending list and no longer holds its case in the stalled list."""

    async def run(row: dict[str, Any]) -> dict[str, Any]:
        async with deps.sessions() as s, s.begin():
            changed = await s.execute(
                sa.update(dead_letters)
                .where(
                    dead_letters.c.id == row["id"],
                    dead_letters.c.redriven_at.is_(None),
                    dead_letters.c.discarded_at.is_(None),
                )
                .values(discarded_at=datetime.now(UTC))
            )
        if not getattr(changed, "rowcount", 0):
            raise NothingToDo(f"dead letter {row['id']} is no longer pending")
        return {"dead_letter_id": row["id"], "error": row["error"]}

    return await _act(deps, op, dead_letter_id, "dead_letter_discard", reason, run)
