"""Event contracts: round trip, envelope rules, unknown types and versions rejected."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from events import registry
from events.contracts import ApplicationSubmitted, DecisionMade, DecisionOutcome
from events.registry import EventRejected, decode, encode, make_envelope


def raw(**overrides: Any) -> bytes:
    doc = {
        "event_id": str(uuid.uuid4()),
        "event_type": "DecisionMade",
        "schema_version": 1,
        "case_id": "LB-1",
        "occurred_at": "2026-11-27T08:00:00+08:00",
        "producer": "fire-system",
        "data": {"department": "fire", "outcome": "approve", "reviewer": "王工"},
    }
    return json.dumps(doc | overrides).encode()


def test_round_trip_keeps_every_field() -> None:
    payload = DecisionMade(
        department="env",
        outcome=DecisionOutcome.approve_with_conditions,
        conditions=["噪声控制"],
        reviewer="李",
    )
    env = make_envelope(
        payload, case_id="LB-20261127-0001", producer="t", traceparent="00-ab-cd-01"
    )
    decoded = decode(encode(env))
    assert decoded.envelope == env
    assert decoded.payload == payload


def test_occurred_at_is_normalised_and_must_carry_a_zone() -> None:
    assert decode(raw()).envelope.occurred_at.utcoffset() is not None
    with pytest.raises(EventRejected) as exc:
        decode(raw(occurred_at="2026-11-27T08:00:00"))
    assert exc.value.code == "invalid_envelope"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (b"\xff", "malformed_json"),
        (b"42", "malformed_json"),
        (raw(event_type="Nope"), "unknown_event_type"),
        (raw(schema_version=2), "unsupported_schema_version"),
        (raw(schema_version=0), "invalid_envelope"),
        (raw(case_id="has space"), "invalid_envelope"),
        (raw(extra_field=1), "invalid_envelope"),
        (raw(data={"department": "fire", "outcome": "reject", "reviewer": "x"}), "invalid_payload"),
        (
            raw(data={"department": "fire", "outcome": "perhaps", "reviewer": "x"}),
            "invalid_payload",
        ),
    ],
)
def test_rejections_carry_a_code_and_a_detail(value: bytes, code: str) -> None:
    with pytest.raises(EventRejected) as exc:
        decode(value)
    assert exc.value.code == code
    assert exc.value.detail


def test_old_versions_are_upcast_step_by_step(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend DecisionMade is at v3 and v1/v2 payloads named the reviewer differently.
    monkeypatch.setattr(DecisionMade, "VERSION", 3)
    monkeypatch.setitem(
        registry.UPCASTERS,
        ("DecisionMade", 1),
        lambda d: {**{k: v for k, v in d.items() if k != "by"}, "reviewer_name": d["by"]},
    )
    monkeypatch.setitem(
        registry.UPCASTERS,
        ("DecisionMade", 2),
        lambda d: {
            **{k: v for k, v in d.items() if k != "reviewer_name"},
            "reviewer": d["reviewer_name"],
        },
    )
    old = raw(data={"department": "fire", "outcome": "approve", "by": "老王"})
    assert decode(old).payload == DecisionMade(
        department="fire", outcome=DecisionOutcome.approve, reviewer="老王"
    )


def test_missing_upcaster_is_a_clear_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ApplicationSubmitted, "VERSION", 3)  # v1 → v2 exists, v2 → v3 not
    with pytest.raises(EventRejected) as exc:
        decode(raw(event_type="ApplicationSubmitted", data={}))
    assert exc.value.code == "unsupported_schema_version"
    assert "cannot be upcast" in exc.value.detail
