"""Nothing acknowledged is lost while the relay is down: the outbox holds it until it is back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from entrypoints.devstack.stack import EmbeddedStack
from entrypoints.relay import OutboxRelay, make_producer
from entrypoints.runner import Parts
from store.cases import case_tasks
from store.schema import outbox
from tests.e2e.test_api import SUBMISSION
from tests.stack import running_app
from tests.utils.auth import bearer
from tests.utils.eventually import eventually


async def test_submission_survives_a_relay_outage(stack: EmbeddedStack, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    async with running_app(
        stack.temporal_address, stack.kafka_bootstrap, url, Parts(relay=False)
    ) as app:
        clerk = bearer("clerk", settings=app.settings)
        async with httpx.AsyncClient(base_url=app.api_url, headers=clerk) as http:
            r = await http.post("/cases", json=SUBMISSION)
        assert r.status_code == 202
        case_id = r.json()["case_id"]
        async with app.deps.sessions() as s:
            unsent = (await s.execute(sa.select(outbox).where(outbox.c.sent_at.is_(None)))).all()
        assert [row.key for row in unsent] == [case_id]

        producer = make_producer(stack.kafka_bootstrap)
        await producer.start()
        try:
            assert await OutboxRelay(app.deps, producer).run_once() == 1
        finally:
            await producer.stop()

        # The submission reached the consumer through Kafka: the workflow created the tasks.
        async def tasks() -> list[dict[str, Any]]:
            async with app.deps.sessions() as s:
                return await case_tasks(s, case_id)

        await eventually(tasks, until=lambda found: len(found) == 5, what="the five tasks")
        async with app.deps.sessions() as s:
            sent = (
                await s.execute(sa.select(outbox.c.sent_at).where(outbox.c.key == case_id))
            ).all()
        assert sent and sent[0].sent_at is not None
