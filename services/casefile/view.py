"""The staff case page's contents: everything about one case that the reader may see, from the
read model (no Temporal call): status and clocks, every reviewing department's task with its
urgency, materials, decisions, pauses and the extension, supervision items, comments, the
log, and whether its audit chain checks out.

Who sees what is the rule of the rest of the system (services/access.py): the case itself for
whoever `can_read_case`; a department's reasons, conditions and comments for those who may read
its inbox, until the case's outcome tells everyone; supervision items for the roles that read
them (a department: the ones it owns).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.case_clocks import local_date
from domain.privacy import mask_id_number, mask_phone
from infra.bootstrap import Deps
from infra.tokens import DEPARTMENT_ROLES, Principal, Role
from services import access
from services.auditors import verify
from services.casefile.timeline import Line, lines
from services.departments import inbox
from services.errors import UnknownCase
from services.leaders import supervision
from services.reads import one_or_refuse
from store import inbox as inbox_store
from store.cases import case_log, case_tasks, get_case

SUPERVISION_READERS = frozenset({Role.operator, Role.auditor, Role.admin})


@dataclass
class CaseFile:
    case: dict[str, Any]
    departments: list[dict[str, Any]]
    materials: list[dict[str, Any]]
    pauses: list[dict[str, Any]]
    extension: dict[str, Any] | None
    timeline: list[Line]
    supervision: list[dict[str, Any]] | None  # None: not the reader's to see
    audit: dict[str, Any] | None  # None: the case has no audit record yet


async def visible_case(deps: Deps, user: Principal, case_id: str) -> dict[str, Any]:
    """The case if `user` may read it (UnknownCase otherwise, whether or not it exists)."""
    case = await one_or_refuse(
        deps, lambda s: get_case(s, case_id), UnknownCase(f"no case {case_id!r}")
    )
    matter = deps.catalog.matter(case["matter_code"])
    reviewing = {d.code for d in matter.departments} if matter else set()
    if not access.can_read_case(user, case, reviewing):
        raise UnknownCase(f"no case {case_id!r}")
    return case


def _masked(case: dict[str, Any]) -> dict[str, Any]:
    """The case row without what staff may not see here (the sealed contact never leaves)."""
    hidden = {"applicant_contact", "applicant_contact_kid", "query_code", "applicant_ref"}
    shown = {k: v for k, v in case.items() if k not in hidden}
    shown["applicant_id_number"] = mask_id_number(case["applicant_id_number"])
    shown["applicant_phone"] = mask_phone(case["applicant_phone"])
    return shown


async def _departments(
    deps: Deps, user: Principal, case: dict[str, Any], rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every reviewing department: its task (urgency for an open one), and its decision's
    reasons, conditions and comments when the reader may see them."""
    matter = deps.catalog.matter(case["matter_code"])
    by_dept = {r["department"]: r for r in rows}
    today, cal = local_date(datetime.now(UTC)), inbox.calendar_in_force(deps)
    out = []
    async with deps.sessions() as s:
        for d in matter.departments if matter else []:
            row = by_dept.get(d.code)
            sees = access.sees_department_work(user, d.code)
            item: dict[str, Any] = {"department": d.code, "name": d.name, "sees": sees}
            item["opinion_only"] = d.opinion_only
            if row is None:
                out.append({**item, "status": "pending", "level": "none", "comments": []})
                continue
            row = {**row, "case_warning_level": case["warning_level"]}
            task = inbox.with_urgency(deps, row, today, cal)
            if not sees:
                task = {**task, "reasons": [], "conditions": []}
            comments = await inbox_store.comments(s, row["task_id"]) if sees else []
            assignee = await inbox_store.assignee(s, row["task_id"])
            out.append({**task, **item, "comments": comments, "assignee": assignee})
    return out


def _clock_events(
    events: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The pauses (each started, and ended when it was) and the extension, from the log."""
    pauses: dict[str, dict[str, Any]] = {}
    extension = None
    for e in events:
        d = e["data"]
        if e["event_type"] == "ClockPaused":
            pauses[d["notice_ref"]] = {**d, "ended_on": None}
        elif e["event_type"] == "ClockResumed" and d.get("notice_ref") in pauses:
            pauses[d["notice_ref"]]["ended_on"] = d.get("ended_on")
        elif e["event_type"] == "ExtensionGranted":
            extension = {**d, "granted_at": e["occurred_at"]}
    return list(pauses.values()), extension


async def _audit(deps: Deps, case_id: str) -> dict[str, Any] | None:
    """The case's audit chain checked now (chain, head, read model; no Temporal call)."""
    try:
        report = await verify.verify_case(deps, case_id, temporal=False, anchors=False)
    except LookupError:
        return None
    return {"ok": report.ok, "entries": report.entries, "failures": len(report.failures)}


async def _supervision(deps: Deps, user: Principal, case_id: str) -> list[dict[str, Any]] | None:
    if user.role in SUPERVISION_READERS:
        return await supervision.items(deps, status=None, case_id=case_id)
    if user.role in DEPARTMENT_ROLES:
        found = await supervision.items(deps, status=None, case_id=case_id)
        return [i for i in found if i["owner_department"] == user.dept]
    return None


async def case_file(deps: Deps, user: Principal, case_id: str) -> CaseFile:
    """Everything about the case `user` may see (UnknownCase if they may not see it)."""
    case = await visible_case(deps, user, case_id)
    async with deps.sessions() as s:
        rows = await case_tasks(s, case_id)
        events = await case_log(s, case_id)
    pauses, extension = _clock_events(events)
    sees = lambda dept: access.sees_department_work(user, dept)  # noqa: E731
    return CaseFile(
        case=_masked(case),
        departments=await _departments(deps, user, case, rows),
        materials=inbox.materials(deps, case),
        pauses=pauses,
        extension=extension,
        timeline=lines(events, sees),
        supervision=await _supervision(deps, user, case_id),
        audit=await _audit(deps, case_id),
    )
