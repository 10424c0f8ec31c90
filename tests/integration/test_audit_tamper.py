"""Tampering with the audit record is detected, and the entry that breaks it is named: one
entry changed, one deleted, two reordered, the last one dropped, and a whole case rewritten
with every hash recomputed (caught by the anchor). On SQLite and on PostgreSQL, with cases run
by the real workflows and activities."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from temporalio.testing import WorkflowEnvironment

from domain.audit import GENESIS, AuditEntry, heads_digest, seal, seal_anchor
from infra.bootstrap import Deps
from services.auditors.anchors import LogRewritten, read_anchor_file, take_anchor
from services.auditors.findings import Finding
from services.auditors.settings import audit_settings
from services.auditors.verify import verify_all, verify_case
from store import audit as store
from store.schema import audit_anchors, audit_heads, audit_log
from tests.utils.audit_cases import run_case
from tests.utils.audit_env import as_attacker, audited_deps, swap_seqs


@pytest.fixture(params=["sqlite", "postgresql"])
async def deps(
    request: pytest.FixtureRequest, time_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[Deps]:
    async with audited_deps(request.param, time_env, tmp_path) as d:
        yield d


async def entries_of(deps: Deps, case_id: str) -> list[AuditEntry]:
    async with deps.sessions() as s:
        return await store.case_entries(s, case_id)


def failed(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.outcome == "failed" and f.check == check]


async def test_an_intact_case_verifies_against_read_model_temporal_and_anchor(
    deps: Deps,
) -> None:
    case_id = await run_case(deps, reject=["fire"])
    await take_anchor(deps)
    [pending] = (await verify_case(deps, case_id)).findings
    assert (pending.outcome, pending.kind) == ("not_checked", "digest")
    assert (await verify_all(deps)).ok  # it recomputes the anchor's digest over the whole log
    report = await verify_case(deps, case_id)
    assert report.ok, [str(f) for f in report.findings]
    assert report.findings == []  # not even "not checked": Temporal reached, digest checked
    assert report.checked == ["chain", "head", "read_model", "anchor", "temporal", "delivery"]


async def test_a_changed_entry_is_named(deps: Deps) -> None:
    case_id = await run_case(deps)
    victim = next(e for e in await entries_of(deps, case_id) if e.event_type == "DepartmentDecided")
    forged = {**victim.data, "outcome": "reject", "reasons": ["伪造 forged"]}
    await as_attacker(
        deps, sa.update(audit_log).where(audit_log.c.id == victim.id).values(data=forged)
    )
    report = await verify_case(deps, case_id)
    [chain] = failed(report.findings, "chain")
    assert (chain.kind, chain.seq, chain.event_id) == ("altered", victim.seq, victim.event_id)
    # The folded state now disagrees with the read model and with Temporal, on that entry.
    model = failed(report.findings, "read_model")
    assert model and all(f.event_id == victim.event_id for f in model)
    assert any(f.event_id == victim.event_id for f in failed(report.findings, "temporal"))


async def test_a_deleted_entry_is_named(deps: Deps) -> None:
    case_id = await run_case(deps)
    entries = await entries_of(deps, case_id)
    gone, after = entries[3], entries[4]
    await as_attacker(deps, sa.delete(audit_log).where(audit_log.c.id == gone.id))
    report = await verify_case(deps, case_id, temporal=False)
    [chain] = failed(report.findings, "chain")
    assert (chain.kind, chain.seq, chain.event_id) == ("missing", after.seq, after.event_id)
    assert f"seq {gone.seq} deleted" in chain.detail


async def test_two_reordered_entries_are_both_named(deps: Deps) -> None:
    case_id = await run_case(deps)
    entries = await entries_of(deps, case_id)
    a, b = entries[4], entries[5]
    await as_attacker(deps, *swap_seqs(case_id, (a.seq, b.seq)))
    report = await verify_case(deps, case_id, temporal=False)
    chain = failed(report.findings, "chain")
    assert {(f.kind, f.event_id) for f in chain} == {
        ("reordered", a.event_id),
        ("reordered", b.event_id),
    }


async def test_dropping_the_last_entry_shows_against_the_head(deps: Deps) -> None:
    case_id = await run_case(deps)
    last = (await entries_of(deps, case_id))[-1]
    await as_attacker(deps, sa.delete(audit_log).where(audit_log.c.id == last.id))
    report = await verify_case(deps, case_id, temporal=False)
    [head] = failed(report.findings, "head")
    assert head.kind == "head_mismatch" and f"head is seq {last.seq}" in head.detail


async def rewrite_case(deps: Deps, case_id: str) -> list[sa.Update]:
    """A consistent forgery: one decision changed and every later hash and the head redone."""
    statements: list[sa.Update] = []
    prev = GENESIS
    for e in await entries_of(deps, case_id):
        data = e.data
        if e.event_type == "DepartmentDecided" and e.data["department"] == "samr":
            data = {**e.data, "reviewer": "someone else"}
        sealed = seal(replace(e, data=data), prev)
        statements.append(
            sa.update(audit_log)
            .where(audit_log.c.id == e.id)
            .values(data=data, prev_hash=prev, hash=sealed.hash)
        )
        prev = sealed.hash
    statements.append(
        sa.update(audit_heads).where(audit_heads.c.case_id == case_id).values(hash=prev)
    )
    return statements


async def test_a_whole_rewrite_is_caught_by_the_anchor_and_the_file(deps: Deps) -> None:
    case_id = await run_case(deps)
    await take_anchor(deps)
    await as_attacker(deps, *await rewrite_case(deps, case_id))
    report = await verify_case(deps, case_id, temporal=False)
    assert failed(report.findings, "chain") == [] and failed(report.findings, "head") == []
    # A one-case verify does not reread the whole log (nothing has recomputed the digest), but
    # compares the chain with the head the anchor recorded for this case: the rewrite shows.
    [pending] = [f for f in report.findings if f.outcome == "not_checked"]
    assert (pending.check, pending.kind) == ("anchor", "digest")
    [anchored] = failed(report.findings, "anchor")
    assert (anchored.kind, anchored.case_id) == ("anchored_head_mismatch", case_id)
    assert "anchor 1 recorded" in anchored.detail and "altered" in anchored.detail
    # Recomputing the digest (asked for here; verify --all and the anchor job do it) finds it,
    report = await verify_case(deps, case_id, temporal=False, digest=True)
    kinds = {f.kind for f in failed(report.findings, "anchor")}
    assert kinds == {"digest", "anchored_head_mismatch"}
    # every one-case verify reports it from then on, and no new anchor blesses the rewrite.
    report = await verify_case(deps, case_id, temporal=False)
    [anchor] = [f for f in failed(report.findings, "anchor") if f.kind == "digest"]
    assert "anchor 1" in anchor.detail
    with pytest.raises(LogRewritten):
        await take_anchor(deps)
    # Rewriting the anchors table too leaves the anchor file (kept off the database host).
    async with deps.sessions() as s:
        [kept] = await store.anchors(s)
        heads = await store.heads_as_of(s, kept.up_to_id)
    forged = seal_anchor(replace(kept, heads_digest=heads_digest(heads)), GENESIS)
    await as_attacker(
        deps,
        sa.update(audit_anchors)
        .where(audit_anchors.c.seq == kept.seq)
        .values(heads_digest=forged.heads_digest, hash=forged.hash),
    )
    report = await verify_case(deps, case_id, temporal=False, digest=True)
    details = [f.detail for f in failed(report.findings, "anchor")]
    assert f"anchor 1 differs from {audit_settings(deps).anchor_file}" in details


async def test_an_anchor_records_only_the_heads_that_grew(deps: Deps) -> None:
    """The second anchor records the case run since the first, not the one left untouched;
    a one-case verify of the untouched case still compares it with the first anchor."""
    old = await run_case(deps)
    await take_anchor(deps)
    new = await run_case(deps)
    await take_anchor(deps)
    async with deps.sessions() as s:
        assert (await store.anchored_head(s, old))[0] == 1  # type: ignore[index]
        assert (await store.anchored_head(s, new))[0] == 2  # type: ignore[index]
    assert failed((await verify_case(deps, old, temporal=False)).findings, "anchor") == []
    await as_attacker(deps, *await rewrite_case(deps, old))
    [anchored] = failed((await verify_case(deps, old, temporal=False)).findings, "anchor")
    assert anchored.kind == "anchored_head_mismatch" and "anchor 1 recorded" in anchored.detail


async def test_the_anchor_file_holds_each_anchor(deps: Deps) -> None:
    await run_case(deps)
    first = await take_anchor(deps)
    await run_case(deps)
    second = await take_anchor(deps)
    kept = read_anchor_file(Path(audit_settings(deps).anchor_file))
    assert kept == {1: first.document(), 2: second.document()}
    assert second.prev_hash == first.hash and second.entries > first.entries
    assert (await verify_all(deps)).ok
