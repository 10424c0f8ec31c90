"""The audit chain, pure: canonical form, hashes, and what `verify_chain` names."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from domain.audit import (
    GENESIS,
    Anchor,
    AuditEntry,
    action_of,
    actor_and_role,
    canonical,
    heads_digest,
    redact_secrets,
    seal,
    seal_anchor,
    verify_chain,
)
from domain.case_clocks import CHINA

T0 = datetime(2026, 9, 29, 1, 30, tzinfo=UTC)


def chain(n: int, case_id: str = "LB-1") -> list[AuditEntry]:
    out, prev = [], GENESIS
    for i in range(1, n + 1):
        e = AuditEntry(
            seq=i,
            case_id=case_id,
            event_id=f"00000000-0000-0000-0000-{i:012d}",
            event_type="DepartmentDecided",
            occurred_at=T0 + timedelta(minutes=i),
            actor=f"reviewer-{i}",
            role="department_reviewer",
            action="DepartmentDecided",
            data={"department": f"d{i}", "outcome": "approve", "reasons": ["一"]},
        )
        sealed = seal(e, prev)
        out.append(sealed)
        prev = sealed.hash
    return out


def test_canonical_form_and_hash_are_fixed() -> None:
    e = chain(1)[0]
    text = canonical(e).decode()
    assert text.startswith('{"action":"DepartmentDecided","actor":"reviewer-1","case_id":"LB-1"')
    assert '"occurred_at":"2026-09-29T01:31:00.000000+00:00"' in text
    assert '"reasons":["一"]' in text and " " not in text.replace("reviewer-", "")
    assert e.hash == hashlib.sha256((GENESIS + text).encode()).hexdigest()


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    e = chain(1)[0]
    local = e.occurred_at.astimezone(CHINA)
    assert seal(replace(e, occurred_at=local), GENESIS).hash == e.hash


def test_an_intact_chain_has_no_break() -> None:
    entries = chain(6)
    assert verify_chain("LB-1", entries, (6, entries[-1].hash)) == []


def test_a_changed_entry_is_altered() -> None:
    entries = chain(6)
    entries[2] = replace(entries[2], data={**entries[2].data, "outcome": "reject"})
    [b] = verify_chain("LB-1", entries)
    assert (b.kind, b.seq, b.event_id) == ("altered", 3, entries[2].event_id)


def test_a_deleted_entry_is_missing_before_the_next() -> None:
    entries = chain(6)
    del entries[2]
    [b] = verify_chain("LB-1", entries)
    assert (b.kind, b.seq) == ("missing", 4)
    assert "seq 3 deleted" in b.detail and "after seq 2" in b.detail


def test_two_swapped_entries_are_both_reordered() -> None:
    entries = chain(6)
    a, b = entries[2], entries[3]
    entries[2], entries[3] = replace(b, seq=3), replace(a, seq=4)
    breaks = verify_chain("LB-1", entries)
    assert {(x.kind, x.event_id) for x in breaks} == {
        ("reordered", a.event_id),
        ("reordered", b.event_id),
    }


def test_a_rehashed_entry_shows_at_the_next_link() -> None:
    entries = chain(4)
    forged = seal(replace(entries[1], actor="someone else"), entries[0].hash)
    entries[1] = forged
    [b] = verify_chain("LB-1", entries)
    assert (b.kind, b.seq) == ("relinked", 3)


def test_a_dropped_tail_shows_against_the_head() -> None:
    entries = chain(5)
    head = (5, entries[-1].hash)
    [b] = verify_chain("LB-1", entries[:4], head)
    assert b.kind == "head_mismatch" and "recorded head is seq 5" in b.detail


def test_who_acted_is_read_from_the_event() -> None:
    assert actor_and_role("DepartmentDecided", "x", {"reviewer": "王工"}) == (
        "王工",
        "department_reviewer",
    )
    ops = {"actor": "ops-1", "role": "operator", "action": "remind"}
    assert actor_and_role("OperatorActionRecorded", "lianban-operations", ops) == (
        "ops-1",
        "operator",
    )
    assert action_of("OperatorActionRecorded", ops) == "operator:remind"
    assert actor_and_role("CaseAccepted", "lianban-orchestrator", {}) == (
        "lianban-orchestrator",
        "system",
    )
    ext = {"approver": "李局", "approver_role": "government_head"}
    assert actor_and_role("ExtensionGranted", "x", ext) == ("李局", "government_head")
    window = {"channel": "window"}
    assert actor_and_role("ApplicationSubmitted", "lianban-api", window) == ("lianban-api", "clerk")


def test_credentials_never_reach_the_log() -> None:
    data = {"query_code": "123456", "applicant": {"name": "张伟"}, "items": [{"query_code": "1"}]}
    assert redact_secrets(data) == {
        "query_code": "[redacted]",
        "applicant": {"name": "张伟"},
        "items": [{"query_code": "[redacted]"}],
    }


def test_anchors_chain_and_digest_every_head() -> None:
    heads = [("LB-2", 3, "b" * 64), ("LB-1", 5, "a" * 64)]
    assert heads_digest(heads) == heads_digest(list(reversed(heads)))
    first = seal_anchor(Anchor(1, T0, 10, 2, 8, heads_digest(heads)), GENESIS)
    second = seal_anchor(Anchor(2, T0, 12, 2, 9, heads_digest(heads[:1])), first.hash)
    assert second.prev_hash == first.hash
    assert seal_anchor(replace(first, entries=9), GENESIS).hash != first.hash
