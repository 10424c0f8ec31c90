"""Every stalled reason offers actions on the operator's page, each one the page can run; every
dead-letter error the contract names has its words and remedy on the dead letters page."""

from __future__ import annotations

import re
from pathlib import Path

from entrypoints.web.ops_pages import ACTIONS, OFFERS
from entrypoints.web.ops_words import ERRORS
from infra.i18n import known
from services.operators.stalled import REASONS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_stalled_reason_is_actionable_from_the_page() -> None:
    assert set(OFFERS) == set(REASONS)
    assert all(known("stalled reason", r) for r in REASONS)
    offered = {a for actions in OFFERS.values() for a in actions}
    assert all(OFFERS[r] for r in REASONS)
    assert offered <= set(ACTIONS)
    assert all(known("operator action", a) for a in offered)


def test_a_dead_letter_can_always_be_discarded_from_the_stalled_list() -> None:
    assert "dead_letter_discard" in OFFERS["dead_letter"]


def test_every_documented_dead_letter_error_has_words_and_a_remedy() -> None:
    table = (DOCS / "contracts.md").read_text().split("(dead-letters)\n")[1]
    table = table.split("\n## ")[0]
    documented = set(re.findall(r"^\| `([a-z_]+)`", table, re.MULTILINE)) - {"error"}
    assert len(documented) >= 18
    assert documented == set(ERRORS)
    assert all(known("dead letter error", e) and known("dead letter remedy", e) for e in ERRORS)
