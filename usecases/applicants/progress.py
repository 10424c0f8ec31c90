"""The applicant's public view: progress by case number + query code, and the rating after
conclusion (好差评). Shows no personal data; a bad rating opens a follow-up item for the center."""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from typing import Any

from domain.case_status import ENDED, CaseStatus
from domain.privacy import mask_text
from events.contracts import ServiceRated
from events.registry import make_envelope
from infra.bootstrap import Deps
from store.cases import case_tasks, get_case
from store.feedback import get_rating, insert_rating, open_follow_up
from store.records import publish
from usecases.errors import Refused

RATING_LEVELS = (
    "very_satisfied",  # 非常满意
    "satisfied",  # 满意
    "basically_satisfied",  # 基本满意
    "dissatisfied",  # 不满意
    "very_dissatisfied",  # 非常不满意
)
BAD_RATINGS = frozenset({"dissatisfied", "very_dissatisfied"})
# A 6-digit query code is guessable in bulk: a case takes this many wrong codes per window.
MAX_FAILURES, FAILURE_WINDOW_S = 10, 15 * 60
_failures: defaultdict[str, deque[float]] = defaultdict(deque)


class NoSuchCase(Refused):
    code = "not_found"
    http_status = 404


class TooManyAttempts(Refused):
    code = "too_many_attempts"
    http_status = 429


class RatingRefused(Refused):
    code = "rating_refused"
    http_status = 409


def _forget_old(now: float) -> None:
    # Random case numbers must not grow the table without bound.
    if len(_failures) > 10_000:
        for key in [k for k, v in _failures.items() if not v or v[-1] < now - FAILURE_WINDOW_S]:
            del _failures[key]


def _throttle(case_id: str) -> None:
    now = time.monotonic()
    _forget_old(now)
    recent = _failures[case_id]
    while recent and recent[0] < now - FAILURE_WINDOW_S:
        recent.popleft()
    if len(recent) >= MAX_FAILURES:
        raise TooManyAttempts("too many wrong query codes for this case; try again later")


async def find_case(deps: Deps, case_id: str, query_code: str) -> dict[str, Any]:
    """The case when the query code matches; the same 404 for a wrong code or no case."""
    _throttle(case_id)
    async with deps.sessions() as s:
        case = await get_case(s, case_id)
    expected = case["query_code"] if case else ""
    if case is None or not secrets.compare_digest(expected.encode(), query_code.encode()):
        _failures[case_id].append(time.monotonic())
        raise NoSuchCase("no case with this number and query code")
    return case


def _steps(case: dict[str, Any], done: int, total: int) -> list[dict[str, Any]]:
    status = case["status"]
    if status == CaseStatus.not_accepted:
        return [
            {"key": "submitted", "label": "已提交 Submitted", "done": True},
            {"key": "not_accepted", "label": "不予受理 Not accepted", "done": True},
        ]
    return [
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


async def progress(deps: Deps, case_id: str, query_code: str) -> dict[str, Any]:
    """Steps, departments done, due dates, outcome, and whether it can be rated now."""
    case = await find_case(deps, case_id, query_code)
    async with deps.sessions() as s:
        rows = {t["department"]: t for t in await case_tasks(s, case_id)}
        rating = await get_rating(s, case_id)
    matter = deps.catalog.matter(case["matter_code"])
    departments = [
        {"name": d.name, "done": rows.get(d.code, {}).get("status") == "decided"}
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
    }


async def rate(deps: Deps, case_id: str, query_code: str, level: str, comment: str) -> int | None:
    """Record the rating; returns the follow-up item opened for a bad one."""
    case = await find_case(deps, case_id, query_code)
    if case["status"] not in ENDED:
        raise RatingRefused("the case can be rated once it is concluded")
    comment = mask_text(comment)  # the applicant may type a number; keep none of it
    follow_up = None
    async with deps.sessions() as s, s.begin():
        if not await insert_rating(s, case_id, level, comment):
            raise RatingRefused("this case has already been rated")
        if level in BAD_RATINGS:
            detail = f"bad rating ({level}): {comment}" if comment else f"bad rating ({level})"
            follow_up = await open_follow_up(s, case_id, "bad_rating", detail)
        payload = ServiceRated(level=level, comment=comment, follow_up_id=follow_up)
        envelope = make_envelope(payload, case_id=case_id, producer="lianban-api")
        await publish(s, envelope, deps.topics.case_events)
    deps.notify_outbox()
    return follow_up
