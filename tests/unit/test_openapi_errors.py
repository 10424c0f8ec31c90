"""The OpenAPI document declares the error bodies the handlers send (schemathesis checks the
live answers against it in tests/e2e/test_api_fuzz.py; this is the quick look at the document)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastapi.testclient import TestClient

from entrypoints.http.app import create_app
from infra.settings import Settings


def _app() -> Any:
    return create_app(SimpleNamespace(settings=Settings()))  # type: ignore[arg-type]


def test_every_4xx_is_declared_as_the_json_error_body() -> None:
    spec = _app().openapi()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    seen = 0
    for item in spec["paths"].values():
        for op in item.values():
            for status, answer in op["responses"].items():
                if status.startswith("4"):
                    model = "InvalidRequest" if status == "422" else "Problem"
                    ref = {"$ref": f"#/components/schemas/{model}"}
                    assert answer["content"] == {"application/json": {"schema": ref}}
                    seen += 1
    assert seen > 100
    assert set(schemas["InvalidRequest"]["required"]) == {"error", "detail"}


def test_a_body_that_is_not_json_is_a_422_naming_the_body() -> None:
    with TestClient(_app()) as http:
        r = http.post(
            "/public/progress", content=b"\xff{", headers={"Content-Type": "application/json"}
        )
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request"
    assert r.json()["detail"][0]["field"] == "body"
