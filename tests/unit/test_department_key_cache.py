"""The department keys cache's state (infra.department_keys.KeyTable): no database, a clock
given by the test."""

from __future__ import annotations

from datetime import UTC, datetime

from infra.department_keys import MISS, DepartmentKey, KeyTable

FIRE = DepartmentKey("fire-1", "fire", "AAAA", None)
REVOKED = DepartmentKey("fire-1", "fire", "AAAA", datetime(2026, 12, 6, tzinfo=UTC))


def test_a_key_read_once_is_answered_from_the_cache_until_forgotten() -> None:
    table = KeyTable(interval=1.0)
    assert table.get("fire-1", 0.0) is MISS
    table.put("fire-1", FIRE, table.epoch, 0.0)
    assert table.get("fire-1", 1000.0) == FIRE  # a known key does not expire by itself
    table.forget()
    assert table.get("fire-1", 1000.0) is MISS


def test_an_unknown_key_id_is_remembered_for_one_interval_only() -> None:
    table = KeyTable(interval=1.0)
    table.put("nope", None, table.epoch, 10.0)
    assert table.get("nope", 10.5) is None
    assert table.get("nope", 11.0) is MISS  # read again: it may have been added since


def test_a_read_that_started_before_the_cache_forgot_is_not_kept() -> None:
    table = KeyTable()
    epoch = table.epoch  # a read starts, sees the key not yet revoked …
    table.forget()  # … the revocation's notification arrives …
    table.put("fire-1", FIRE, epoch, 0.0)  # … then the read ends: its answer may be stale
    assert table.get("fire-1", 0.0) is MISS
    table.put("fire-1", REVOKED, table.epoch, 0.0)
    assert table.get("fire-1", 0.0) == REVOKED


def test_a_flood_of_made_up_key_ids_keeps_at_most_the_bound() -> None:
    table = KeyTable(interval=1.0, max_entries=100)
    table.put("fire-1", FIRE, table.epoch, 0.0)
    for i in range(10_000):
        table.put(f"made-up-{i}", None, table.epoch, 0.0)
    assert len(table.unknown) == 100 and "made-up-9999" in table.unknown
    assert "made-up-0" not in table.unknown  # the oldest went first
    assert table.get("fire-1", 0.0) == FIRE  # real keys are not pushed out by made-up ones


def test_the_generation_is_due_once_an_interval_and_a_change_forgets_everything() -> None:
    table = KeyTable(interval=1.0)
    assert table.generation_due(0.0)
    table.saw_generation(7, 0.0)
    table.put("fire-1", FIRE, table.epoch, 0.0)
    assert not table.generation_due(0.99)
    assert table.generation_due(1.0)
    table.saw_generation(7, 1.0)  # unchanged: the cache stays
    assert table.get("fire-1", 1.0) == FIRE
    table.saw_generation(8, 2.0)  # a key was added or revoked somewhere
    assert table.get("fire-1", 2.0) is MISS


def test_the_first_generation_read_forgets_what_was_cached_unproven() -> None:
    # E.g. on PostgreSQL after the listening connection was lost silently: what it had cached
    # may have changed while no notification came.
    table = KeyTable()
    table.put("fire-1", FIRE, table.epoch, 0.0)
    table.saw_generation(3, 0.0)
    assert table.get("fire-1", 0.0) is MISS
