"""One review task (/inbox/tasks/{task}): everything to decide it, and the same actions as the
API (claim, give back, hand over, comment, decide) as plain forms. A refused form comes back
with each problem next to its field, in both languages, and what was typed kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from entrypoints.http.deps import DepsDep
from entrypoints.http.inbox_schemas import AttachmentRef, TaskDetailPublic
from entrypoints.web import shell
from entrypoints.web.page_errors import PageError
from entrypoints.web.problems import by_field, problems
from entrypoints.web.session import PageUser, require_page_role, safe_next, same_origin
from entrypoints.web.templating import OUTCOMES, page, refusal, templates
from events.contracts import DecisionOutcome, required_lists
from events.limits import MAX_TEXT
from infra.i18n import N_, _, label
from infra.tokens import DEPARTMENT_ROLES, Principal, Role
from services import access
from services.departments import inbox
from services.errors import Refused

router = APIRouter(prefix="/inbox", include_in_schema=False)
INBOX_ROLES = tuple(shell.BY_KEY["inbox"].roles)
MESSAGES = {
    "claimed": N_("Task claimed"),
    "released": N_("Given back"),
    "assigned": N_("Reassigned"),
    "commented": N_("Comment added"),
    "accepted": N_("Decision submitted"),
    "duplicate": N_("Same decision already recorded"),
}
REQUIRED = {
    "reasons": N_("Give at least one reason, one per line: the applicant is told why"),
    "items": N_("List what the applicant must correct or supply, one per line"),
    "conditions": N_("List at least one condition, one per line"),
}
# Typed values are checked here, not by FastAPI, so a refused form comes back as it was typed;
# the body limit (events.limits.MAX_BODY_BYTES) bounds them all.
Typed = Annotated[str, Form()]


class _CommentFields(BaseModel):
    text: str = ""
    attachment_name: str = ""
    attachment_ref: str = ""


class _DecisionFields(BaseModel):
    outcome: str = ""
    reasons: str = ""  # the list fields: one entry a line
    conditions: str = ""
    items: str = ""


CommentForm = Annotated[_CommentFields, Form()]
DecisionForm = Annotated[_DecisionFields, Form()]


def _page_task(*roles: Role, work: bool) -> Any:
    """Dependency: the caller, if their role may use the page (403) and the path's task is
    theirs to see (or, with `work`, to act on; 404 otherwise) — checked before any form field."""

    async def dependency(task_id: str, user: PageUser) -> Principal:
        require_page_role(user, *roles)
        _case, sep, dept = task_id.rpartition(".")
        allowed = access.can_work_task if work else access.can_read_inbox
        if not sep or not allowed(user, dept):
            raise PageError(404, _("No task %(task)s that you may see", task=task_id))
        return user

    return Depends(dependency)


Reader = Annotated[Principal, _page_task(*INBOX_ROLES, work=False)]
Worker = Annotated[Principal, _page_task(*DEPARTMENT_ROLES, work=True)]
Head = Annotated[Principal, _page_task(Role.dept_head, work=True)]
Guarded = Annotated[None, Depends(same_origin)]


async def _render(
    request: Request,
    user: Principal,
    deps: DepsDep,
    task_id: str,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    dept = task_id.rpartition(".")[2]
    try:
        detail = await inbox.task_detail(deps, task_id)
    except inbox.TaskNotFound as exc:
        raise PageError(404, _("No task %(task)s that you may see", task=task_id)) from exc
    # Only the masked view reaches the template: the raw case row never does.
    task = TaskDetailPublic.from_detail(detail).model_dump()
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    context = page(
        {"user": user, "task": task},
        crumbs=shell.crumbs(
            user,
            (_("Inbox"), f"/inbox?dept={quote(dept)}"),
            (task["case_id"], f"/case/{quote(task['case_id'], safe='')}"),
            (label("department", dept), None),
        ),
        can_work=access.can_work_task(user, dept),
        is_head=user.role is Role.dept_head,
        mine=task["assignee"] == user.sub,
        message=_(msg) if msg else None,
        form={},
        errors={},
        outcomes=OUTCOMES,
    )
    context.update(extra)
    return templates.TemplateResponse(request, "task.html", context, status_code=status)


@router.get("/tasks/{task_id}")
async def task_page(request: Request, task_id: str, user: Reader, deps: DepsDep) -> Response:
    """One task with the shared materials, the other departments' progress and the actions."""
    return await _render(request, user, deps, task_id)


async def _act(
    request: Request,
    user: Principal,
    deps: DepsDep,
    task_id: str,
    action: Callable[[], Awaitable[Any]],
    done: str | Callable[[Any], str],
    back: str = "",
    **kept: Any,
) -> Response:
    """Run an action; on success back to the task or the list (post/redirect/get), else the
    task page says why, with the form as it was typed (`kept`)."""
    try:
        result = await action()
    except Refused as exc:
        errors = by_field(problems(getattr(exc, "errors", [])))
        error = refusal(exc) if not errors else _("The decision was not recorded: see below")
        return await _render(
            request, user, deps, task_id, status=exc.http_status, error=error, errors=errors, **kept
        )
    msg = done(result) if callable(done) else done
    target = safe_next(back) or f"/inbox/tasks/{quote(task_id)}"
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}msg={msg}", status_code=303)


def _take_or_give_back(verb: str, call: Callable[..., Awaitable[Any]], done: str) -> None:
    """Claim and give back are one form each with no field (but where to go back to): the
    route runs `call(deps, user, task_id)` for a department's worker."""

    async def route(
        request: Request, task_id: str, user: Worker, deps: DepsDep, _g: Guarded, back: Typed = ""
    ) -> Any:
        act = partial(call, deps, user, task_id)
        return await _act(request, user, deps, task_id, act, done, back)

    router.post(f"/tasks/{{task_id}}/{verb}", name=verb)(route)


_take_or_give_back("claim", inbox.claim, "claimed")
_take_or_give_back("unclaim", inbox.release, "released")


@router.post("/tasks/{task_id}/assign")
async def assign(
    request: Request, task_id: str, user: Head, deps: DepsDep, _g: Guarded, assignee: Typed = ""
) -> Any:
    who = assignee.strip()
    if not who or len(who) > 128:
        message = _("Name the reviewer (their user id, at most 128 characters)")
        kept = {"form": {"assignee": assignee}, "errors": {"assignee": message}}
        return await _render(request, user, deps, task_id, status=422, **kept)
    act = partial(inbox.assign, deps, user, task_id, who)
    return await _act(request, user, deps, task_id, act, "assigned", form={"assignee": assignee})


def _comment_problems(text: str, name: str, ref: str) -> dict[str, str]:
    errors = {}
    if not text.strip():
        errors["text"] = _("Write the comment")
    elif len(text) > 4000:
        errors["text"] = _("At most %(max_length)s characters", max_length=4000)
    if len(name) > 200:
        errors["attachment_name"] = _("At most %(max_length)s characters", max_length=200)
    if ref.strip():
        try:
            AttachmentRef.model_validate({"name": name.strip() or ref.strip(), "ref": ref.strip()})
        except ValidationError:
            errors["attachment_ref"] = _("The attachment must be a link, e.g. oss://… or https://…")
    return errors


@router.post("/tasks/{task_id}/comment")
async def comment(
    request: Request, task_id: str, user: Worker, deps: DepsDep, _g: Guarded, form: CommentForm
) -> Any:
    typed = form.model_dump()
    errors = _comment_problems(form.text, form.attachment_name, form.attachment_ref)
    if errors:
        return await _render(request, user, deps, task_id, status=422, form=typed, errors=errors)
    ref = form.attachment_ref.strip()
    attachments = [{"name": form.attachment_name.strip() or ref, "ref": ref}] if ref else []
    act = partial(inbox.comment, deps, user, task_id, form.text, attachments)
    return await _act(request, user, deps, task_id, act, "commented", form=typed)


def _decision_problems(outcome: str, lists: dict[str, list[str]]) -> dict[str, str]:
    """What the form lacks, by field, before the decision is tried."""
    if outcome not in OUTCOMES:
        return {"outcome": _("Choose an outcome")}
    errors = {}
    for name in required_lists(DecisionOutcome(outcome)):
        if not lists[name]:
            errors[name] = _(REQUIRED[name])
    for name, values in lists.items():
        if any(len(v) > MAX_TEXT for v in values):
            errors[name] = _("At most %(max_length)s characters a line", max_length=MAX_TEXT)
    return errors


@router.post("/tasks/{task_id}/decide")
async def decide(
    request: Request, task_id: str, user: Worker, deps: DepsDep, _g: Guarded, form: DecisionForm
) -> Any:
    """The same path as the API and Kafka: one handler, duplicate = no-op, conflict refused.
    Deciding a task nobody holds claims it for the person deciding."""
    typed = form.model_dump()
    lists = {
        name: [line.strip() for line in typed[name].splitlines() if line.strip()]
        for name in ("reasons", "conditions", "items")
    }
    errors = _decision_problems(form.outcome, lists)
    if errors:
        error = _("The decision was not recorded: see below")
        kept = {"form": typed, "errors": errors, "error": error}
        return await _render(request, user, deps, task_id, status=422, **kept)
    act = partial(
        inbox.decide, deps, user, task_id, form.outcome, lists["reasons"], lists["conditions"],
        lists["items"],
    )  # fmt: skip
    return await _act(request, user, deps, task_id, act, lambda r: r.status, form=typed)
