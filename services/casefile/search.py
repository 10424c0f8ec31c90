"""The search box: a case number or words of the title, within what the person may read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.bootstrap import Deps
from infra.tokens import Principal
from services import access
from store.cases import search_cases

MAX_QUERY = 100  # characters of a search; longer is refused (422)
RESULTS = 50  # cases listed; the page says when there may be more


@dataclass(frozen=True)
class Found:
    cases: list[dict[str, Any]]
    more: bool  # more cases match than are listed
    exact: str | None  # the one case whose number is exactly the query


def reviewing(deps: Deps) -> dict[str, set[str]]:
    """Matter code → the departments reviewing it."""
    return {m.code: {d.code for d in m.departments} for m in deps.catalog.matters}


async def search(deps: Deps, user: Principal, text: str, limit: int = RESULTS) -> Found:
    """Cases matching `text` that `user` may read, newest first."""
    text = text.strip()
    scope = access.case_scope(user, reviewing(deps))
    if not text or scope == frozenset():
        return Found([], False, None)
    async with deps.sessions() as s:
        rows = await search_cases(s, text, scope, limit + 1)
    exact = next((r["case_id"] for r in rows if r["case_id"].upper() == text.upper()), None)
    return Found(rows[:limit], len(rows) > limit, exact)
