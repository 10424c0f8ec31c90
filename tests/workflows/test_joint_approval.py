"""The case workflow on the time-skipping server, with the real activities on SQLite: new cases'
shape (`CaseWorkflow`, reviews inside the case) and the first shape (`JointApprovalWorkflow`,
one child workflow per department) that cases started before it finish in."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError
from temporalio.worker import Worker

from events.contracts import DecisionOutcome
from infra.bootstrap import Deps
from store.cases import case_log, case_tasks, get_case, insert_submission, submission_row
from store.schema import cases
from tests.utils import audit_cases
from tests.utils.eventually import eventually
from tests.utils.factories import decision, submission, workflow_input
from tests.utils.history import local_steps
from workflows.case import CaseWorkflow
from workflows.case_body import CaseBody
from workflows.legacy.department_review import DepartmentReviewWorkflow
from workflows.legacy.joint_approval import JointApprovalWorkflow, child_id
from workflows.models import JointApprovalResult, ReviewStateView, case_setup

CONSTRUCTION = ["nrp", "housing", "fire", "env", "cad"]


@pytest.fixture
def calendar() -> None:
    """The shipped calendar, in real (skipped) time: no walk to a shifted National Day."""
    return None


SHAPES = [CaseWorkflow, JointApprovalWorkflow]
Shape = type[CaseBody]


@pytest.fixture(params=SHAPES, ids=lambda c: c.__name__)
def shape(request: pytest.FixtureRequest) -> Shape:
    """Every behaviour holds in both shapes: new cases and those still running the first."""
    shape: Shape = request.param
    return shape


async def start_case(
    deps: Deps,
    worker: Worker,
    matter: str = "IND-CONSTRUCTION",
    drop: tuple[str, ...] = (),
    shape: Shape = CaseWorkflow,
) -> WorkflowHandle[CaseBody, JointApprovalResult]:
    env, sub = submission(deps.catalog, matter, drop=drop)
    async with deps.sessions() as s, s.begin():
        await insert_submission(s, submission_row(env, sub, "123456"))
    assert deps.temporal is not None
    return await deps.temporal.start_workflow(
        shape.run,
        workflow_input(env, sub),
        id=env.case_id,
        task_queue=worker.task_queue,
    )


async def test_all_departments_approve_grants_and_issues(
    sqlite_deps: Deps, worker: Worker, shape: Shape
) -> None:
    handle = await start_case(sqlite_deps, worker, shape=shape)
    for dept in CONSTRUCTION:
        conditions = ["施工期间夜间禁止作业"] if dept == "env" else []
        outcome = DecisionOutcome.approve_with_conditions if conditions else DecisionOutcome.approve
        await handle.signal(CaseWorkflow.decide, decision(dept, outcome, conditions=conditions))
    result = await handle.result()
    assert result.status == "granted"
    assert result.conditions == ["[env] 施工期间夜间禁止作业"]
    assert result.licence_number == f"XK-{handle.id}"
    async with sqlite_deps.sessions() as s:
        case = await get_case(s, handle.id)
        tasks = await case_tasks(s, handle.id)
        log = await case_log(s, handle.id)
    assert case is not None and case["status"] == "issued" and case["outcome"] == "granted"
    assert sorted(t["department"] for t in tasks) == sorted(CONSTRUCTION)
    assert all(t["status"] == "decided" for t in tasks)
    types = [e["event_type"] for e in log]
    assert types[0] == "CaseAccepted" and types[-2:] == ["CaseConcluded", "LicenceIssued"]
    assert types.count("ReviewTaskAssigned") == 5 and types.count("DepartmentDecided") == 5


async def test_one_rejection_refuses_with_every_reason(
    sqlite_deps: Deps, worker: Worker, shape: Shape
) -> None:
    handle = await start_case(sqlite_deps, worker, shape=shape)
    for dept in CONSTRUCTION:
        if dept in ("fire", "cad"):
            d = decision(dept, DecisionOutcome.reject, reasons=[f"{dept} 不符合规范"])
        else:
            d = decision(dept)
        await handle.signal(CaseWorkflow.decide, d)
    result = await handle.result()
    assert result.status == "refused"
    assert sorted(result.reasons) == ["[cad] cad 不符合规范", "[fire] fire 不符合规范"]
    assert result.licence_number is None


async def test_duplicate_and_second_decisions_change_nothing(
    sqlite_deps: Deps, worker: Worker, shape: Shape
) -> None:
    handle = await start_case(sqlite_deps, worker, shape=shape)
    first = decision("fire", DecisionOutcome.reject, reasons=["疏散通道不足"])
    await handle.signal(CaseWorkflow.decide, first)
    await handle.signal(CaseWorkflow.decide, first)  # redelivered
    await handle.signal(CaseWorkflow.decide, decision("fire"))  # a later, different one
    for dept in ("nrp", "housing", "env", "cad"):
        await handle.signal(CaseWorkflow.decide, decision(dept))
    result = await handle.result()
    assert result.status == "refused"
    assert result.reasons == ["[fire] 疏散通道不足"]
    async with sqlite_deps.sessions() as s:
        log = await case_log(s, handle.id)
    assert [e["event_type"] for e in log].count("DepartmentDecided") == 5


async def review_started(deps: Deps, case_id: str, dept: str) -> None:
    """Until the department's review (child workflow, first shape) exists and has published
    its task."""
    assert deps.temporal is not None
    review = deps.temporal.get_workflow_handle(child_id(case_id, dept))
    await eventually(
        lambda: review.query(DepartmentReviewWorkflow.state),
        until=lambda state: state.task_id,
        timeout=10,
        retry_on=RPCError,  # not started yet
        what=f"the {dept} review of {case_id} started",
    )


async def test_decisions_straight_to_reviews_and_redelivered_to_the_case(
    sqlite_deps: Deps, worker: Worker
) -> None:
    """The decision service signals each department's review directly; a redelivery that
    then reaches the case (the review has ended) must neither fail it nor count twice.
    The first shape only: in `CaseWorkflow` the case is the only place to signal."""
    handle = await start_case(sqlite_deps, worker, shape=JointApprovalWorkflow)
    assert sqlite_deps.temporal is not None
    for dept in CONSTRUCTION:
        await review_started(sqlite_deps, handle.id, dept)
        d = decision(dept, DecisionOutcome.reject if dept == "env" else DecisionOutcome.approve)
        review = sqlite_deps.temporal.get_workflow_handle(child_id(handle.id, dept))
        await review.signal(DepartmentReviewWorkflow.decide, d)
        await handle.signal(CaseWorkflow.decide, d)  # the same, via the case
    result = await handle.result()
    assert result.status == "refused"
    assert sorted((await handle.query(CaseWorkflow.state)).decided) == sorted(CONSTRUCTION)
    async with sqlite_deps.sessions() as s:
        log = await case_log(s, handle.id)
    assert [e["event_type"] for e in log].count("DepartmentDecided") == 5


async def test_decision_before_task_published_is_kept(
    sqlite_deps: Deps, worker: Worker, shape: Shape
) -> None:
    # Signal-with-start delivers the decisions before the first workflow task runs, i.e. before
    # any child workflow exists or any review task was published.
    env, sub = submission(sqlite_deps.catalog, "OUTDOOR-AD")
    async with sqlite_deps.sessions() as s, s.begin():
        await insert_submission(s, submission_row(env, sub, "123456"))
    assert sqlite_deps.temporal is not None
    handle = await sqlite_deps.temporal.start_workflow(
        shape.run,
        workflow_input(env, sub),
        id=env.case_id,
        task_queue=worker.task_queue,
        start_signal="decide",
        start_signal_args=[decision("samr")],
    )
    await handle.signal(CaseWorkflow.decide, decision("nrp"))
    result = await handle.result()
    assert result.status == "granted"


async def test_missing_essential_material_is_not_accepted(
    sqlite_deps: Deps, worker: Worker
) -> None:
    handle = await start_case(sqlite_deps, worker, drop=("eia-report",))
    result = await handle.result()
    assert result.status == "not_accepted"
    assert result.reasons == ["missing essential material: eia-report (环评报告表 EIA report)"]


async def test_unknown_matter_is_not_accepted(sqlite_deps: Deps, worker: Worker) -> None:
    handle = await start_case(sqlite_deps, worker, matter="NO-SUCH-MATTER")
    result = await handle.result()
    assert result.status == "not_accepted"
    assert result.reasons == ["unknown matter 'NO-SUCH-MATTER'"]


async def test_tolerant_acceptance_lists_missing_optional(
    sqlite_deps: Deps, worker: Worker, shape: Shape
) -> None:
    handle = await start_case(sqlite_deps, worker, drop=("fire-design",), shape=shape)
    for dept in CONSTRUCTION:
        await handle.signal(CaseWorkflow.decide, decision(dept))
    assert (await handle.result()).status == "granted"
    async with sqlite_deps.sessions() as s:
        case = await get_case(s, handle.id)
    assert case is not None and case["missing_materials"] == ["fire-design"]


async def test_one_history_per_case(sqlite_deps: Deps, worker: Worker) -> None:
    """`CaseWorkflow` runs every review itself: no child workflow, one history, the reviews'
    tasks and decisions visible through the case's `reviews` query."""
    assert sqlite_deps.temporal is not None
    handle = await start_case(sqlite_deps, worker)
    case = sqlite_deps.temporal.get_workflow_handle_for(CaseWorkflow.run, handle.id)
    views: dict[str, ReviewStateView] = await eventually(
        lambda: case.query(CaseWorkflow.reviews),
        until=lambda v: len(v) == 5 and all(r.task_id for r in v.values()),
        timeout=10,
        what="every review's task published",
    )
    assert sorted(views) == sorted(CONSTRUCTION)
    assert views["fire"].task_id == f"{handle.id}.fire" and views["fire"].decision is None
    for dept in CONSTRUCTION:
        await handle.signal(CaseWorkflow.decide, decision(dept))
    assert (await handle.result()).status == "granted"
    history = await handle.fetch_history()
    children = [
        e
        for e in history.events
        if e.HasField("start_child_workflow_execution_initiated_event_attributes")
    ]
    assert children == []
    assert sqlite_deps.temporal is not None
    with pytest.raises(RPCError):  # no review workflow exists beside the case
        await sqlite_deps.temporal.get_workflow_handle(child_id(handle.id, "fire")).describe()


@pytest.mark.parametrize("given", [True, False], ids=["setup given", "no setup"])
async def test_the_starter_gives_the_matter_and_calendar_or_the_case_looks_them_up(
    sqlite_deps: Deps, worker: Worker, given: bool
) -> None:
    """A case started with its setup (`case_setup`, as the cases of histories d66bf4c4cb were)
    runs no `prepare_case` step; without one (as the intake starts every case now) it runs the
    step. Both decide alike."""
    deps = sqlite_deps
    env, sub = submission(deps.catalog, "IND-CONSTRUCTION")
    async with deps.sessions() as s, s.begin():
        await insert_submission(s, submission_row(env, sub, "123456"))
    inp = workflow_input(env, sub)
    if given:
        setup = case_setup(deps.catalog.matter(sub.matter_code), deps.calendar(), env.occurred_at)
        inp = inp.model_copy(update={"setup": setup})
    assert deps.temporal is not None
    handle = await deps.temporal.start_workflow(
        CaseWorkflow.run, inp, id=env.case_id, task_queue=worker.task_queue
    )
    for dept in CONSTRUCTION:
        await handle.signal(CaseWorkflow.decide, decision(dept))
    result = await handle.result()
    assert result.status == "granted" and result.licence_number == f"XK-{handle.id}"
    clocks = await handle.query(CaseWorkflow.clocks)
    assert clocks.statutory_due is not None
    steps = local_steps(await handle.fetch_history())
    assert steps.count("prepare_case") == (0 if given else 1), steps
    assert steps.count("accept_and_assign") == 1 and steps.count("record_outcome") == 1, steps


def _decide_signals(history: WorkflowHistory) -> int:
    return sum(
        1
        for e in history.events
        if e.HasField("workflow_execution_signaled_event_attributes")
        and e.workflow_execution_signaled_event_attributes.signal_name == "decide"
    )


async def test_the_decision_service_signals_each_shape_where_its_reviews_are(
    sqlite_deps: Deps, worker: Worker, shape: Shape
) -> None:
    """`CaseWorkflow`: one hop, to the case. A case of the first shape (its row from before
    `cases.workflow_type`, NULL): straight to each department's child review, not via the case."""
    handle = await start_case(sqlite_deps, worker, shape=shape)
    first_shape = shape is JointApprovalWorkflow
    if first_shape:
        async with sqlite_deps.sessions() as s, s.begin():
            await s.execute(
                sa.update(cases).where(cases.c.case_id == handle.id).values(workflow_type=None)
            )
    await audit_cases.wait_tasks(sqlite_deps, handle.id, len(CONSTRUCTION))
    for dept in CONSTRUCTION:
        await audit_cases.decide(sqlite_deps, handle.id, dept, DecisionOutcome.approve)
    assert (await handle.result()).status == "granted"
    assert _decide_signals(await handle.fetch_history()) == (0 if first_shape else 5)
    if first_shape:
        assert sqlite_deps.temporal is not None
        for dept in CONSTRUCTION:
            review = sqlite_deps.temporal.get_workflow_handle(child_id(handle.id, dept))
            assert _decide_signals(await review.fetch_history()) == 1
