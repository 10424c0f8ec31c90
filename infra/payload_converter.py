"""Temporal's pydantic payload converter, with one cache of pydantic TypeAdapters a process.

Temporal's worker makes a new payload converter for every workflow it runs, and the SDK's
pydantic converter keeps its TypeAdapters in a cache of its own. So every case workflow built
the same five adapters again (its input, two step results, a decision signal, `str | None`),
and each became cyclic garbage, for the collector to find, when the workflow left the worker's
cache (bench/RESULTS.md, wave 3 session 9). An adapter depends only on its type, never on the
payloads it reads, so one bounded cache serves every converter in the process.

Payloads are unchanged: writing is the SDK's own code; reading validates with the same
`TypeAdapter(type_hint).validate_json` the SDK uses, only fetched from the shared cache.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

# Types a process decodes are its workflows' and activities' inputs, results and signals: a
# few dozen. The bound only guards against a caller making types at run time.
MAX_ADAPTERS = 1024


@functools.lru_cache(maxsize=MAX_ADAPTERS)
def shared_adapter(type_hint: Any) -> TypeAdapter[Any]:
    """The process's adapter for `type_hint` (hashable), built on first use."""
    return TypeAdapter(type_hint)


def adapter_for(type_hint: Any) -> TypeAdapter[Any]:
    """The shared adapter; a fresh one for a hint that cannot be a cache key (unhashable)."""
    try:
        hash(type_hint)
    except TypeError:
        return TypeAdapter(type_hint)
    return shared_adapter(type_hint)


class SharedAdapterJSONConverter(PydanticJSONPlainPayloadConverter):
    """The SDK's "json/plain" pydantic converter, reading through `adapter_for`."""

    def __init__(self) -> None:
        # Its own cache stays empty: every read goes through the shared one.
        super().__init__(max_cached_type_adapters=0)

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        hint = type_hint if type_hint is not None else Any
        return adapter_for(hint).validate_json(payload.data)


class SharedAdapterPayloadConverter(CompositePayloadConverter):
    """The SDK's `PydanticPayloadConverter` with the JSON converter above in its place."""

    def __init__(self) -> None:
        json_converter = SharedAdapterJSONConverter()
        super().__init__(
            *(
                json_converter if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


shared_pydantic_converter = DataConverter(payload_converter_class=SharedAdapterPayloadConverter)
