"""Every event type is complete: registered, folded, shown in the timeline, its topic deployed,
its contract written down, and read by a consumer when it comes in.

An event type is one payload class in `events/contracts.py`; these checks name what else a new
one needs (docs/how-to-change.md "Add or change an event type"), each failing with the type
and the place it is missing from.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

import events
from domain.audit_fold import FOLDS
from domain.audit_timeline import SUMMARIES
from events.contracts import Payload
from events.registry import PAYLOADS, _payload_classes, in_case_log, inbound
from events.topics import Topic, Topics
from services.handlers import HANDLERS

ROOT = Path(__file__).parents[2]
TYPES = sorted(PAYLOADS.values(), key=lambda cls: cls.EVENT_TYPE)
LOGGED = [cls for cls in TYPES if cls.CASE_LOG]
PUBLISHED = [cls for cls in TYPES if cls.TOPIC is not None]
CASE_LOG_ONLY = "case log only"


def _name(cls: type[Payload]) -> str:
    return cls.EVENT_TYPE


@cache
def deployed_topics() -> dict[str, set[str]]:
    """The topic names each deployment file creates."""
    strimzi = yaml.safe_load_all((ROOT / "deploy/strimzi/topics.yaml").read_text("utf-8"))
    compose = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text("utf-8"))
    script = "\n".join(compose["services"]["kafka-topics"]["command"])
    return {
        "deploy/strimzi/topics.yaml": {doc["metadata"]["name"] for doc in strimzi if doc},
        "deploy/compose.yaml": set(re.findall(r"^\s*t (\S+) ", script, re.M)),
    }


@cache
def documented() -> dict[str, set[str]]:
    """docs/contracts.md: each event type named by a section heading (`## `Type` (topic)`) or
    by the first cell of a table row, with the topic of the section it stands in: what its
    heading ends with in parentheses, or "case log only" under the heading "Case log only"."""
    found: dict[str, set[str]] = {}
    topic = None
    for line in (ROOT / "docs/contracts.md").read_text("utf-8").splitlines():
        heading = re.match(r"^## (.*?)(?:\(([^)]*)\))?\s*$", line)
        if heading:
            topic = heading.group(2) or heading.group(1).strip().lower()
            names = re.findall(r"`(\w+)`", heading.group(1))
        else:
            names = re.findall(r"^\| `(\w+)` \|", line)
        for name in names:
            found.setdefault(name, set()).add(topic or "")
    return found


def test_every_payload_class_is_registered() -> None:
    """A payload class in any module of `events` is in the registry (a new module of them must
    be imported by `events.registry`)."""
    for module in pkgutil.iter_modules(events.__path__):
        importlib.import_module(f"events.{module.name}")
    defined = {cls for cls in _payload_classes() if cls.__module__.startswith("events.")}
    assert defined == set(PAYLOADS.values())


def test_every_topic_of_the_code_has_its_field() -> None:
    topics = Topics()
    for topic in Topic:
        assert topics.name(topic) == f"lianban.{topic.value}"
    assert set(topics.all()) == {topics.name(t) for t in Topic}


@pytest.mark.parametrize("cls", LOGGED, ids=_name)
def test_a_case_log_type_has_a_fold(cls: type[Payload]) -> None:
    assert cls in FOLDS, f"{cls.EVENT_TYPE}: no entry in domain/audit_fold.py FOLDS"


@pytest.mark.parametrize("cls", LOGGED, ids=_name)
def test_a_case_log_type_has_a_timeline_line(cls: type[Payload]) -> None:
    assert cls in SUMMARIES, f"{cls.EVENT_TYPE}: no entry in domain/audit_timeline.py SUMMARIES"


def test_fold_and_timeline_hold_only_case_log_types() -> None:
    assert set(FOLDS) == set(in_case_log())
    assert set(SUMMARIES) == set(in_case_log())


@pytest.mark.parametrize("cls", PUBLISHED, ids=_name)
def test_its_topic_is_deployed(cls: type[Payload]) -> None:
    assert cls.TOPIC is not None
    name = Topics().name(cls.TOPIC)
    for path, names in deployed_topics().items():
        assert name in names, f"{cls.EVENT_TYPE} travels on {name}, which {path} does not create"


@pytest.mark.parametrize("cls", TYPES, ids=_name)
def test_its_contract_is_written_down(cls: type[Payload]) -> None:
    where = cls.TOPIC.value if cls.TOPIC else CASE_LOG_ONLY
    sections = documented().get(cls.EVENT_TYPE, set())
    assert sections, f"{cls.EVENT_TYPE}: no heading or table row in docs/contracts.md"
    assert where in sections, f"{cls.EVENT_TYPE} is documented under {sections}, not ({where})"


def test_every_inbound_type_has_a_handler() -> None:
    """The consumers read the registry's inbound topics; each type on them is applied."""
    assert set(HANDLERS) == set(inbound().values())
