"""The fault suite: each scenario is steady state → fault → steady state, then the invariants.

Real OS processes killed with real signals, a real Temporal server stopped and started, real
PostgreSQL connections terminated. Every scenario ends with `invariants.check`: each accepted
submission is exactly one case, each acknowledged decision applied exactly once, every case
closed in Temporal, `audit verify --all` green, nothing old left unsent in the outbox.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from infra.tokens import mint
from store.schema import dead_letters
from tests.faults.cluster import FaultCluster
from tests.faults.conftest import RESULTS
from tests.faults.driver import MATERIALS, MATTER, Driver
from tests.faults.invariants import Verdict, check
from tests.utils.eventually import eventually

pytestmark = [pytest.mark.faults, pytest.mark.timeout(400)]
CASES = 4


async def _settle(driver: Driver, name: str, case_ids: list[str], since: float) -> Verdict:
    await driver.until_final(case_ids)
    verdict = await check(driver, name, case_ids, time.monotonic() - since)
    RESULTS.append(verdict)
    assert verdict.problems == [], verdict.problems
    assert verdict.lost == 0 and verdict.doubled == 0
    return verdict


async def _consumed(cluster: FaultCluster) -> None:
    """Until the consumers have committed every record on the incoming topics."""
    async with httpx.AsyncClient(base_url=cluster.api_url, timeout=15) as http:

        async def lags() -> list[float]:
            body = (await http.get("/readyz")).json()
            return [c["value"] for c in body["checks"] if c["name"].startswith("consumer:")]

        await eventually(
            lags,
            until=lambda v: bool(v) and all(x == 0 for x in v),
            timeout=60,
            every=0.5,
            what="consumers caught up",
        )


async def _die_by_failpoint(
    cluster: FaultCluster, driver: Driver, part: str, failpoint: str, prefix: str
) -> tuple[list[str], float]:
    """Restart `part` armed with `failpoint`, submit cases, drive until the part kills itself
    there, start it again; the cases and when the fault struck."""
    cluster.kill(part, signal.SIGTERM)
    cluster.start(part, failpoints=failpoint)
    dead = cluster.parts[part].proc
    ids = await driver.submit(CASES, prefix)

    def died(_: dict[str, str]) -> bool:
        return dead.poll() is not None

    await driver.drive(ids, died, may_die=part)
    assert dead.returncode == -signal.SIGKILL, cluster.parts[part].tail()
    fault_at = time.monotonic()
    cluster.start(part)
    return ids, fault_at


async def test_worker_killed_mid_activity(cluster: FaultCluster, driver: Driver) -> None:
    # The step that concludes a case and issues its licence: retried after the restart, it
    # must write neither event nor licence twice.
    ids, since = await _die_by_failpoint(
        cluster, driver, "worker", "activity.record_outcome.after_write@2", "WORKER"
    )
    await _settle(driver, "kill -9 worker after an activity's write", ids, since)


async def test_consumer_killed_between_recording_and_signal(
    cluster: FaultCluster, driver: Driver
) -> None:
    # A decision is recorded (task, event, audit entry) where it is received; killed before
    # its case is told, the record comes again: the case must take it once, logged once. The
    # first pass: the consumer records a fetch's decisions together, so a run of 4 cases may
    # pass there only once or twice.
    ids, since = await _die_by_failpoint(
        cluster, driver, "consumers", "decision.after_record@1", "RECORDED"
    )
    await _settle(
        driver, "kill -9 consumer after recording a decision, before signalling", ids, since
    )


async def test_consumer_killed_between_storing_and_starting(
    cluster: FaultCluster, driver: Driver
) -> None:
    # New cases are stored where their submissions are received (a fetch of them in one
    # transaction), then their workflows started. Killed in between, the cases are stored and
    # none started; the portal sees its cases and re-sends nothing, so what starts them is
    # the same records read again (their offsets were not committed).
    ids, since = await _die_by_failpoint(
        cluster, driver, "consumers", "submission.after_record@1", "STORED"
    )
    await _settle(
        driver, "kill -9 consumer after storing submissions, before starting them", ids, since
    )


async def test_consumer_killed_before_commit(cluster: FaultCluster, driver: Driver) -> None:
    ids, since = await _die_by_failpoint(
        cluster, driver, "consumers", "consumer.before_commit.decisions@1", "CONSUMER"
    )
    await _settle(driver, "kill -9 consumer after applying, before committing", ids, since)


async def test_relay_killed_after_publish(cluster: FaultCluster, driver: Driver) -> None:
    ids, since = await _die_by_failpoint(cluster, driver, "relay", "relay.after_publish@1", "RELAY")
    await _settle(driver, "kill -9 relay after publishing, before marking sent", ids, since)


async def test_temporal_server_stopped_and_restarted(cluster: FaultCluster, driver: Driver) -> None:
    ids = await driver.submit(CASES, "TEMPORAL")
    await driver.drive(ids, lambda st: len(st) == CASES)  # the cases exist
    since = time.monotonic()
    await cluster.stack.stop_temporal(kill=True)
    async with httpx.AsyncClient(base_url=cluster.api_url, timeout=15) as http:
        down = await http.get("/readyz")
    assert down.status_code == 503
    assert {c["name"]: c["ok"] for c in down.json()["checks"]}["temporal"] is False
    more = await driver.submit(2, "TEMPORAL-DOWN")  # taken while Temporal is away
    await cluster.stack.start_temporal()
    await _settle(driver, "Temporal dev server killed and restarted", ids + more, since)
    async with httpx.AsyncClient(base_url=cluster.api_url, timeout=15) as http:

        async def ready() -> int:
            return (await http.get("/readyz")).status_code

        # Ready again once the API's Temporal client has reconnected (a loaded machine: seconds).
        await eventually(ready, until=lambda code: code == 200, timeout=60, every=0.5)


async def test_database_connections_terminated(cluster: FaultCluster, driver: Driver) -> None:
    ids = await driver.submit(CASES, "PGTERM")
    since = time.monotonic()
    terminated = 0
    for _ in range(3):  # mid-transaction, while cases are being accepted and decided
        await driver.drive(ids, lambda _: True)
        terminated += await cluster.terminate_db_connections()
        await asyncio.sleep(0.5)  # spacing between the faults, not a wait for a result
    assert terminated > 0
    await _settle(driver, "pg_terminate_backend on every connection, 3 times", ids, since)


async def test_duplicate_and_out_of_order_decisions(cluster: FaultCluster, driver: Driver) -> None:
    driver.duplicate, driver.reverse = True, True
    ids = await driver.submit(CASES, "DUP")
    since = time.monotonic()
    await driver.until_final(ids)
    # Every decision once more after the cases concluded: still applied once.
    for sent in list(driver.decisions.values()):
        sent.at = 0.0
        await driver._send(cluster.topics.decisions, sent)
    await _consumed(cluster)
    await _settle(driver, "every record twice, departments in reverse order", ids, since)


async def test_api_killed_between_write_and_response(cluster: FaultCluster, driver: Driver) -> None:
    cluster.kill("api", signal.SIGTERM)
    cluster.start("api", failpoints="api.after_write@1")
    await cluster.api_ready()
    headers = {"Authorization": f"Bearer {mint(cluster.settings, 'clerk', name='窗口 李')}"}
    headers["Idempotency-Key"] = uuid.uuid4().hex
    body = {
        "matter_code": MATTER,
        "title": "户外广告牌 billboard",
        "applicant": {"kind": "enterprise", "name": "广告有限公司"},
        "materials": [{"code": c} for c in MATERIALS],
    }
    async with httpx.AsyncClient(base_url=cluster.api_url, headers=headers, timeout=30) as http:
        with pytest.raises(httpx.HTTPError):  # stored, then the process died: no answer
            await http.post("/cases", json=body)
        assert await cluster.died("api") == -signal.SIGKILL
        since = time.monotonic()
        cluster.start("api")
        await cluster.api_ready()
        retry = await http.post("/cases", json=body)  # the client's retry, same key
    assert retry.status_code == 202, retry.text
    case_id = retry.json()["case_id"]
    driver.adopt(case_id)
    await _settle(driver, "API killed between its write and its answer", [case_id], since)


async def _dead_letters(cluster: FaultCluster, error: str) -> int:
    async with cluster.deps.sessions() as s:
        query = sa.select(sa.func.count()).where(dead_letters.c.error == error)
        return int(await s.scalar(query) or 0)


async def test_poison_records_on_every_inbound_topic(cluster: FaultCluster, driver: Driver) -> None:
    before = {e: await _dead_letters(cluster, e) for e in ("too_large", "malformed_json")}
    producer = AIOKafkaProducer(
        bootstrap_servers=cluster.settings.kafka_bootstrap, max_request_size=2_000_000
    )
    await producer.start()
    try:
        for topic in (cluster.topics.submissions, cluster.topics.decisions):
            for value in (b"x" * 1_000_000, b"{not json", b"[1, 2]"):
                await producer.send_and_wait(topic, value, key=b"POISON")
    finally:
        await producer.stop()
    since = time.monotonic()
    ids = await driver.submit(CASES, "AFTER-POISON")  # behind the poison on the same topics
    await _settle(driver, "1 MB and malformed records on both inbound topics", ids, since)
    await eventually(
        lambda: _dead_letters(cluster, "too_large"), until=lambda n: n == before["too_large"] + 2
    )
    assert await _dead_letters(cluster, "malformed_json") == before["malformed_json"] + 4


async def test_resubmission_with_a_new_event_id(cluster: FaultCluster, driver: Driver) -> None:
    ids = await driver.submit(2, "RESUB")
    await driver.drive(ids, lambda st: len(st) == len(ids))  # both cases exist
    before = await _dead_letters(cluster, "duplicate_case")
    since = time.monotonic()
    for case_id in ids:
        again = dict(driver.submissions[case_id].doc, event_id=str(uuid.uuid4()))
        await driver.producer.send_and_wait(
            cluster.topics.submissions, json.dumps(again).encode(), key=case_id.encode()
        )
    await _settle(driver, "the same case submitted again with a new event id", ids, since)
    await eventually(
        lambda: _dead_letters(cluster, "duplicate_case"), until=lambda n: n == before + len(ids)
    )


async def test_broker_killed_and_restarted_empty(cluster: FaultCluster, driver: Driver) -> None:
    """Last: the broker comes back with no topics, no records and no group offsets."""
    ids = await driver.submit(CASES, "BROKER")
    await driver.drive(ids, lambda st: len(st) == len(ids))  # the cases exist
    since = time.monotonic()
    await cluster.stack.restart_broker(kill=True)
    more = await driver.submit(2, "BROKER-AFTER")  # the portal keeps submitting
    await _settle(driver, "embedded broker killed and restarted empty", ids + more, since)
