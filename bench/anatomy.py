"""What one case costs Temporal: the workflows it runs and the events in each history.

    .venv/bin/python -m bench.anatomy [--matter IND-CONSTRUCTION]

Runs one case through the embedded stack and `lianban serve` (as the throughput benchmark
does), then prints each workflow of the case with its history length and event types. The
Temporal server's CPU per case follows these counts: every event is persisted, every
workflow task is a round trip.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.harness import bench_stack, wait_http
from domain.catalog import load_catalog


async def main(matter_code: str) -> None:
    matter = load_catalog().matter(matter_code)
    assert matter is not None, f"unknown matter {matter_code}"
    async with bench_stack() as bench:
        bench.serve("app")
        await wait_http(f"{bench.api_url}/healthz")
        driver = bench.driver(matter)
        await driver.run(1)
        client = await Client.connect(bench.stack.temporal_address)
        total_events = total_tasks = 0
        # This run's task queue only: the server may be shared (`bench.harness.shared_stack`).
        queue = bench.env["LIANBAN_TASK_QUEUE"]
        async for wf in client.list_workflows(f"TaskQueue = '{queue}'"):
            history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
            kinds = Counter(
                EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events
            )
            tasks = kinds["WORKFLOW_TASK_COMPLETED"]
            total_events += len(history.events)
            total_tasks += tasks
            print(
                f"{wf.workflow_type} {wf.id}: {len(history.events)} events, {tasks} workflow tasks"
            )
            for kind, n in sorted(kinds.items()):
                print(f"    {n:3} {kind}")
        print(f"one case: {total_events} history events, {total_tasks} workflow tasks")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matter", default="IND-CONSTRUCTION")
    asyncio.run(main(parser.parse_args().matter))
