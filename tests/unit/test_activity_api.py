"""Every activity a workflow may call is declared once (`workflows.activity_api`) and the worker
registers an implementation under the same name with the same input and result types."""

from __future__ import annotations

import inspect
import typing
from typing import Any

from temporalio import activity

from activities.cases import CaseActivities
from activities.clocks import ClockActivities
from activities.operations import OperationActivities
from activities.window import WindowActivities
from domain.catalog import SHIPPED_CATALOG, load_catalog
from events.topics import Topics
from workflows.activity_api import INTERFACES


def _name(fn: Any) -> str:
    name = activity._Definition.must_from_callable(fn).name
    assert name is not None
    return name


def _registered() -> dict[str, Any]:
    """What `entrypoints.worker.build_worker` registers, by activity name."""
    parts: tuple[Any, ...] = (None, load_catalog(SHIPPED_CATALOG), Topics(), lambda: None)
    found: list[Any] = [
        *CaseActivities(*parts).all(),
        *ClockActivities(*parts).all(),
        *WindowActivities(*parts).all(),
        *OperationActivities(*parts, endpoints={}).all(),
    ]
    return {_name(fn): fn for fn in found}


def _declared() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for interface in INTERFACES:
        for _, fn in inspect.getmembers(interface, inspect.iscoroutinefunction):
            out[_name(fn)] = fn
    return out


def _types(fn: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(fn)
    return {k: v for k, v in hints.items() if k != "self"}


def test_every_declared_activity_has_an_implementation_with_its_types() -> None:
    declared, registered = _declared(), _registered()
    assert set(declared) == set(registered)
    for name, stub in declared.items():
        assert list(_types(registered[name]).values()) == list(_types(stub).values()), name


def test_names_are_the_ones_stored_histories_use() -> None:
    assert set(_declared()) == {
        "prepare_case",
        "record_acceptance",
        "publish_review_task",
        "record_decision",
        "record_conclusion",
        "issue_licence",
        "record_clock_change",
        "record_warning",
        "record_desk_step",
        "record_corrections",
        "department_endpoint",
        "deliver_review_task",
        "record_termination",
    }
