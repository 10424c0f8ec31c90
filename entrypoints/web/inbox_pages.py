"""The reviewer's pages: the inbox (open / due soon / overdue / decided) and one task, with the
same actions as the API (claim, give back, hand over, comment, decide) as plain forms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from entrypoints.http.deps import DepsDep
from entrypoints.http.inbox_schemas import AttachmentRef, TaskDetailPublic
from entrypoints.web.session import PageError, PageUser, require_page_role, same_origin
from entrypoints.web.templating import templates
from infra.tokens import DEPARTMENT_ROLES, Principal, Role
from services import access
from services.departments import inbox
from services.errors import Refused
from services.leaders import supervision

router = APIRouter(prefix="/inbox", include_in_schema=False)
INBOX_ROLES = (*DEPARTMENT_ROLES, *access.READ_EVERY_INBOX)
MESSAGES = {
    "claimed": "已认领 Claimed",
    "released": "已退回待认领 Given back",
    "assigned": "已转交 Reassigned",
    "commented": "已添加意见 Comment added",
    "accepted": "决定已提交 Decision submitted",
    "duplicate": "相同决定已记录 Same decision already recorded",
}
Lines = Annotated[str, Form(max_length=8000)]
PAGE_ROWS = 500  # tasks listed in a view; its count above the list covers them all


def _page_task(*roles: Role, work: bool) -> Any:
    """Dependency: the caller, if their role may use the page (403) and the path's task is
    theirs to see (or, with `work`, to act on; 404 otherwise) — checked before any form field."""

    async def dependency(task_id: str, user: PageUser) -> Principal:
        require_page_role(user, *roles)
        _, sep, dept = task_id.rpartition(".")
        allowed = access.can_work_task if work else access.can_read_inbox
        if not sep or not allowed(user, dept):
            raise PageError(404, f"没有此任务 No task {task_id}")
        return user

    return Depends(dependency)


Reader = Annotated[Principal, _page_task(*INBOX_ROLES, work=False)]
Worker = Annotated[Principal, _page_task(*DEPARTMENT_ROLES, work=True)]
Head = Annotated[Principal, _page_task(Role.dept_head, work=True)]


@router.get("/departments")
async def departments_page(request: Request, user: PageUser, deps: DepsDep) -> Response:
    """Overseeing roles pick a department; a department's own people go to their inbox."""
    if user.role in DEPARTMENT_ROLES:
        return RedirectResponse("/inbox", status_code=303)
    require_page_role(user, *access.READ_EVERY_INBOX)
    codes = sorted({d.code for m in deps.catalog.matters for d in m.departments})
    return templates.TemplateResponse(request, "departments.html", {"user": user, "codes": codes})


@router.get("")
async def inbox_page(
    request: Request,
    user: PageUser,
    deps: DepsDep,
    view: inbox.View = "open",
    dept: str | None = None,
) -> Response:
    """A department's tasks in one view (soonest due first; decided: most recent first),
    coloured by warning state, with how many tasks each view holds."""
    require_page_role(user, *INBOX_ROLES)
    department = dept or user.dept
    if department is None:
        return RedirectResponse("/inbox/departments", status_code=303)
    if not access.can_read_inbox(user, department):
        raise PageError(404, f"没有此部门的待办 No inbox {department}")
    items = await inbox.inbox(deps, department, view, PAGE_ROWS)
    counts = await inbox.view_counts(deps, department)
    context = {"user": user, "department": department, "view": view, "items": items}
    context["supervision"] = await supervision.items(deps, department=department)
    return templates.TemplateResponse(request, "inbox.html", {**context, "counts": counts})


async def _render_task(
    request: Request, user: Principal, deps: DepsDep, task_id: str, **extra: Any
) -> Response:
    dept = task_id.rpartition(".")[2]
    try:
        detail = await inbox.task_detail(deps, task_id)
    except inbox.TaskNotFound as exc:
        raise PageError(404, f"没有此任务 No task {task_id}") from exc
    # Only the masked view reaches the template: the raw case row never does.
    task = TaskDetailPublic.from_detail(detail).model_dump()
    context = {
        "user": user,
        "task": task,
        "can_work": access.can_work_task(user, dept),
        "is_head": user.role is Role.dept_head,
        "mine": task["assignee"] == user.sub,
        "message": MESSAGES.get(request.query_params.get("msg", "")),
        "error": None,
    }
    status = extra.pop("status_code", 200)
    return templates.TemplateResponse(
        request, "task.html", {**context, **extra}, status_code=status
    )


@router.get("/tasks/{task_id}")
async def task_page(request: Request, task_id: str, user: Reader, deps: DepsDep) -> Response:
    """One task with the shared materials, the other departments' progress and the actions."""
    return await _render_task(request, user, deps, task_id)


async def _act(
    request: Request,
    user: Principal,
    deps: DepsDep,
    task_id: str,
    action: Callable[[], Awaitable[Any]],
    done: str | Callable[[Any], str],
) -> Response:
    """Run an action; on success back to the task (post/redirect/get), else show why."""
    try:
        result = await action()
    except Refused as exc:
        return await _render_task(
            request, user, deps, task_id, error=exc.detail, status_code=exc.http_status
        )
    msg = done(result) if callable(done) else done
    return RedirectResponse(f"/inbox/tasks/{task_id}?msg={msg}", status_code=303)


Guarded = Annotated[None, Depends(same_origin)]


@router.post("/tasks/{task_id}/claim")
async def claim(request: Request, task_id: str, user: Worker, deps: DepsDep, _: Guarded) -> Any:
    act = partial(inbox.claim, deps, user, task_id)
    return await _act(request, user, deps, task_id, act, "claimed")


@router.post("/tasks/{task_id}/unclaim")
async def unclaim(request: Request, task_id: str, user: Worker, deps: DepsDep, _: Guarded) -> Any:
    act = partial(inbox.release, deps, user, task_id)
    return await _act(request, user, deps, task_id, act, "released")


@router.post("/tasks/{task_id}/assign")
async def assign(
    request: Request,
    task_id: str,
    user: Head,
    deps: DepsDep,
    _: Guarded,
    assignee: Annotated[str, Form(min_length=1, max_length=128)],
) -> Any:
    act = partial(inbox.assign, deps, user, task_id, assignee.strip())
    return await _act(request, user, deps, task_id, act, "assigned")


@router.post("/tasks/{task_id}/comment")
async def comment(
    request: Request,
    task_id: str,
    user: Worker,
    deps: DepsDep,
    _: Guarded,
    text: Annotated[str, Form(min_length=1, max_length=4000)],
    attachment_name: Annotated[str, Form(max_length=200)] = "",
    attachment_ref: Annotated[str, Form(max_length=500)] = "",
) -> Any:
    ref = attachment_ref.strip()
    attachment = {"name": attachment_name.strip() or ref, "ref": ref} if ref else None
    act = partial(_comment, deps, user, task_id, text, attachment)
    return await _act(request, user, deps, task_id, act, "commented")


async def _comment(
    deps: DepsDep, user: Principal, task_id: str, text: str, attachment: dict[str, str] | None
) -> Any:
    attachments = []
    if attachment is not None:
        try:
            attachments = [AttachmentRef.model_validate(attachment).model_dump()]
        except ValidationError as exc:
            raise inbox.InvalidInput(
                "附件须为链接 The attachment must be a URI, e.g. oss://…"
            ) from exc
    return await inbox.comment(deps, user, task_id, text, attachments)


@router.post("/tasks/{task_id}/decide")
async def decide(
    request: Request,
    task_id: str,
    user: Worker,
    deps: DepsDep,
    _: Guarded,
    outcome: Annotated[str, Form(max_length=40)],
    reasons: Lines = "",
    conditions: Lines = "",
    items: Lines = "",
) -> Any:
    """The same path as the API and Kafka: one handler, duplicate = no-op, conflict refused."""
    act = partial(
        inbox.decide,
        deps,
        user,
        task_id,
        outcome,
        reasons.splitlines(),
        conditions.splitlines(),
        items.splitlines(),
    )
    return await _act(request, user, deps, task_id, act, lambda r: r.status)
