"""Object-level checks as dependencies: run before the body is read, so a caller learns nothing
about an object that is not theirs (404, the same answer as for one that does not exist)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, HTTPException

from entrypoints.http.auth import CurrentUser, check_role
from entrypoints.http.deps import DepsDep
from infra.bootstrap import Deps
from infra.tokens import Principal, Role
from services import access
from store.cases import get_case

# Every role that may read a case it is entitled to; leaders read figures, never one case.
ALL_ROLES = tuple(r for r in Role if r is not Role.leader)
DEPARTMENT = (Role.reviewer, Role.dept_head)


@dataclass(frozen=True)
class CaseAccess:
    user: Principal
    case: dict[str, Any]

    @property
    def case_id(self) -> str:
        return str(self.case["case_id"])


@dataclass(frozen=True)
class TaskAccess:
    user: Principal
    task_id: str
    case_id: str
    department: str


def split_task_id(task_id: str) -> tuple[str, str]:
    case_id, sep, department = task_id.rpartition(".")
    if not sep or not case_id or not department:
        raise HTTPException(404, f"no task {task_id!r} (task ids look like CASE.department)")
    return case_id, department


def reviewing_departments(deps: Deps, case: dict[str, Any]) -> set[str]:
    matter = deps.catalog.matter(case["matter_code"])
    return {d.code for d in matter.departments} if matter else set()


async def visible_case(deps: Deps, user: Principal, case_id: str) -> dict[str, Any]:
    """The case if the caller may see it; 404 otherwise (whether or not it exists)."""
    async with deps.sessions() as s:
        case = await get_case(s, case_id)
    if case is None or not access.can_read_case(user, case, reviewing_departments(deps, case)):
        raise HTTPException(404, f"no case {case_id!r}")
    return case


def case_for(*roles: Role) -> Any:
    """Dependency: the path's case, for callers in `roles` (403) who may see it (404)."""
    allowed = frozenset(roles)

    async def dependency(case_id: str, user: CurrentUser, deps: DepsDep) -> CaseAccess:
        check_role(user, allowed)
        return CaseAccess(user, await visible_case(deps, user, case_id))

    return Depends(dependency)


def task_for(*roles: Role, work: bool) -> Any:
    """Dependency: the path's task for callers in `roles` (403). `work`: only the task's own
    department may act on it; otherwise its inbox readers may see it too (404 for the rest)."""
    allowed = frozenset(roles)

    async def dependency(task_id: str, user: CurrentUser) -> TaskAccess:
        check_role(user, allowed)
        case_id, department = split_task_id(task_id)
        ok = access.can_work_task if work else access.can_read_inbox
        if not ok(user, department):
            raise HTTPException(404, f"no task {task_id!r}")
        return TaskAccess(user, task_id, case_id, department)

    return Depends(dependency)


def inbox_for(*roles: Role) -> Any:
    """Dependency: the path's department code, for callers who may read its inbox."""
    allowed = frozenset(roles)

    async def dependency(code: str, user: CurrentUser) -> Principal:
        check_role(user, allowed)
        if not access.can_read_inbox(user, code):
            raise HTTPException(404, f"no department inbox {code!r}")
        return user

    return Depends(dependency)
