"""Pre-review and the merge rule."""

from __future__ import annotations

import pytest

from domain.catalog import load_catalog
from domain.review import Verdict, merge, prereview
from events.contracts import CaseOutcome, DecisionOutcome

CATALOG = load_catalog()
CONSTRUCTION = CATALOG.matter("IND-CONSTRUCTION")
ALL_MATERIALS = [m.code for m in CONSTRUCTION.materials] if CONSTRUCTION else []


def v(dept: str, outcome: str = "approve", **kw: object) -> Verdict:
    return Verdict(department=dept, outcome=DecisionOutcome(outcome), **kw)  # type: ignore[arg-type]


def test_all_approve_grants_and_collects_conditions() -> None:
    result = merge(
        [v("fire"), v("env", "approve_with_conditions", conditions=["降噪", "夜间停工"])]
    )
    assert result.outcome is CaseOutcome.granted
    assert result.conditions == ["[env] 降噪", "[env] 夜间停工"]
    assert result.reasons == []


def test_any_rejection_refuses_with_every_rejecting_reason() -> None:
    result = merge(
        [
            v("fire", "reject", reasons=["通道不足"]),
            v("nrp"),
            v("env", "reject", reasons=["超标", "选址敏感"]),
            v("cad", "approve_with_conditions", conditions=["配建人防"]),
        ]
    )
    assert result.outcome is CaseOutcome.refused
    assert result.reasons == ["[fire] 通道不足", "[env] 超标", "[env] 选址敏感"]
    assert result.conditions == []


def test_opinion_only_rejection_is_an_opinion_not_a_refusal() -> None:
    result = merge([v("samr"), v("health", "reject", reasons=["健康证缺失"], opinion_only=True)])
    assert result.outcome is CaseOutcome.granted
    assert result.opinions == ["[health] 健康证缺失"]


def test_merge_refuses_non_final_or_empty_input() -> None:
    with pytest.raises(ValueError, match="not a final verdict"):
        merge([v("fire", "request_corrections", reasons=["补图纸"])])
    with pytest.raises(ValueError, match="at least one deciding"):
        merge([v("health", opinion_only=True)])


def test_prereview_accepts_complete_application() -> None:
    pre = prereview(CONSTRUCTION, "IND-CONSTRUCTION", ALL_MATERIALS)
    assert pre.accepted and not pre.tolerant and pre.reasons == []


def test_prereview_tolerates_missing_optional_material() -> None:
    pre = prereview(CONSTRUCTION, "IND-CONSTRUCTION", [c for c in ALL_MATERIALS if c != "cad-plan"])
    assert pre.accepted and pre.tolerant and pre.missing_optional == ["cad-plan"]


def test_prereview_refuses_unknown_matter_and_missing_essential() -> None:
    assert prereview(None, "X", []).reasons == ["unknown matter 'X'"]
    pre = prereview(CONSTRUCTION, "IND-CONSTRUCTION", ["application-form"])
    assert not pre.accepted
    assert len(pre.reasons) == 4 and all("missing essential" in r for r in pre.reasons)
