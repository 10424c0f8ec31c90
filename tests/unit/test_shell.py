"""The pages' shell: each role's navigation bar, its home page, breadcrumbs; what a bad field
says in both languages."""

from __future__ import annotations

import pytest

from entrypoints.web import shell
from entrypoints.web.page_errors import PageError
from entrypoints.web.problems import by_field, field_name, problems
from infra.tokens import Principal, Role

# The list of pages, and who may use each (the routes check the same list).
EXPECTED = {
    Role.reviewer: (["inbox", "search"], "/inbox"),
    Role.dept_head: (["inbox", "search"], "/inbox"),
    Role.clerk: (["search"], "/search"),
    Role.operator: (["inbox", "search", "ops", "supervision"], "/ops"),
    Role.admin: (["inbox", "search", "ops", "auditor", "dashboard", "supervision"], "/ops"),
    Role.auditor: (["inbox", "search", "auditor", "dashboard", "supervision"], "/auditor"),
    Role.leader: (["dashboard", "supervision"], "/dashboard"),
    Role.government_head: (["search", "extensions"], "/extensions"),
    Role.applicant: ([], "/progress"),
}


def _who(role: Role) -> Principal:
    dept = "fire" if role in (Role.reviewer, Role.dept_head) else None
    return Principal(sub=f"{role.value}-1", role=role, dept=dept)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_its_pages_and_lands_on_its_own(role: Role) -> None:
    keys, home = EXPECTED[role]
    user = _who(role)
    assert [p.key for p in shell.places_for(user)] == keys
    assert shell.home_for(user) == home
    for place in shell.PLACES:
        if place.key in keys:
            shell.require(user, place.key)
        else:
            with pytest.raises(PageError) as refused:
                shell.require(user, place.key)
            assert refused.value.status == 403 and "无权访问此页" in refused.value.message


def test_breadcrumbs_start_at_home_once() -> None:
    clerk, reviewer = _who(Role.clerk), _who(Role.reviewer)
    assert [c.href for c in shell.crumbs(reviewer, ("LB-1", None))] == ["/inbox", None]
    # The clerk's home is the search: a trail starting there does not say it twice.
    trail = shell.crumbs(clerk, ("办件查询 Case search", "/search"), ("LB-1", None))
    assert [c.title for c in trail] == ["办件查询 Case search", "LB-1"]
    assert shell.crumbs(_who(Role.applicant), ("x", None))[0].title == "x"


def test_a_bad_field_is_named_in_both_languages() -> None:
    found = problems(
        [
            {"type": "literal_error", "loc": ("query", "view"), "msg": "...",
             "ctx": {"expected": "'open' or 'decided'"}},
            {"type": "string_too_long", "loc": ("body", "reasons", 3), "msg": "...",
             "ctx": {"max_length": 2000}},
            {"type": "missing", "loc": ("body", "outcome"), "msg": "Field required"},
            {"type": "something_new", "loc": ("query", "x"), "msg": "odd value"},
        ]
    )  # fmt: skip
    fields = by_field(found)
    assert fields["view"] == (
        "须为以下之一：'open' or 'decided' Must be one of: 'open' or 'decided'"
    )
    assert fields["reasons"] == "最多 2000 个字符 At most 2000 characters"
    assert fields["outcome"] == "此项必填 This field is required"
    assert fields["x"] == "不予接受：odd value Not accepted: odd value"
    assert field_name(()) == ""
