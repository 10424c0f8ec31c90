"""A parked outgoing event, as an operator meets it: listed as stalled and on /readyz, only its
own case held back, released by an audited discard."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from store.schema import outbox
from tests.e2e.ops_util import client, events_of, new_case_id, open_task, submit
from tests.stack import App
from tests.utils.eventually import eventually

pytestmark = pytest.mark.e2e
FIRE = ("FIRE-DESIGN-REVIEW", ["application-form", "fire-design"])


async def _enqueue(app: App, case_id: str, value: str) -> int:
    async with app.deps.sessions() as s, s.begin():
        result = await s.execute(
            sa.insert(outbox).values(
                event_id=str(uuid.uuid4()),
                topic=app.settings.topics.case_events,
                key=case_id,
                value=value,
                headers={},
                created_at=datetime.now(UTC),
            )
        )
    app.deps.notify_outbox()
    return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]


async def _unsent(app: App, case_id: str) -> set[int]:
    async with app.deps.sessions() as s:
        query = sa.select(outbox.c.id).where(outbox.c.key == case_id, outbox.c.sent_at.is_(None))
        return {r.id for r in await s.execute(query)}


async def test_parked_event_is_reported_holds_back_only_its_case_and_can_be_discarded(
    app: App,
) -> None:
    held, other = new_case_id(), new_case_id()
    await submit(app, held, *FIRE)
    await eventually(lambda: open_task(app, held, "fire"), timeout=60)
    # As a release without the outbox's size guard could have written it.
    big = await _enqueue(app, held, "x" * 1_500_000)
    # The session's case-events topic is every test's: readers pick records by `case_id`, so
    # the row behind the parked one carries its case like any event (a bare object there broke
    # test_bad_input's reader when it ran later in a random order).
    filler = {"case_id": held, "event_type": "RowBehindTheParkedOne", "data": {}}
    behind = await _enqueue(app, held, json.dumps(filler))

    async with client(app) as http:

        async def listed() -> list[dict[str, object]]:
            r = await http.get("/ops/stalled", params={"reason": "outbox_parked"})
            return [i for i in r.json()["data"] if i["case_id"] == held]

        item = (await eventually(listed, timeout=60, what="the parked event listed"))[0]
        assert item["target"] == str(big) and "MessageSizeTooLarge" in str(item["detail"])
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"

        # Another case flows meanwhile: its review task goes out.
        await submit(app, other, *FIRE)
        await eventually(lambda: open_task(app, other, "fire"), timeout=60)
        assert await eventually(lambda: _nothing_unsent(app, other), timeout=60)
        assert await _unsent(app, held) == {big, behind}

        r = await http.post(
            f"/ops/cases/{held}/outbox/{big}/discard", json={"reason": "超过消息大小上限"}
        )
        assert r.status_code == 200, r.text
        again = await http.post(f"/ops/cases/{held}/outbox/{big}/discard", json={"reason": "再次"})
        assert again.status_code == 409

    assert await eventually(lambda: _nothing_unsent(app, held), timeout=60)
    recorded = await events_of(app, held, "OperatorActionRecorded")
    discards = [e for e in recorded if e["data"]["action"] == "outbox_discard"]
    assert [(d["data"]["result"], d["data"]["target"]) for d in discards] == [
        ("done", str(big)),
        ("failed", str(big)),
    ]


async def _nothing_unsent(app: App, case_id: str) -> bool:
    return not await _unsent(app, case_id)
