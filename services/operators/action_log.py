"""Who may act, and the record of every action; refused attempts go to the security log.

An action is recorded as an `OperatorActionRecorded` case event through `store.records.publish`
— so it lands in the case log (the timeline), the outbox and the audit chain — and as a row in
`operator_actions`, which the stalled list reads ("a warning with no follow-up").
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from events.contracts import OperatorActionRecorded
from events.registry import make_envelope
from infra.bootstrap import Deps
from services.errors import Refused, UnknownCase
from store.records import publish
from store.schema import cases, operator_actions
from store.security import recent_refusals, record_refusal

OPERATOR_ROLES = frozenset({"operator", "admin"})
PRODUCER = "lianban-operations"


class Forbidden(Refused, code="forbidden", http_status=403): ...


class ReasonRequired(Refused, code="reason_required", http_status=422): ...


@dataclass(frozen=True)
class Operator:
    """The person acting, as authenticated by the caller (API token, CLI login)."""

    actor: str
    role: str


@dataclass
class ActionResult:
    case_id: str
    action: str
    target: str | None
    result: str
    detail: dict[str, Any] = field(default_factory=dict)


async def record_action(
    deps: Deps, op: Operator, case_id: str, action: str, reason: str, **extra: Any
) -> None:
    """Append the action to the case's log and to `operator_actions`, in one transaction."""
    # What the event and the `operator_actions` row both say.
    said = {
        "action": action,
        "actor": op.actor,
        "role": op.role,
        "reason": reason,
        "target": extra.get("target"),
        "result": extra.get("result", "done"),
    }
    payload = OperatorActionRecorded(**said, detail=extra.get("detail") or {})
    envelope = make_envelope(payload, case_id=case_id, producer=PRODUCER, event_id=uuid.uuid4())
    async with deps.sessions() as s, s.begin():
        level = await s.scalar(sa.select(cases.c.warning_level).where(cases.c.case_id == case_id))
        await s.execute(
            sa.insert(operator_actions).values(
                case_id=case_id,
                **said,
                warning_level=level or "none",
                created_at=datetime.now(UTC),
            )
        )
        await publish(s, envelope, deps.topics.case_events)


async def refuse(
    deps: Deps,
    op: Operator,
    route: str,
    reason: str,
    *,
    source: str | None = None,
    case_id: str | None = None,
) -> None:
    """Write a refused attempt to the security log (never to a case's audit chain)."""
    async with deps.sessions() as s, s.begin():
        await record_refusal(
            s,
            role=op.role,
            subject=op.actor,
            route=route,
            reason=reason,
            source=source,
            case_id=case_id,
        )


async def list_refusals(deps: Deps, limit: int = 100) -> list[dict[str, Any]]:
    async with deps.sessions() as s:
        return await recent_refusals(s, limit)


async def _case_exists(deps: Deps, case_id: str) -> bool:
    async with deps.sessions() as s:
        found = await s.scalar(sa.select(cases.c.case_id).where(cases.c.case_id == case_id))
    return found is not None


async def perform(
    deps: Deps,
    op: Operator,
    case_id: str,
    action: str,
    reason: str,
    run: Callable[[], Awaitable[dict[str, Any]]],
    target: str | None = None,
) -> ActionResult:
    """Check the role and the reason, run the action, record what happened.

    Raises:
        Forbidden: The caller is not an operator (the attempt goes to the security log).
        ReasonRequired: No reason was given.
        UnknownCase: No such case.
        Refused: The action itself was refused (recorded as failed).
    """
    if op.role not in OPERATOR_ROLES:
        # Before looking the case up: the same 403 whether it exists or not; the attempt goes
        # to the security log, not onto the case's record.
        await refuse(deps, op, f"ops:{action}", "the operator role is needed", case_id=case_id)
        raise Forbidden(f"{op.actor} ({op.role}) may not {action}: the operator role is needed")
    if not await _case_exists(deps, case_id):
        raise UnknownCase(f"no case {case_id!r}")
    if not reason or not reason.strip():
        raise ReasonRequired(f"{action} needs a reason; it goes on the case's record")
    try:
        detail = await run()
    except Refused as exc:
        failed = {"error": exc.code, "detail": exc.detail}
        await record_action(
            deps, op, case_id, action, reason, target=target, result="failed", detail=failed
        )
        raise
    await record_action(deps, op, case_id, action, reason, target=target, detail=detail)
    return ActionResult(case_id, action, target, "done", detail)
