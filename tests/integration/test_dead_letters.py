"""A dead letter is one record: the same record redelivered is one dead letter, another record
at a reused position (a broker that lost its records hands out the same offsets) is another."""

from __future__ import annotations

import sqlalchemy as sa

from infra.bootstrap import Deps
from services.operators.deadletters import SourceRecord, dead_letter
from store.schema import dead_letters, outbox


async def _counts(deps: Deps) -> tuple[int, int]:
    async with deps.sessions() as s:
        letters = await s.scalar(sa.select(sa.func.count()).select_from(dead_letters))
        published = await s.scalar(
            sa.select(sa.func.count()).where(outbox.c.topic == deps.topics.dead_letters)
        )
    return int(letters or 0), int(published or 0)


async def test_a_reused_position_with_another_record_is_another_dead_letter(
    sqlite_deps: Deps,
) -> None:
    first = SourceRecord("t.decisions", 0, 7, b"CASE-1", b"{not json")
    await dead_letter(sqlite_deps, first, "malformed_json", "bad")
    await dead_letter(sqlite_deps, first, "malformed_json", "bad")  # redelivered
    assert await _counts(sqlite_deps) == (1, 1)
    after_loss = SourceRecord("t.decisions", 0, 7, b"CASE-2", b"[1, 2]")
    await dead_letter(sqlite_deps, after_loss, "malformed_json", "bad")
    assert await _counts(sqlite_deps) == (2, 2)
