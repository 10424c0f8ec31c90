"""The fault suite's one cluster (its own servers, so restarting them disturbs no other test),
and the table of every scenario's outcome, printed at the end of the run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from tests.faults.cluster import FaultCluster, fault_cluster
from tests.faults.driver import Driver
from tests.faults.invariants import Verdict

RESULTS: list[Verdict] = []
TABLE = Path(__file__).parents[1] / "artifacts" / "faults.md"


@pytest.fixture(scope="package")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FaultCluster]:
    async with fault_cluster(tmp_path_factory.mktemp("faults")) as running:
        yield running


@pytest.fixture
async def driver(cluster: FaultCluster) -> AsyncIterator[Driver]:
    producer = AIOKafkaProducer(
        bootstrap_servers=cluster.settings.kafka_bootstrap, acks="all", request_timeout_ms=5000
    )
    await producer.start()
    try:
        yield Driver(cluster, producer)
    finally:
        await producer.stop()


def table() -> str:
    head = "| scenario | cases | lost | doubled | time to recover |\n|---|---|---|---|---|\n"
    return head + "\n".join(v.row() for v in RESULTS) + "\n"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(table())
    terminalreporter.write_sep("-", "fault suite")
    terminalreporter.write(table())
