"""Commands on a case's clocks: start/end a special-procedure pause, grant the extension.

They are Temporal updates, so the workflow's own validator answers (a second extension, the
wrong approver, an unknown notice): the refusal comes back to the caller with its reason.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from infra.bootstrap import Deps
from services.errors import CaseClosed, Refused, UnknownCase
from workflows.case import CaseWorkflow
from workflows.models import (
    ClockView,
    DeskView,
    ExtensionRequest,
    PauseEnd,
    PauseRequest,
    PrereviewCommand,
    Supplement,
)


class CommandRefused(Refused, code="command_refused", http_status=409): ...


async def update_case(
    deps: Deps, case_id: str, update: Any, arg: Any, update_id: str | None = None
) -> Any:
    """Run one of the case workflow's updates: its validator's refusal is `CommandRefused`
    with the reason, a finished case `CaseClosed`, one that never ran `UnknownCase`."""
    assert deps.temporal is not None
    handle = deps.temporal.get_workflow_handle_for(CaseWorkflow.run, case_id)
    try:
        result = await handle.execute_update(update, arg, id=update_id)
    except WorkflowUpdateFailedError as exc:
        raise CommandRefused(str(exc.cause.message if exc.cause else exc)) from exc  # type: ignore[attr-defined]
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            if "completed" in exc.message:
                raise CaseClosed(f"case {case_id} is closed") from exc
            raise UnknownCase(f"no running case {case_id!r}") from exc
        raise
    return result


async def start_pause(deps: Deps, case_id: str, req: PauseRequest) -> ClockView:
    return await update_case(deps, case_id, CaseWorkflow.start_pause, req)


async def end_pause(deps: Deps, case_id: str, req: PauseEnd) -> ClockView:
    return await update_case(deps, case_id, CaseWorkflow.end_pause, req)


async def grant_extension(deps: Deps, case_id: str, req: ExtensionRequest) -> ClockView:
    return await update_case(deps, case_id, CaseWorkflow.grant_extension, req)


async def window_prereview(deps: Deps, case_id: str, cmd: PrereviewCommand) -> DeskView:
    result: DeskView = await update_case(deps, case_id, CaseWorkflow.window_prereview, cmd)
    return result


async def supplement(deps: Deps, case_id: str, sup: Supplement) -> None:
    """Deliver the applicant's supplement; the clerk then decides again."""
    assert deps.temporal is not None
    handle = deps.temporal.get_workflow_handle_for(CaseWorkflow.run, case_id)
    try:
        await handle.signal(CaseWorkflow.supplement_materials, sup)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise UnknownCase(f"no running case {case_id!r}") from exc
        raise


async def current_clocks(deps: Deps, case_id: str) -> ClockView:
    """The workflow's view while it runs; after it ends, the last one it recorded."""
    assert deps.temporal is not None
    handle = deps.temporal.get_workflow_handle_for(CaseWorkflow.run, case_id)
    try:
        return await handle.query(CaseWorkflow.clocks)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise UnknownCase(f"no case {case_id!r}") from exc
        raise
