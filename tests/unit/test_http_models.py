"""The HTTP API has models of its own: no workflow payload is a request or answer body, so an API
field change is never a change to what workflow histories hold (and the other way round)."""

from __future__ import annotations

from enum import Enum
from types import SimpleNamespace
from typing import Any, get_args

from fastapi._compat import get_flat_models_from_fields
from fastapi.openapi.utils import get_fields_from_routes
from pydantic import BaseModel

from entrypoints.http import openapi
from entrypoints.http.app import create_app
from events.contracts import (
    Applicant,
    ApplicantKind,
    Channel,
    DecisionOutcome,
    MaterialRef,
    Payload,
)
from infra.settings import Settings

# The parts of the Kafka contracts that the API takes by contract: `POST /cases` is the
# submission (`ApplicationSubmitted`'s applicant, channel and materials) and `POST /tasks/…/
# decision` a department's decision (its outcome), the same JSON as on the topics
# (docs/contracts.md). Sharing them keeps the two ways in from drifting apart; an event's own
# payload class is never a body.
BY_CONTRACT = {Applicant, ApplicantKind, Channel, MaterialRef, DecisionOutcome}


def _with_nested(annotation: Any, found: set[type[Any]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel | Enum):
        if annotation in found:
            return
        found.add(annotation)
        for field in getattr(annotation, "model_fields", {}).values():
            _with_nested(field.annotation, found)
    for arg in get_args(annotation):
        _with_nested(arg, found)


def _schema_models() -> tuple[set[type[Any]], dict[str, Any]]:
    """The classes behind the OpenAPI document's component schemas, and the components."""
    app = create_app(SimpleNamespace(settings=Settings()))  # type: ignore[arg-type]
    models: set[type[Any]] = get_flat_models_from_fields(
        get_fields_from_routes(app.routes), known_models=set()
    )
    for model in openapi.DECLARED:  # put in the document by entrypoints.http.openapi
        _with_nested(model, models)
    return models, app.openapi()["components"]["schemas"]


def test_every_component_schema_comes_from_a_model_found() -> None:
    """The walk below sees every model the document holds (so it cannot pass by missing one)."""
    models, schemas = _schema_models()
    assert len(schemas) > 50
    assert {schema["title"] for schema in schemas.values()} == {m.__name__ for m in models}


def test_no_workflow_model_is_in_the_api_schema() -> None:
    models, _ = _schema_models()
    from_workflows = sorted(m.__qualname__ for m in models if m.__module__.startswith("workflows"))
    assert from_workflows == [], "workflow payloads in the API schema (use entrypoints/http)"


def test_only_contract_parts_the_api_takes_by_contract_come_from_events() -> None:
    models, _ = _schema_models()
    from_events = {m for m in models if m.__module__.startswith("events")}
    assert from_events <= BY_CONTRACT, from_events - BY_CONTRACT
    assert not [m for m in models if isinstance(m, type) and issubclass(m, Payload)]
