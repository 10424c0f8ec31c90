"""Every activity a workflow may call is declared once (`workflows.activity_api`) and the worker
(`entrypoints.worker.build_activities`, what `build_worker` registers) has exactly one
implementation of it, under the same name, with the same input and result types."""

from __future__ import annotations

import inspect
import typing
from types import SimpleNamespace
from typing import Any, cast

import pytest

from domain.catalog import SHIPPED_CATALOG, load_catalog
from entrypoints.worker import build_activities
from events.topics import Topics
from infra.bootstrap import Deps
from infra.settings import Settings
from store.sealing import NO_KEYS
from workflows.activity_api import (
    INTERFACES,
    CaseSteps,
    activity_name,
    declaration_of,
    implements,
)

# The names stored histories use: renaming one breaks every running case.
STORED_NAMES = {
    "prepare_case",
    "record_acceptance",
    "publish_review_task",  # the first shape, per review
    "publish_review_tasks",  # CaseWorkflow, every task of the case at once
    "record_decision",
    "record_conclusion",
    "issue_licence",
    "record_outcome",
    "accept_and_assign",
    "record_clock_change",
    "record_warning",
    "record_desk_step",
    "record_corrections",
    "department_endpoint",  # the first shape, per review
    "department_endpoints",  # CaseWorkflow, once per case
    "deliver_review_task",
    "record_termination",
}


def _registered() -> list[Any]:
    deps = SimpleNamespace(
        sessions=None,
        catalog=load_catalog(SHIPPED_CATALOG),
        topics=Topics(),
        calendar=lambda: None,
        settings=Settings(),
        keyring=NO_KEYS,
    )
    return build_activities(cast(Deps, deps))


def _declared() -> list[Any]:
    return [
        fn
        for interface in INTERFACES
        for _, fn in inspect.getmembers(interface, inspect.iscoroutinefunction)
    ]


def _types(fn: Any) -> dict[str, Any]:
    return {k: v for k, v in typing.get_type_hints(fn).items() if k != "self"}


def test_names_are_the_ones_stored_histories_use() -> None:
    assert {activity_name(fn) for fn in _declared()} == STORED_NAMES


def test_the_worker_registers_one_implementation_of_each_declaration() -> None:
    registered = _registered()
    by_declaration = {declaration_of(fn.__func__): fn for fn in registered}
    assert len(by_declaration) == len(registered)
    assert set(by_declaration) == set(_declared())
    assert {activity_name(fn) for fn in registered} == STORED_NAMES


@pytest.mark.parametrize("step", _declared(), ids=activity_name)
def test_an_implementation_has_its_declarations_name_and_types(step: Any) -> None:
    (impl,) = [fn for fn in _registered() if declaration_of(fn.__func__) is step]
    assert activity_name(impl) == activity_name(step)
    assert impl.__name__ == step.__name__
    assert _types(impl) == _types(step)


def test_an_implementation_must_keep_the_declarations_method_name() -> None:
    with pytest.raises(TypeError, match="use its name"):

        @implements(CaseSteps.record_decision)
        async def record_it(self: Any, inp: Any) -> None: ...
