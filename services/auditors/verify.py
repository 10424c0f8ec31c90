"""`verify`: the chains, their recorded heads and the anchors; and the folded state against the
read model and against the Temporal workflow. Every difference names the entry that breaks it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.audit import AuditEntry, verify_chain
from domain.audit_fold import fold
from infra.bootstrap import Deps
from services.auditors import readmodel
from services.auditors.anchors import verify_anchors
from services.auditors.findings import Finding, VerifyReport
from services.auditors.settings import audit_settings
from services.auditors.temporal_check import check_temporal
from services.progress import Progress, no_progress
from store import audit as store
from store import deliveries


async def _check_case(
    deps: Deps,
    case_id: str,
    entries: Sequence[AuditEntry],
    head: tuple[int, str] | None,
    live: tuple[Mapping[str, Any] | None, Sequence[Mapping[str, Any]]],
    temporal: bool,
    years: frozenset[int],
) -> list[Finding]:
    found = [Finding.from_break(b) for b in verify_chain(case_id, entries, head)]
    if head is None and entries:
        found.append(Finding.at("head", entries[-1], "the case has no recorded head", "absent"))
    state = fold(case_id, entries, known_years=years)
    found += readmodel.compare(state, entries, live[0], live[1])
    if temporal and entries:
        timeout = audit_settings(deps).temporal_timeout_seconds
        found += await check_temporal(deps.temporal, state, entries, timeout)
    return found


async def verify_case(
    deps: Deps,
    case_id: str,
    *,
    temporal: bool = True,
    anchors: bool = True,
    digest: bool = False,
) -> VerifyReport:
    """Verify one case: its chain and head, the read model, Temporal, and the anchors: their
    chain and file, and the latest recomputation of their digest (`digest=True` recomputes
    it now, reading the whole log; `anchors=False` skips the anchors altogether).

    Raises:
        LookupError: Neither the audit log nor the read model knows the case.
    """
    async with deps.sessions() as s:
        await store.one_snapshot(s)
        entries = await store.case_entries(s, case_id)
        head = (await store.heads(s, [case_id])).get(case_id)
        case_rows, task_rows = await store.read_models_of(s, [case_id])
        anchored = await store.anchored_head(s, case_id) if anchors else None
    if not entries and head is None and case_id not in case_rows:
        raise LookupError(f"no case {case_id!r} in the audit log or the read model")
    live = (case_rows.get(case_id), task_rows.get(case_id, []))
    report = VerifyReport(cases=1, entries=len(entries))
    cross = temporal and deps.temporal is not None
    report.checked = ["chain", "head", "read_model"]
    report.checked += (["anchor"] if anchors else []) + (["temporal"] if cross else [])
    years = frozenset(deps.calendar().years)
    report.findings = await _check_case(deps, case_id, entries, head, live, temporal, years)
    if anchors:
        report.anchors, anchor_findings = await verify_anchors(deps, digest=digest)
        report.findings += anchor_findings + _against_anchor(case_id, entries, anchored)
    report.checked.append("delivery")
    report.findings += await undelivered_findings(deps, [case_id])
    return report


async def undelivered_findings(deps: Deps, case_ids: list[str] | None = None) -> list[Finding]:
    """Decisions recorded (and acknowledged) longer than the alarm ago that have still not
    reached their case's workflow (`services.departments.delivery`): the case waits for a
    decision it was never told of. Of `case_ids` only, when given."""
    alarm = timedelta(seconds=deps.settings.decision_undelivered_alarm_seconds)
    async with deps.sessions() as s:
        rows = await deliveries.overdue(s, datetime.now(UTC) - alarm, 100_000, case_ids)
    return [
        Finding(
            "delivery",
            "failed",
            f"{r.department}: decision recorded at {r.received_at.isoformat(timespec='seconds')}, "
            f"never delivered to the case ({r.attempts} redelivery attempt(s))",
            r.case_id,
            "undelivered",
            event_id=r.event_id,
        )
        for r in rows
    ]


def _against_anchor(
    case_id: str, entries: list[AuditEntry], anchored: tuple[int, int, str] | None
) -> list[Finding]:
    """The case's chain against the latest anchor's record of its head: hashes recomputed
    after that anchor give a chain that checks out on its own, but not this entry's hash."""
    if anchored is None:
        return []
    anchor_seq, seq, digest = anchored
    found = next((e for e in entries if e.seq == seq), None)
    if found is not None and found.hash == digest:
        return []
    what = "is missing" if found is None else f"has another hash than anchor {anchor_seq} recorded"
    detail = f"entry {seq}, the head anchor {anchor_seq} recorded, {what}: the chain was altered"
    return [Finding("anchor", "failed", detail, case_id, "anchored_head_mismatch", seq)]


async def _verify_page(
    deps: Deps,
    case_ids: list[str],
    temporal: bool,
    report: VerifyReport,
    tick: Callable[[], None],
) -> None:
    async with deps.sessions() as s:
        await store.one_snapshot(s)
        entries = await store.entries_of(s, case_ids)
        heads = await store.heads(s, case_ids)
        case_rows, task_rows = await store.read_models_of(s, case_ids)
    years = frozenset(deps.calendar().years)
    for case_id in case_ids:
        live = (case_rows.get(case_id), task_rows.get(case_id, []))
        report.findings += await _check_case(
            deps, case_id, entries[case_id], heads.get(case_id), live, temporal, years
        )
        report.entries += len(entries[case_id])
        report.cases += 1
        tick()


async def verify_all(
    deps: Deps, *, temporal: bool = False, progress: Progress = no_progress
) -> VerifyReport:
    """Verify every case (page by page) and the anchors.

    The Temporal cross-check is off by default here: it is one round trip per case.
    `progress(done, total)` is told the number of cases first, then each case verified.
    """
    report = VerifyReport(checked=["chain", "head", "read_model", "anchor"])
    if temporal and deps.temporal is not None:
        report.checked.append("temporal")
    async with deps.sessions() as s:
        total = await store.case_count(s)
    progress(0, total)

    def tick() -> None:
        # Cases added while the pages are read make the total grow, never the bar overflow.
        progress(report.cases, max(total, report.cases))

    page, after = audit_settings(deps).page_size, None
    while True:
        async with deps.sessions() as s:
            case_ids = await store.case_ids_after(s, after, page)
        if not case_ids:
            break
        await _verify_page(deps, case_ids, temporal, report, tick)
        after = case_ids[-1]
    async with deps.sessions() as s:
        unaudited = await store.unaudited_cases(s)
    detail = "the case is in the read model but has no audit entry"
    report.findings += [Finding("read_model", "failed", detail, c, "unaudited") for c in unaudited]
    report.cases += len(unaudited)
    report.anchors, anchor_findings = await verify_anchors(deps)
    report.findings += anchor_findings
    report.checked.append("delivery")
    report.findings += await undelivered_findings(deps)
    return report
