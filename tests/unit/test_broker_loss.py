"""How the relay tells that the broker lost records: the ledger of what it must still hold."""

from __future__ import annotations

from datetime import UTC, datetime

from infra.broker_loss import BrokerLedger, RecoveryLog, identity

TOPICS = ["p.review-tasks", "p.case-events"]
A, B = identity(b'{"n": 1}'), identity(b'{"n": 2}')


def test_a_broker_that_keeps_what_it_acknowledged_is_whole() -> None:
    ledger = BrokerLedger()
    assert not ledger.published("p.review-tasks", 0, 0, A)
    assert not ledger.published("p.review-tasks", 0, 1, B)
    assert ledger.last_records() == {("p.review-tasks", 0): 1}
    assert ledger.check(TOPICS, TOPICS, {("p.review-tasks", 0): B}) is None
    # Retention deleted it: nothing can be told, nothing is assumed.
    assert ledger.check(TOPICS, TOPICS, {}) is None


def test_an_offset_that_goes_backwards_is_a_loss_at_once() -> None:
    ledger = BrokerLedger()
    for offset in range(5):
        ledger.published("p.case-events", 1, offset, A)
    assert ledger.published("p.case-events", 1, 0, B)  # the broker restarted empty
    reason = ledger.check(TOPICS, TOPICS, {})
    assert reason is not None and "took offset 0 after 4" in reason


def test_the_last_record_gone_or_replaced_is_a_loss() -> None:
    ledger = BrokerLedger()
    ledger.published("p.review-tasks", 2, 9, A)
    gone = ledger.check(TOPICS, TOPICS, {("p.review-tasks", 2): None})
    assert gone == "p.review-tasks[2]: the record published at 9 is gone"
    # Recreated and grown past offset 9 again before anyone looked.
    replaced = ledger.check(TOPICS, TOPICS, {("p.review-tasks", 2): B})
    assert replaced is not None and "is another record" in replaced


def test_a_missing_topic_is_a_loss_once_it_was_seen_or_published_to() -> None:
    ledger = BrokerLedger()
    # First start: nothing seen, nothing published: missing topics are only to be created.
    assert ledger.check(TOPICS, [], {}) is None
    assert ledger.check(TOPICS, [], {}, published_to={"p.case-events"}) is not None
    assert ledger.check(TOPICS, TOPICS, {}) is None
    reason = ledger.check(TOPICS, ["p.case-events"], {})
    assert reason == "topic p.review-tasks is missing"


def test_restarted_together_an_empty_topic_that_was_published_to_is_a_loss() -> None:
    ledger = BrokerLedger()
    reason = ledger.check(
        TOPICS, TOPICS, {}, empty={"p.review-tasks"}, published_to={"p.review-tasks"}
    )
    assert reason is not None and "holds no record" in reason
    # After the recovery the new incarnation is the reference: an empty topic is fine then.
    ledger.reset(TOPICS)
    assert ledger.check(TOPICS, TOPICS, {}, {"p.review-tasks"}, {"p.review-tasks"}) is None
    ledger.published("p.review-tasks", 3, 0, A)
    assert ledger.partitions() == {"p.review-tasks": 4}


def test_the_recovery_log_says_what_happened() -> None:
    log = RecoveryLog()
    assert log.summary() == ""
    log.record(datetime(2026, 11, 28, 9, 0, tzinfo=UTC), "topic x is missing", 12)
    assert log.recoveries == 1
    assert "1 broker loss(es)" in log.summary() and "12 events re-published" in log.summary()


def test_an_adopted_record_is_watched_until_the_relay_publishes_there() -> None:
    ledger = BrokerLedger()
    ledger.adopt("p.case-events", 0, 41, A)
    assert ledger.check(TOPICS, TOPICS, {("p.case-events", 0): None}) is not None
    ledger.adopt("p.case-events", 0, 3, B)  # never replaces what is watched
    assert ledger.last_records() == {("p.case-events", 0): 41}
    assert not ledger.published("p.case-events", 0, 42, B)
    assert ledger.check(TOPICS, TOPICS, {("p.case-events", 0): B}) is None
