"""The read model rebuilt from scratch from the audit log equals the live one, for cases that
went every way (granted, refused, not accepted, withdrawn, paused, extended, warned, acted on,
rated) — and the folded state cross-checks with the read model and Temporal for each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from infra.bootstrap import Deps
from services.auditors.rebuild import compare_models, rebuild_into
from services.auditors.replay import replay
from services.auditors.verify import verify_all, verify_case
from store.db import make_engine, make_sessionmaker
from store.migrate import upgrade
from tests.utils.audit_cases import varied_cases
from tests.utils.audit_env import audited_deps


@pytest.fixture(params=["sqlite", "postgresql"])
async def deps(
    request: pytest.FixtureRequest, time_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[Deps]:
    async with audited_deps(request.param, time_env, tmp_path) as d:
        yield d


async def test_rebuilt_read_model_equals_the_live_one(
    deps: Deps, time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    case_ids = await varied_cases(deps, time_env)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'rebuilt.db'}")
    try:
        await upgrade(engine)
        target = make_sessionmaker(engine)
        out = await rebuild_into(deps, target)
        assert out.cases == len(case_ids)
        assert await compare_models(deps.sessions, target) == []
    finally:
        await engine.dispose()
    for case_id in case_ids:  # and each one verifies against Temporal too
        report = await verify_case(deps, case_id)
        assert [str(f) for f in report.findings if f.check != "anchor"] == []
    assert (await verify_all(deps, temporal=True)).failures == []
    everything = (await replay(deps, case_ids[-1])).state
    assert [w["level"] for w in everything.warnings] == ["yellow", "red", "breach"]
    assert everything.clocks.extension_days == 15 and everything.rating is not None
    assert everything.operator_actions[0]["action"] == "remind"
    assert everything.personal_data_reads[0]["actor"] == "clerk-1"
    if deps.engine.dialect.name == "sqlite":  # see varied_cases
        kinds = [line.event_type for line in (await replay(deps, case_ids[-1])).lines]
        assert {"DepartmentRequestedCorrections", "ReviewTaskReopened"} <= set(kinds)


async def test_replay_to_before_the_decisions(deps: Deps, time_env: WorkflowEnvironment) -> None:
    case_ids = await varied_cases(deps, time_env)
    r = await replay(deps, case_ids[-1])
    decided_at = min(t.decided_at for t in r.state.tasks.values() if t.decided_at)
    before = await replay(deps, case_ids[-1], decided_at - timedelta(microseconds=1))
    assert before.state.decided == [] and before.state.status == "in_review"
    assert before.steps is not None
    assert {s.kind for s in before.steps.steps} >= {"acceptance", "review", "pause", "decision"}
    assert len(before.lines) < len(r.lines)
