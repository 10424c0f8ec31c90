"""A workflow task failing after a bad deploy shows in the stalled list with its error."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from temporalio import workflow
from temporalio.worker import Worker

from services.operators.stalled import find_stalled
from services.operators.stalled_model import StalledFilter
from store.schema import cases
from tests.e2e.ops_util import new_case_id
from tests.stack import App
from tests.utils.eventually import eventually

pytestmark = pytest.mark.e2e


@workflow.defn(name="BadDeployCase", sandboxed=False)
class BadDeployCase:
    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("bad deploy: KeyError 'fire' in merge")


async def _case_row(app: App, case_id: str) -> None:
    now = datetime.now(UTC)
    async with app.deps.sessions() as s, s.begin():
        await s.execute(
            sa.insert(cases).values(
                case_id=case_id,
                query_code="000000",
                matter_code="FIRE-DESIGN-REVIEW",
                title="t",
                applicant_kind="enterprise",
                applicant_name="n",
                channel="online",
                materials=[],
                status="in_review",
                reasons=[],
                conditions=[],
                missing_materials=[],
                submitted_at=now,
                warning_level="none",
                updated_at=now,
            )
        )


async def test_failing_workflow_task_is_listed_with_its_error(app: App) -> None:
    cid = new_case_id()
    await _case_row(app, cid)
    client = app.deps.temporal
    assert client is not None
    queue = f"bad-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[BadDeployCase]):
        handle = await client.start_workflow(BadDeployCase.run, id=cid, task_queue=queue)

        async def listed() -> list:
            items = await find_stalled(app.deps, StalledFilter(reason="workflow_task_failing"))
            return [i for i in items if i.case_id == cid]

        [item] = await eventually(listed, timeout=60, every=1.0)
        await handle.terminate(reason="test over")
    assert "bad deploy: KeyError" in item.detail
    assert item.extra["attempt"] >= 2
