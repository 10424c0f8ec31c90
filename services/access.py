"""Who may see what: object-level rules, pure functions over the caller and the object.

Route-level rules (which roles may call a route at all, else 403) sit on each route as
`require(...)`; these decide whether one case or task is the caller's to see (else 404, so a
caller cannot even learn that another department's task exists).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from infra.tokens import DEPARTMENT_ROLES, Principal, Role

# Roles that read every case (masked): the window handles all of them, operators keep them
# moving, auditors and admins oversee.
# The government head reads any case: a joint case's extension is theirs to approve, and a
# joint case spans departments, so no department scope fits.
READ_EVERY_CASE = frozenset(
    {Role.clerk, Role.operator, Role.auditor, Role.admin, Role.government_head}
)
# Roles that read every department's inbox.
READ_EVERY_INBOX = frozenset({Role.operator, Role.auditor, Role.admin})
# Roles that may see the applicant's unmasked ID and phone (each access is audited): the
# window contacts the applicant, operators remind and deliver.
SEE_PERSONAL_DATA = frozenset({Role.clerk, Role.operator})


def can_read_case(p: Principal, case: dict[str, Any], reviewing: Collection[str]) -> bool:
    """A case is visible to its own applicant, to the departments reviewing it, and to the
    center's roles. `reviewing`: department codes of the case's matter."""
    if p.role in READ_EVERY_CASE:
        return True
    if p.role is Role.applicant:
        return case.get("applicant_ref") is not None and case["applicant_ref"] == p.sub
    if p.role in DEPARTMENT_ROLES:
        return p.dept in reviewing
    return False


def can_read_inbox(p: Principal, department: str) -> bool:
    """A department's tasks: its own reviewers and head, and the overseeing roles."""
    if p.role in READ_EVERY_INBOX:
        return True
    return p.role in DEPARTMENT_ROLES and p.dept == department


def can_work_task(p: Principal, department: str) -> bool:
    """Claim, comment, decide: only the task's own department."""
    return p.role in DEPARTMENT_ROLES and p.dept == department


def can_release(p: Principal, holder: str | None) -> bool:
    """A reviewer gives back what they hold; a head may free any task of the department."""
    return p.role is Role.dept_head or holder == p.sub


def case_scope(p: Principal, reviewing: Mapping[str, Collection[str]]) -> frozenset[str] | None:
    """The matters whose cases `p` may find (the same cases `can_read_case` shows): None for
    every case; a department's people, the matters their department reviews (`reviewing`:
    matter code → its departments); nobody else any (an applicant follows their own case on
    the progress page, a leader reads figures only)."""
    if p.role in READ_EVERY_CASE:
        return None
    if p.role in DEPARTMENT_ROLES:
        return frozenset(m for m, depts in reviewing.items() if p.dept in depts)
    return frozenset()


def sees_department_work(p: Principal, department: str) -> bool:
    """A department's reasons, conditions and comments on a case, before the case's outcome
    tells them: its own people and the roles that read every inbox (as on the task page)."""
    return can_read_inbox(p, department)
