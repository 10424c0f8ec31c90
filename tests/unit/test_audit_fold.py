"""Replay, pure: folding a case's entries to any moment; the timeline; blaming an entry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.audit import GENESIS, AuditEntry, seal
from domain.audit_fold import blame, fold
from domain.audit_timeline import describe, timeline

T0 = datetime(2026, 9, 29, 1, 0, tzinfo=UTC)
STEPS: list[tuple[str, dict[str, Any]]] = [
    (
        "ApplicationSubmitted",
        {
            "matter_code": "RESTAURANT-OPENING",
            "title": "川味小馆",
            "applicant": {"kind": "citizen", "name": "张伟", "id_number": "110101********7774"},
            "channel": "window",
            "materials": [{"code": "application-form", "name": None, "ref": "oss://a"}],
        },
    ),
    (
        "CaseAccepted",
        {
            "matter_code": "RESTAURANT-OPENING",
            "departments": ["fire", "samr"],
            "statutory_due": "2026-10-27",
            "promised_due": "2026-10-19",
            "accepted_on": "2026-09-29",
        },
    ),
    (
        "ReviewTaskAssigned",
        {"task_id": "LB-1.fire", "department": "fire", "due_date": "2026-10-19"},
    ),
    (
        "ReviewTaskAssigned",
        {"task_id": "LB-1.samr", "department": "samr", "due_date": "2026-10-19"},
    ),
    (
        "ClockPaused",
        {
            "kind": "testing",
            "notice_ref": "N-1",
            "started_on": "2026-10-08",
            "requested_by": "fire-王工",
            "statutory_due": "2026-11-03",
            "promised_due": "2026-10-23",
        },
    ),
    (
        "DepartmentDecided",
        {"department": "fire", "outcome": "approve", "reviewer": "王工", "reasons": []},
    ),
    (
        "ClockResumed",
        {
            "notice_ref": "N-1",
            "ended_on": "2026-10-12",
            "paused_days": 3,
            "requested_by": "fire-王工",
            "statutory_due": "2026-10-30",
            "promised_due": "2026-10-22",
        },
    ),
    (
        "CaseWarningRaised",
        {"level": "yellow", "due_at": "2026-10-21T16:00:00Z", "fired_at": "2026-10-21T16:00:00Z"},
    ),
    (
        "ExtensionGranted",
        {
            "approver": "李局",
            "approver_role": "organ_head",
            "reason": "复杂",
            "extension_days": 10,
            "statutory_due": "2026-11-13",
        },
    ),
    (
        "DepartmentDecided",
        {"department": "samr", "outcome": "reject", "reviewer": "赵科", "reasons": ["证照不全"]},
    ),
    ("CaseConcluded", {"outcome": "refused", "reasons": ["[samr] 证照不全"], "conditions": []}),
]


def entries() -> list[AuditEntry]:
    out, prev = [], GENESIS
    for i, (event_type, data) in enumerate(STEPS, start=1):
        e = AuditEntry(
            seq=i,
            case_id="LB-1",
            event_id=f"e{i}",
            event_type=event_type,
            occurred_at=T0 + timedelta(days=i),
            actor="x",
            role="system",
            action=event_type,
            data=data,
        )
        out.append(seal(e, prev))
        prev = out[-1].hash
    return out


def at(seq: int) -> datetime:
    """Just after the entry `seq` happened."""
    return T0 + timedelta(days=seq, hours=1)


def test_the_whole_record_folds_to_the_outcome() -> None:
    s = fold("LB-1", entries())
    assert (s.status, s.outcome, s.reasons) == ("concluded", "refused", ["[samr] 证照不全"])
    assert s.decided == ["fire", "samr"]
    assert s.tasks["samr"].reviewer == "赵科" and s.tasks["samr"].reasons == ["证照不全"]
    assert s.clocks.extension_days == 10 and s.clocks.statutory_due == date(2026, 11, 13)
    assert [w["level"] for w in s.warnings] == ["yellow"] and s.warning_level == "yellow"
    assert s.applicant_name == "张伟" and s.channel == "window"
    assert s.last_seq == len(STEPS)


def test_replay_to_a_moment_shows_the_clocks_as_they_stood() -> None:
    paused = fold("LB-1", entries(), at(5))
    assert paused.status == "in_review" and paused.clocks.paused
    assert paused.clocks.promised_due == date(2026, 10, 23)
    assert paused.tasks["samr"].due_date == date(2026, 10, 23)  # open tasks move with it
    assert paused.decided == [] and paused.warnings == []
    resumed = fold("LB-1", entries(), at(7))
    assert not resumed.clocks.paused and resumed.clocks.paused_days == 3
    assert resumed.decided == ["fire"]
    assert resumed.tasks["samr"].due_date == date(2026, 10, 22)
    assert resumed.tasks["fire"].due_date == date(2026, 10, 23)  # decided: its due stays
    assert resumed.clocks.pauses[0]["ended_on"] == "2026-10-12"
    before = fold("LB-1", entries(), T0)
    assert before.status == "unknown" and before.last_seq == 0


def test_the_timeline_says_who_did_what() -> None:
    lines = timeline(entries(), at(6))
    assert [line.seq for line in lines] == [1, 2, 3, 4, 5, 6]
    assert lines[5].summary == "fire: approve by 王工"
    assert "statutory due 2026-10-27, promised due 2026-10-19" in lines[1].summary
    assert describe(entries()[4]).startswith("testing N-1 from 2026-10-08: clock paused")
    tampered = replace(entries()[0], event_type="CorrectionRequested", data={"items": 5})
    assert describe(tampered) == "CorrectionRequested (unreadable data)"


def test_blame_finds_the_entry_that_set_a_value() -> None:
    found = blame("LB-1", entries(), lambda s: s.clocks.statutory_due)
    assert found is not None and found.event_type == "ExtensionGranted"
    assert blame("LB-1", entries(), lambda s: s.licence_number) is None


def test_a_supervision_step_has_its_own_line() -> None:
    data = {"supervision_id": 7, "action": "commented", "actor": "督查-刘", "text": "请加快"}
    step = replace(entries()[0], event_type="SupervisionUpdated", data=data)
    assert describe(step) == "supervision #7 commented by 督查-刘: 请加快"
    # It changes nothing the fold holds (the supervision table keeps the item's state).
    assert fold("LB-1", [step]).supervision == []
