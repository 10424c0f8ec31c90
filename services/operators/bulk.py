"""Bulk actions on a filtered set of stalled cases, with a dry run listing what would change.

The set is the stalled list under the operator's filter, restricted to the reason the action
answers (remind → idle tasks, retry → retrying activities, …); every action in it goes through
the same single-case function, so each is checked and recorded on its case like any other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from infra.bootstrap import Deps
from services.errors import Refused
from services.operators import actions, redrive, runtime
from services.operators.action_log import OPERATOR_ROLES, ActionResult, Forbidden, Operator
from services.operators.stalled import find_stalled
from services.operators.stalled_model import StalledFilter, StalledItem
from services.progress import Progress, no_progress

# action -> the stalled reasons it answers (None: any reason; one action per case).
BULK_ACTIONS: dict[str, tuple[str, ...] | None] = {
    "remind": ("idle_task",),
    "retry_now": ("activity_retrying",),
    "pause_activity": ("activity_retrying",),
    "unpause_activity": ("activity_retrying",),
    "redrive": ("dead_letter",),
    "end_pause": ("pause_overdue",),
    "escalate": None,
}


@dataclass(frozen=True)
class Planned:
    case_id: str
    action: str
    target: str | None
    change: str


@dataclass
class BulkOutcome:
    dry_run: bool
    planned: list[Planned]
    done: list[ActionResult] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


def _plan_item(action: str, item: StalledItem) -> Planned:
    changes = {
        "remind": f"remind {item.department} of task {item.target}",
        "retry_now": f"retry activity {item.target} now (attempts reset, backoff skipped)",
        "pause_activity": f"pause activity {item.target}",
        "unpause_activity": f"unpause activity {item.target}",
        "redrive": f"re-drive dead letter {item.target}",
        "end_pause": f"end pause {item.target} today",
        "escalate": f"escalate to supervision ({item.reason}: {item.detail})",
    }
    target = None if action == "escalate" else item.target
    return Planned(item.case_id, action, target, changes[action])


async def plan(
    deps: Deps, action: str, filt: StalledFilter, *, now: datetime | None = None
) -> list[Planned]:
    """What `action` would do on the stalled cases matching `filt` (nothing is changed)."""
    if action not in BULK_ACTIONS:
        raise Refused(f"no bulk action {action!r}; known: {', '.join(BULK_ACTIONS)}")
    reasons = BULK_ACTIONS[action]
    if filt.reason and reasons and filt.reason not in reasons:
        raise Refused(f"{action} answers {', '.join(reasons)}, not {filt.reason}")
    items = await find_stalled(deps, filt, now=now)
    items = [i for i in items if reasons is None or i.reason in reasons]
    seen: set[tuple[str, str | None]] = set()
    planned = []
    for item in items:
        p = _plan_item(action, item)
        if (p.case_id, p.target) not in seen:
            seen.add((p.case_id, p.target))
            planned.append(p)
    return planned


def _runner(
    deps: Deps, op: Operator, reason: str, note: str | None
) -> dict[str, Callable[[Planned], Awaitable[ActionResult]]]:
    return {
        "remind": lambda p: actions.remind(
            deps, op, p.case_id, (p.target or "").rpartition(".")[2], reason
        ),
        "retry_now": lambda p: runtime.retry_now(deps, op, p.case_id, reason, p.target),
        "pause_activity": lambda p: runtime.pause_activity(deps, op, p.case_id, reason, p.target),
        "unpause_activity": lambda p: runtime.unpause_activity(
            deps, op, p.case_id, reason, p.target
        ),
        "redrive": lambda p: redrive.redrive(
            deps, op, p.case_id, reason, int(p.target) if p.target else None
        ),
        "end_pause": lambda p: actions.end_pause(deps, op, p.case_id, p.target or "", reason),
        "escalate": lambda p: actions.escalate(deps, op, p.case_id, note or reason, reason),
    }


async def run_bulk(
    deps: Deps,
    op: Operator,
    action: str,
    filt: StalledFilter,
    reason: str,
    *,
    dry_run: bool = True,
    note: str | None = None,
    progress: Progress = no_progress,
) -> BulkOutcome:
    """Plan, and unless `dry_run`, carry out the action on each planned target.

    `progress(done, total)` is told the number of planned targets (also on a dry run), then
    each one carried out, done or failed.
    """
    if op.role not in OPERATOR_ROLES:
        raise Forbidden(f"{op.actor} ({op.role}) may not run bulk actions: operator role needed")
    planned = await plan(deps, action, replace(filt))
    outcome = BulkOutcome(dry_run, planned)
    progress(0, len(planned))
    if dry_run:
        return outcome
    run = _runner(deps, op, reason, note)[action]
    for done, p in enumerate(planned, 1):
        try:
            outcome.done.append(await run(p))
        except Refused as exc:
            outcome.failed.append({"case_id": p.case_id, "target": p.target, "error": exc.detail})
        progress(done, len(planned))
    return outcome
