"""The floor: a bare Temporal workflow shaped like one joint case, with no I/O at all.

accept -> N parallel department activities -> N decision signals -> issue.
Run as a worker process: `python -m bench.bare --address 127.0.0.1:7233 --task-queue bare`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

TIMEOUT = timedelta(seconds=30)


@activity.defn
async def bare_step(name: str) -> str:
    return name


@workflow.defn
class BareCaseWorkflow:
    def __init__(self) -> None:
        self.decided: set[str] = set()

    @workflow.signal
    def decide(self, department: str) -> None:
        self.decided.add(department)

    @workflow.run
    async def run(self, departments: list[str]) -> str:
        await workflow.execute_activity(bare_step, "accept", start_to_close_timeout=TIMEOUT)
        await asyncio.gather(
            *(
                workflow.execute_activity(bare_step, d, start_to_close_timeout=TIMEOUT)
                for d in departments
            )
        )
        await workflow.wait_condition(lambda: self.decided >= set(departments))
        return str(
            await workflow.execute_activity(bare_step, "issue", start_to_close_timeout=TIMEOUT)
        )


async def serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[BareCaseWorkflow],
        activities=[bare_step],
        max_concurrent_activities=50,
    )
    async with worker:
        print("bare worker ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", default="bare")
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.task_queue))
