"""The payload converter with one TypeAdapter cache a process (infra/payload_converter.py)."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Annotated, Any

from temporalio.contrib.pydantic import pydantic_data_converter

from events.contracts import DecisionOutcome
from infra.payload_converter import SharedAdapterJSONConverter, shared_adapter
from infra.payload_crypto import data_converter
from workflows.models import DecisionSignal

SIGNAL = DecisionSignal(
    event_id="e-1",
    department="fire",
    outcome=DecisionOutcome.approve,
    reasons=["meets the fire code"],
    reviewer="fire-reviewer",
    decided_at=datetime(2026, 12, 7, 8, 30, tzinfo=UTC),
)
VALUES: list[Any] = [SIGNAL, None, "text", 3, {"a": [1, 2]}, date(2026, 12, 7), [SIGNAL]]
HINTS: list[Any] = [
    DecisionSignal,
    str | None,
    str,
    int,
    dict[str, list[int]],
    date,
    list[DecisionSignal],
]


def test_payloads_are_the_sdks_byte_for_byte_and_read_back_the_same() -> None:
    ours = data_converter(None, {}).payload_converter
    sdk = pydantic_data_converter.payload_converter
    mine, theirs = ours.to_payloads(VALUES), sdk.to_payloads(VALUES)
    assert [p.SerializeToString() for p in mine] == [p.SerializeToString() for p in theirs]
    assert ours.from_payloads(theirs, HINTS) == sdk.from_payloads(theirs, HINTS) == VALUES


def test_each_workflows_converter_reuses_the_process_adapters() -> None:
    """The worker makes a converter per workflow (`_new_payload_converter`); the second one
    must build no adapter the first one built."""
    converter = data_converter(None, {})
    payloads = converter.payload_converter.to_payloads([SIGNAL])
    converter._new_payload_converter().from_payloads(payloads, [DecisionSignal])
    built = shared_adapter.cache_info().misses
    hits = shared_adapter.cache_info().hits
    for _ in range(3):
        assert converter._new_payload_converter().from_payloads(payloads, [DecisionSignal]) == [
            SIGNAL
        ]
    assert shared_adapter.cache_info().misses == built
    assert shared_adapter.cache_info().hits == hits + 3


def test_the_encrypting_converter_shares_them_too() -> None:
    plain = data_converter(None, {})
    sealed = data_converter("k1", {"k1": base64.b64encode(bytes(32)).decode()})
    assert sealed.payload_codec is not None
    assert sealed.payload_converter_class is plain.payload_converter_class


def test_an_unhashable_hint_is_read_without_the_cache() -> None:
    hint = Annotated[int, ["metadata pydantic ignores"]]  # a list inside: unhashable
    converter = SharedAdapterJSONConverter()
    payload = converter.to_payload(5)
    assert payload is not None
    before = shared_adapter.cache_info()
    assert converter.from_payload(payload, hint) == 5
    after = shared_adapter.cache_info()
    assert (after.hits, after.misses) == (before.hits, before.misses)
