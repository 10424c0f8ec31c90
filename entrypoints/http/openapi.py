"""The OpenAPI document says what the API really answers (checked by tests/e2e/test_api_fuzz.py).

FastAPI declares its own 422 body (`{"detail": [{"loc", "msg", "type"}]}`), which is not what
the error handlers send, and puts a route's error models under the route's media type (an HTML
page's 401 would be `text/html`). Here every 4xx, and the 503 any route may answer, is declared
as the JSON body the handlers in `entrypoints.http.app` send: `Problem`, and `InvalidRequest`
for 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from entrypoints.http.schemas import InvalidRequest, Problem

REF = "#/components/schemas/{model}"
METHODS = {"get", "put", "post", "delete", "patch"}
# The models this module puts in the document itself (the routes bring the others).
DECLARED = (Problem, InvalidRequest)


def _json(model: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(model=model)}}}


def _tuples_as_arrays(node: Any) -> None:
    """`prefixItems` (a tuple, valid OpenAPI 3.1) as an array of any of its item types: some
    OpenAPI tools (schemathesis 4 among them) read `prefixItems` as the draft-4 list `items`."""
    if isinstance(node, dict):
        if "prefixItems" in node:
            node["items"] = {"anyOf": node.pop("prefixItems")}
        for value in node.values():
            _tuples_as_arrays(value)
    elif isinstance(node, list):
        for value in node:
            _tuples_as_arrays(value)


def _declare_errors(spec: dict[str, Any]) -> None:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for model in DECLARED:
        doc = model.model_json_schema(ref_template=REF)
        schemas.update(doc.pop("$defs", {}))
        schemas[model.__name__] = doc
    for item in spec.get("paths", {}).values():
        for method, op in item.items():
            if method not in METHODS:
                continue
            responses = op.setdefault("responses", {})
            if op.get("requestBody"):
                # The body limit (entrypoints.http.limits) and a body that is not JSON.
                responses.setdefault("413", {"description": "Request body over the limit"})
                responses.setdefault("422", {"description": "Invalid request"})
            # Any route may meet a database that cannot write (its disk full) or does not
            # answer: `storage_full` or `database_unavailable`; nothing was done, retry later.
            responses.setdefault("503", {"description": "Unavailable; safe to retry"})
            for status, answer in responses.items():
                if status.startswith("4") or (status == "503" and "content" not in answer):
                    answer["content"] = _json("InvalidRequest" if status == "422" else "Problem")
    # Nothing refers to FastAPI's own validation bodies any more.
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)


def install(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = generate()
            _declare_errors(spec)
            _tuples_as_arrays(spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
