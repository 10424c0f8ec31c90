"""Object-level rules: whose case and whose task each role may see or act on."""

from __future__ import annotations

from infra.tokens import Principal, Role
from services import access

CASE = {"case_id": "LB-1", "applicant_ref": "citizen-7"}
REVIEWING = {"fire", "env"}


def who(role: Role, dept: str | None = None, sub: str = "u") -> Principal:
    return Principal(sub=sub, role=role, dept=dept)


def test_case_visibility_by_role() -> None:
    assert access.can_read_case(who(Role.applicant, sub="citizen-7"), CASE, REVIEWING)
    assert not access.can_read_case(who(Role.applicant, sub="citizen-8"), CASE, REVIEWING)
    # A window-submitted case has no owner token: no applicant token sees it.
    assert not access.can_read_case(who(Role.applicant, sub="x"), {"applicant_ref": None}, [])
    assert access.can_read_case(who(Role.reviewer, "fire"), CASE, REVIEWING)
    assert not access.can_read_case(who(Role.reviewer, "samr"), CASE, REVIEWING)
    assert not access.can_read_case(who(Role.dept_head, "samr"), CASE, REVIEWING)
    for role in (Role.clerk, Role.operator, Role.auditor, Role.admin):
        assert access.can_read_case(who(role), CASE, REVIEWING)


def test_inbox_and_task_work() -> None:
    assert access.can_read_inbox(who(Role.reviewer, "fire"), "fire")
    assert not access.can_read_inbox(who(Role.reviewer, "fire"), "env")
    assert access.can_read_inbox(who(Role.auditor), "env")
    assert not access.can_read_inbox(who(Role.clerk), "env")
    assert access.can_work_task(who(Role.dept_head, "env"), "env")
    assert not access.can_work_task(who(Role.auditor), "env")
    assert not access.can_work_task(who(Role.admin), "env")


def test_release_is_the_holders_or_the_heads() -> None:
    assert access.can_release(who(Role.reviewer, "fire", sub="a"), "a")
    assert not access.can_release(who(Role.reviewer, "fire", sub="a"), "b")
    assert access.can_release(who(Role.dept_head, "fire", sub="h"), "b")
