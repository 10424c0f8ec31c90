"""The government head's extensions (ALL Art. 42 ¶2): which running joint cases may need the
one extension of +15 working days, granting it, and the extensions granted so far.

Granting goes through the same workflow update as `POST /cases/{id}/extension`
(:mod:`services.departments.clocks`): the workflow's own check has the last word.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import sqlalchemy as sa

from domain.calendar import WorkingCalendar
from domain.case_clocks import CHINA
from domain.extension_queue import Standing, near_until, standing
from infra.bootstrap import Deps
from infra.tokens import Principal
from services.departments import clocks
from services.departments.inbox import calendar_in_force
from services.errors import Refused, UnknownCase
from services.leaders.reports import today_local
from store import extensions as store
from store.schema import cases
from workflows.models import ClockView, ExtensionRequest

View = Literal["attention", "all"]
ROWS = 500  # cases listed; the page says when there are more
APPROVER_ROLE = "government_head"


class NotJoint(Refused, code="not_joint", http_status=409): ...


class AlreadyExtended(Refused, code="already_extended", http_status=409): ...


@dataclass(frozen=True)
class Candidate:
    case_id: str
    matter_code: str
    matter_name: str
    title: str
    warning_level: str
    statutory_due: date | None
    provisional: bool
    paused: bool
    open_departments: list[str]
    clock: Standing


@dataclass(frozen=True)
class Granted:
    case_id: str
    matter_code: str
    status: str
    statutory_due: date | None
    approver: str
    reason: str
    days: int
    granted_at: datetime  # Asia/Shanghai


def _joint(deps: Deps) -> dict[str, Any]:
    return {m.code: m for m in deps.catalog.matters if m.joint}


def _candidate(
    row: dict[str, Any], matter: Any, departments: list[str], cal: WorkingCalendar, today: date
) -> Candidate:
    due = row["statutory_due"]
    return Candidate(
        case_id=row["case_id"],
        matter_code=row["matter_code"],
        matter_name=matter.name,
        title=row["title"],
        warning_level=row["warning_level"],
        statutory_due=due,
        provisional=bool(row["provisional"]) or (due is not None and not cal.covers(due)),
        paused=bool(row["paused"]),
        open_departments=departments,
        clock=standing(cal, today, due, matter.statutory_days, row["extension_days"]),
    )


async def candidates(
    deps: Deps, view: View = "attention", today: date | None = None
) -> list[Candidate]:
    """Running joint cases with no extension yet, soonest statutory due first. `attention`:
    those at yellow, red or breach, or with `extension_near_days` working days left or fewer."""
    today = today or today_local()
    cal = calendar_in_force(deps)
    joint = _joint(deps)
    due_by = near_until(cal, today, deps.settings.extension_near_days)
    async with deps.sessions() as s:
        rows = await store.unextended_joint_cases(
            s, joint, due_by if view == "attention" else None, ROWS
        )
        open_by_case = await store.open_departments(s, [r["case_id"] for r in rows])
    return [
        _candidate(r, joint[r["matter_code"]], open_by_case.get(r["case_id"], []), cal, today)
        for r in rows
    ]


async def granted(deps: Deps, limit: int = 100) -> list[Granted]:
    """The extensions granted on joint cases, most recent first."""
    async with deps.sessions() as s:
        rows = await store.granted_extensions(s, _joint(deps), limit)
    return [
        Granted(
            case_id=r["case_id"],
            matter_code=r["matter_code"],
            status=r["status"],
            statutory_due=r["statutory_due"],
            approver=str(r["extension"].get("approver", "")),
            reason=str(r["extension"].get("reason", "")),
            days=int(r["extension"].get("extension_days", 0)),
            granted_at=r["granted_at"].astimezone(CHINA),  # the center's time
        )
        for r in rows
    ]


async def grant(deps: Deps, user: Principal, case_id: str, reason: str) -> ClockView:
    """The government head grants a joint case's one extension; they are the approver.

    Raises:
        UnknownCase: No such case.
        NotJoint: A single organ's case (its department head extends it).
        AlreadyExtended: The case was extended once already.
        Refused: The workflow refused (case closed, no reason, …), with its reason.
    """
    async with deps.sessions() as s:
        row = (
            await s.execute(
                sa.select(cases.c.matter_code, cases.c.extension_days).where(
                    cases.c.case_id == case_id
                )
            )
        ).first()
    if row is None:
        raise UnknownCase(f"没有此案件 no case {case_id!r}")
    if row.matter_code not in _joint(deps):
        raise NotJoint(
            f"{case_id} 不是联办件 is not a joint case ({row.matter_code}): its extension is "
            "approved by the department head"
        )
    if row.extension_days:
        raise AlreadyExtended(
            f"{case_id} 已延期一次 was already extended once (+{row.extension_days} working "
            "days); the law allows one extension"
        )
    req = ExtensionRequest(approver=user.display, approver_role=APPROVER_ROLE, reason=reason)
    return await clocks.grant_extension(deps, case_id, req)
