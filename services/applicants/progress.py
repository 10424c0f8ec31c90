"""The applicant's public view: progress by case number + query code, and the rating after
conclusion (好差评). Shows no personal data; a bad rating opens a follow-up item for the center."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.case_status import ENDED, CaseStatus
from domain.privacy import mask_text
from domain.review import APPEAL_RIGHTS
from events.contracts import ServiceRated
from events.registry import make_envelope
from infra.bootstrap import Deps
from services.errors import Refused
from services.materials_view import materials_view
from services.window.library import public_entry
from store.attempts import count_attempt, give_back
from store.cases import case_tasks, get_case, rehash_query_code
from store.feedback import get_rating, insert_rating, open_follow_up
from store.library import case_entries
from store.query_codes import code_matches, is_hashed
from store.records import publish
from store.sealing import UnknownKey

RATING_LEVELS = (
    "very_satisfied",  # 非常满意
    "satisfied",  # 满意
    "basically_satisfied",  # 基本满意
    "dissatisfied",  # 不满意
    "very_dissatisfied",  # 非常不满意
)
BAD_RATINGS = frozenset({"dissatisfied", "very_dissatisfied"})
# A 6-digit query code is guessable in bulk. Every attempt is counted in the database before
# the code is checked (store/attempts.py), per (case, source): a source gets MAX_FAILURES checks
# per window. Across all sources a case gets CASE_BUDGET checks per window; past it, no address
# is checked until the window ends (a guesser with many addresses, or one who could choose its
# address, gets no more than the budget). A right code gives its attempt back.
MAX_FAILURES, CASE_BUDGET, FAILURE_WINDOW_S = 10, 100, 15 * 60
EVERYONE = "*"


class NoSuchCase(Refused, code="not_found", http_status=404): ...


class TooManyAttempts(Refused, code="too_many_attempts", http_status=429):
    def __init__(self, retry_in: timedelta) -> None:
        super().__init__(
            "查询码错误次数过多，请稍后再试 "
            "too many wrong query codes for this case; try again later"
        )
        # Whole seconds, at least 1: the Retry-After header.
        self.headers = {"Retry-After": str(max(1, math.ceil(retry_in.total_seconds())))}


class RatingRefused(Refused, code="rating_refused", http_status=409): ...


async def _count(deps: Deps, case_id: str, source: str) -> None:
    """Count this attempt, atomically; refuse (429, unchecked) when over the limit."""
    now, window = datetime.now(UTC), timedelta(seconds=FAILURE_WINDOW_S)
    async with deps.sessions() as s, s.begin():
        # Always (source, then "*") in this order: two attempts never wait on each other's rows.
        mine, my_start = await count_attempt(s, case_id, source, now, window)
        everyone, all_start = await count_attempt(s, case_id, EVERYONE, now, window)
    if mine > MAX_FAILURES:
        raise TooManyAttempts(my_start + window - now)
    if everyone > CASE_BUDGET:
        raise TooManyAttempts(min(my_start, all_start) + window - now)


async def find_case(
    deps: Deps, case_id: str, query_code: str, source: str = "unknown"
) -> dict[str, Any]:
    """The case when the query code matches; the same 404 for a wrong code or no case.

    `source` is the caller's address as the API sees it; see MAX_FAILURES."""
    source = source[:64] or "unknown"
    await _count(deps, case_id, source)
    async with deps.sessions() as s:
        case = await get_case(s, case_id)
    if case is None or not _matches(deps, case, query_code):
        raise NoSuchCase("办件编号或查询码不正确 no case with this number and query code")
    async with deps.sessions() as s, s.begin():
        await give_back(s, case_id, [source, EVERYONE])
        if not is_hashed(case["query_code"]):
            await rehash_query_code(s, case_id, case["query_code"], deps.keyring)
    return case


def _matches(deps: Deps, case: dict[str, Any], query_code: str) -> bool:
    """Compared with the stored keyed hash (store/query_codes.py), in constant time."""
    try:
        return code_matches(deps.keyring, case["case_id"], query_code, case["query_code"])
    except UnknownKey:  # hashed with a payload key no longer loaded: it cannot be checked
        return False


def _steps(case: dict[str, Any], done: int, total: int) -> list[dict[str, Any]]:
    status = case["status"]
    if status == CaseStatus.not_accepted:
        return [
            {"key": "submitted", "label": "已提交 Submitted", "done": True},
            {"key": "not_accepted", "label": "不予受理 Not accepted", "done": True},
        ]
    steps = [
        {"key": "submitted", "label": "已提交 Submitted", "done": True},
        {"key": "accepted", "label": "已受理 Accepted", "done": case["accepted_at"] is not None},
        {
            "key": "review",
            "label": f"部门联审 Joint review ({done}/{total})",
            "done": total > 0 and done == total,
        },
        {"key": "decided", "label": "已办结 Decided", "done": case["concluded_at"] is not None},
        {"key": "issued", "label": "已发证 Issued", "done": case["licence_number"] is not None},
    ]
    # A refused case has nothing to issue: no step left pending forever.
    return steps[:-1] if case["outcome"] == "refused" else steps


async def progress(
    deps: Deps, case_id: str, query_code: str, source: str = "unknown"
) -> dict[str, Any]:
    """Steps, departments done, due dates, outcome, and whether it can be rated now."""
    case = await find_case(deps, case_id, query_code, source)
    async with deps.sessions() as s:
        rows = {t["department"]: t for t in await case_tasks(s, case_id)}
        rating = await get_rating(s, case_id)
        added = await case_entries(s, case_id)
    matter = deps.catalog.matter(case["matter_code"])
    departments = [
        {"code": d.code, "name": d.name, "done": rows.get(d.code, {}).get("status") == "decided"}
        for d in (matter.departments if matter else [])
    ]
    done = sum(1 for d in departments if d["done"])
    return {
        "case_id": case_id,
        "matter": matter.name if matter else case["matter_code"],
        "status": case["status"],
        "outcome": case["outcome"],
        "steps": _steps(case, done, len(departments)),
        "departments": departments,
        "promised_due": case["promised_due"],
        "statutory_due": case["statutory_due"],
        "rating": rating["level"] if rating else None,
        "can_rate": rating is None and case["status"] in ENDED,
        "materials": materials_view(deps, case),
        "library": [public_entry(e) for e in added],
        "licence_number": case["licence_number"],
        **_result(case),
    }


def _result(case: dict[str, Any]) -> dict[str, Any]:
    """What the applicant was told: every reason of a refusal (or of not accepting the
    application) with the appeal rights; the conditions of a grant."""
    refused = case["outcome"] == "refused" or case["status"] == CaseStatus.not_accepted
    granted = case["outcome"] == "granted"
    return {
        "reasons": list(case["reasons"] or []) if refused else [],
        "appeal_rights": APPEAL_RIGHTS if case["outcome"] == "refused" else None,
        "conditions": list(case["conditions"] or []) if granted else [],
    }


async def rate(
    deps: Deps, case_id: str, query_code: str, level: str, comment: str, source: str = "unknown"
) -> int | None:
    """Record the rating; returns the follow-up item opened for a bad one."""
    case = await find_case(deps, case_id, query_code, source)
    if case["status"] not in ENDED:
        raise RatingRefused("办结后方可评价 the case can be rated once it is concluded")
    comment = mask_text(comment)  # the applicant may type a number; keep none of it
    follow_up = None
    async with deps.sessions() as s, s.begin():
        if not await insert_rating(s, case_id, level, comment):
            raise RatingRefused("此办件已评价 this case has already been rated")
        if level in BAD_RATINGS:
            detail = f"bad rating ({level}): {comment}" if comment else f"bad rating ({level})"
            follow_up = await open_follow_up(s, case_id, "bad_rating", detail)
        payload = ServiceRated(level=level, comment=comment, follow_up_id=follow_up)
        envelope = make_envelope(payload, case_id=case_id, producer="lianban-api")
        await publish(s, envelope, deps.topics.case_events)
    return follow_up
