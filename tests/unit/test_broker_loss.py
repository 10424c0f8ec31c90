"""How the relay tells that the broker lost records: the ledger of what it must hold."""

from __future__ import annotations

from datetime import UTC, datetime

from infra.broker_loss import BrokerLedger, RecoveryLog

TOPICS = ["p.review-tasks", "p.case-events"]


def _whole(ledger: BrokerLedger, ends: dict[tuple[str, int], int]) -> str | None:
    return ledger.check(TOPICS, set(TOPICS), ends)


def test_a_broker_that_keeps_what_it_acknowledged_is_whole() -> None:
    ledger = BrokerLedger()
    assert not ledger.published("p.review-tasks", 0, 0)
    assert not ledger.published("p.review-tasks", 0, 1)
    assert _whole(ledger, {("p.review-tasks", 0): 2, ("p.case-events", 0): 0}) is None
    # Others publish too: ends may grow past what the relay knows.
    assert _whole(ledger, {("p.review-tasks", 0): 7, ("p.case-events", 0): 3}) is None


def test_an_offset_that_goes_backwards_is_a_loss_at_once() -> None:
    ledger = BrokerLedger()
    for offset in range(5):
        ledger.published("p.case-events", 1, offset)
    assert ledger.published("p.case-events", 1, 0)  # the broker restarted empty
    reason = _whole(ledger, {("p.case-events", 1): 1})
    assert reason is not None and "offset 0" in reason


def test_a_partition_that_ends_below_what_was_acknowledged_or_seen_is_a_loss() -> None:
    ledger = BrokerLedger()
    ledger.published("p.review-tasks", 2, 9)
    reason = _whole(ledger, {("p.review-tasks", 2): 3})
    assert reason is not None and "p.review-tasks[2] ends at 3, below 10" in reason
    # A partition the relay never wrote to, seen at 4 before, now at 0.
    other = BrokerLedger()
    assert _whole(other, {("p.case-events", 0): 4}) is None
    assert _whole(other, {("p.case-events", 0): 0}) is not None


def test_a_missing_topic_is_a_loss_once_it_was_seen_or_published_to() -> None:
    ledger = BrokerLedger()
    # First start: nothing seen, nothing published: missing topics are only to be created.
    assert ledger.check(TOPICS, set(), {}) is None
    assert ledger.check(TOPICS, set(), {}, published_to={"p.case-events"}) is not None
    assert _whole(ledger, {("p.review-tasks", 0): 0, ("p.case-events", 0): 0}) is None
    reason = ledger.check(TOPICS, {"p.case-events"}, {("p.case-events", 0): 0})
    assert reason == "topic p.review-tasks is missing"


def test_restarted_together_an_empty_topic_that_was_published_to_is_a_loss() -> None:
    ledger = BrokerLedger()
    ends = {("p.review-tasks", 0): 0, ("p.review-tasks", 1): 0, ("p.case-events", 0): 5}
    reason = ledger.check(TOPICS, set(TOPICS), ends, published_to={"p.review-tasks"})
    assert reason is not None and "holds no record" in reason
    # After the recovery the new incarnation is the reference: an empty topic is fine then.
    ledger.reset(ends)
    assert ledger.check(TOPICS, set(TOPICS), ends, published_to={"p.review-tasks"}) is None
    assert ledger.partitions() == {"p.review-tasks": 2, "p.case-events": 1}


def test_the_recovery_log_says_what_happened() -> None:
    log = RecoveryLog()
    assert log.summary() == ""
    log.record(datetime(2026, 11, 28, 9, 0, tzinfo=UTC), "topic x is missing", 12)
    assert log.recoveries == 1
    assert "1 broker loss(es)" in log.summary() and "12 events re-published" in log.summary()
