"""A department's own system on Lianban's Kafka topics: the reference client.

It imports nothing from Lianban, only aiokafka, cryptography and the standard library, and is
written from the docs alone ("Topics and JSON contracts", "Signing decisions",
"Acknowledgements and a broker that loses records"):

- it reads `<prefix>.review-tasks` in a consumer group (`auto_offset_reset="earliest"`, offsets
  committed after a task is handled), keeps its departments' `ReviewTaskAssigned` and skips a
  task event it has already handled (same `event_id`);
- it decides each task once (approve, unless told otherwise), and a task delivered again, even
  under another event id, gets the same decision record;
- it produces `DecisionMade` on `<prefix>.decisions` and re-sends that same record (same
  `event_id`) on the contract's schedule until `DepartmentDecided` with its `decision_event_id`
  shows on `<prefix>.case-events` (or the case ends, or a dead letter says it never will):
  the first re-send `--resend` seconds (default 30) after the first send, then twice as long
  each time, at most `--resend-max` (default 600), each wait drawn at random from its upper
  half (`resend_delay`), so that a burst of decisions is not re-sent as a burst;
- it watches its partitions: one that now ends before the client's position, or whose record
  last read is no longer the one there, was lost and recreated by the broker, and is read again
  from the start; de-duplication by event id makes that harmless.

Run it next to a running Lianban (`make run`)::

    .venv/bin/python examples/department_client.py --department fire --department env \\
        --state var/fire-client.json

Its state (task events seen, decisions and whether each was acknowledged) lives in memory, and
in `--state` when given, so a restarted client re-sends a decision with the same event id.

Each decision is signed ("Signing decisions"): `--key fire=KEY_ID:PATH` names the department's
key id and the file holding its Ed25519 private key (PEM, as `lianban keys new` writes it); the
client signs the exact bytes it sends and puts the key id and the base64 signature in the
record's headers `lianban-key-id` and `lianban-signature`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import os
import random
import signal
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

log = logging.getLogger("department_client")

OUTCOMES = ("approve", "approve_with_conditions", "reject")
# After one of these on case-events, the case takes no decision any more.
CASE_ENDED = {"CaseConcluded", "CaseNotAccepted", "CaseTerminated"}
# The one dead-letter error that a re-send may cure: any other one says it never will apply.
RETRYABLE_REFUSAL = "processing_failed"
COMMIT_TIMEOUT = 10.0


def resend_delay(
    sends: int, first: float, most: float, draw: Callable[[], float] = random.random
) -> float:
    """Seconds to wait, after a record's `sends`-th send, before sending it again (the contract's
    schedule, "Acknowledgements"): `first`, then doubling, at most `most`; each wait is drawn
    from [half of it, all of it], so that decisions sent together are re-sent spread out."""
    ceiling = min(most, first * 2 ** max(min(sends, 32) - 1, 0))
    return ceiling * (0.5 + 0.5 * draw())


@dataclass(frozen=True)
class Signer:
    """A department's key: signs the exact bytes of each record it sends."""

    key_id: str
    private_key: Ed25519PrivateKey

    def headers(self, value: bytes) -> list[tuple[str, bytes]]:
        signature = base64.b64encode(self.private_key.sign(value))
        return [("lianban-key-id", self.key_id.encode()), ("lianban-signature", signature)]

    @classmethod
    def from_pem(cls, key_id: str, pem: bytes) -> Signer:
        key = load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the key is not an Ed25519 private key")
        return cls(key_id, key)


def parse_key(arg: str) -> tuple[str, Signer]:
    """`fire=KEY_ID:PATH` -> ("fire", the signer)."""
    department, _, rest = arg.partition("=")
    key_id, _, path = rest.partition(":")
    if not (department and key_id and path):
        raise ValueError(f"--key {arg!r}: expected DEPARTMENT=KEY_ID:PATH")
    return department, Signer.from_pem(key_id, Path(path).read_bytes())


@dataclass
class Config:
    bootstrap: str = "127.0.0.1:9092"
    prefix: str = "lianban"
    departments: tuple[str, ...] = ("fire",)
    outcome: str = "approve"
    reviewer: str = "reference-client"
    reasons: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    resend_seconds: float = 30.0  # the first re-send after this; then doubling …
    resend_max_seconds: float = 600.0  # … up to this
    check_seconds: float = 2.0
    group: str | None = None  # default: <prefix>.dept.<departments joined by ->
    state_path: Path | None = None
    fetch_wait_ms: int = 50  # the embedded broker holds a fetch for the whole wait
    # How long the group waits for a client that stopped (killed) before its partitions go to
    # another member; the embedded broker also lets a new member in only after half of it.
    session_timeout_ms: int = 10_000
    signers: dict[str, Signer] = field(default_factory=dict)  # by department

    def topic(self, name: str) -> str:
        return f"{self.prefix}.{name}"

    @property
    def group_id(self) -> str:
        return self.group or f"{self.prefix}.dept.{'-'.join(sorted(self.departments))}"


@dataclass
class Decision:
    """One decision record, produced until Lianban acknowledges it."""

    event_id: str
    case_id: str
    task_id: str
    department: str
    record: str  # the JSON sent, byte for byte the same on every re-send
    status: str = "pending"  # pending | acknowledged | superseded | refused | case_ended
    sends: int = 0
    detail: str = ""

    @property
    def pending(self) -> bool:
        return self.status == "pending"


@dataclass
class State:
    seen: set[str] = field(default_factory=set)  # task event ids handled
    decisions: dict[str, Decision] = field(default_factory=dict)  # by task id
    read_last: dict[str, list[Any]] = field(default_factory=dict)  # see PartitionWatch

    @classmethod
    def load(cls, path: Path | None) -> State:
        if path is None or not path.exists():
            return cls()
        doc = json.loads(path.read_text(encoding="utf-8"))
        decisions = {k: Decision(**v) for k, v in doc.get("decisions", {}).items()}
        return cls(set(doc.get("seen", [])), decisions, dict(doc.get("read_last", {})))

    def save(self, path: Path | None) -> None:
        if path is None:
            return
        doc = {
            "seen": sorted(self.seen),
            "decisions": {k: asdict(v) for k, v in self.decisions.items()},
            "read_last": self.read_last,
        }
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)  # a crash leaves the old state or the new one, never half


def _parse(rec: ConsumerRecord) -> dict[str, Any] | None:
    try:
        doc = json.loads(rec.value or b"")
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _event_id(rec: ConsumerRecord) -> str:
    doc = _parse(rec)
    if doc is not None and isinstance(doc.get("event_id"), str):
        return str(doc["event_id"])
    return "sha256:" + hashlib.sha256(rec.value or b"").hexdigest()


class PartitionWatch:
    """Notices that the broker lost a partition this consumer reads, and rewinds it.

    A Kafka cluster answers a fetch beyond a partition's end with OffsetOutOfRange, which
    `auto_offset_reset="earliest"` turns into a re-read from the start. The embedded broker
    answers it with nothing until the partition grows past the position, and a recreated
    partition can grow past it before anyone looks. So the client checks that the record it
    read last in each partition is still the one at that offset (by event id), and reads the
    partition again from the start when it is not. (End offsets are no help: the embedded
    broker reports one past the first record of the last batch.)
    """

    def __init__(self, name: str, last: dict[str, list[Any]] | None = None) -> None:
        self.name = name
        # "topic:partition" -> [offset, event id] of the record read last (kept in the state)
        self.last = last if last is not None else {}
        self.rewinds = 0

    def saw(self, tp: TopicPartition, rec: ConsumerRecord) -> None:
        self.last[f"{tp.topic}:{tp.partition}"] = [rec.offset, _event_id(rec)]

    async def check(self, consumer: AIOKafkaConsumer, probe: AIOKafkaConsumer) -> None:
        for tp in sorted(consumer.assignment()):
            last = self.last.get(f"{tp.topic}:{tp.partition}")
            if last is None:
                continue
            there = await _read_at(probe, tp, int(last[0]))
            if there == last[1]:
                continue
            what = "is gone" if there is None else "is another record"
            log.warning(
                "%s %s: the record read last (offset %s) %s; reading it again from the start",
                self.name,
                tp,
                last[0],
                what,
            )
            del self.last[f"{tp.topic}:{tp.partition}"]
            self.rewinds += 1
            await consumer.seek_to_beginning(tp)


async def _read_at(probe: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> str | None:
    """The event id of the record at `offset`, None when there is none."""
    probe.assign([tp])
    probe.seek(tp, offset)
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        batch = await probe.getmany(tp, timeout_ms=200, max_records=1)
        for rec in batch.get(tp, []):
            return _event_id(rec) if rec.offset == offset else None
    return None


class DepartmentClient:
    """Review tasks in, decisions out, each re-sent until acknowledged."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.state = State.load(config.state_path)
        self.ready = asyncio.Event()  # set once both consumers have partitions
        self.duplicates = 0  # task events skipped as already handled
        self.tasks_watch = PartitionWatch("review-tasks", self.state.read_last)
        self.events_watch = PartitionWatch("case-events", self.state.read_last)
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._next_send: dict[str, float] = {}  # by decision event id, monotonic seconds

    # ----- decisions

    def _decide(self, case_id: str, task: dict[str, Any]) -> Decision:
        cfg = self.config
        event_id = str(uuid.uuid4())
        data: dict[str, Any] = {
            "department": task["department"],
            "outcome": cfg.outcome,
            "reviewer": cfg.reviewer,
            "task_id": task["task_id"],
        }
        if cfg.outcome == "reject":
            data["reasons"] = list(cfg.reasons) or ["refused by the reference client"]
        if cfg.outcome == "approve_with_conditions":
            data["conditions"] = list(cfg.conditions) or ["as the reference client requires"]
        record = {
            "event_id": event_id,
            "event_type": "DecisionMade",
            "schema_version": 1,
            "case_id": case_id,
            "occurred_at": datetime.now(UTC).isoformat(),
            "producer": f"{task['department']}-dept-system",
            "data": data,
        }
        return Decision(event_id, case_id, task["task_id"], task["department"], json.dumps(record))

    def on_task(self, rec: ConsumerRecord) -> None:
        doc = _parse(rec)
        if doc is None or doc.get("event_type") != "ReviewTaskAssigned":
            return  # reminders and anything else on the topic: not a task
        task = doc.get("data") or {}
        if task.get("department") not in self.config.departments:
            return
        event_id = str(doc.get("event_id"))
        if event_id in self.state.seen:
            self.duplicates += 1
            return
        self.state.seen.add(event_id)
        decision = self.state.decisions.get(task["task_id"])
        if decision is None:
            decision = self._decide(str(doc["case_id"]), task)
            self.state.decisions[decision.task_id] = decision
            log.info("task %s: deciding %s", decision.task_id, self.config.outcome)
        self.state.save(self.config.state_path)  # before the offset is committed
        if decision.pending:
            self._wake.set()

    async def _send_due(self) -> float:
        """Send each pending decision whose time has come; returns seconds until the next."""
        assert self._producer is not None
        every, most = self.config.resend_seconds, self.config.resend_max_seconds
        now = time.monotonic()
        for d in [d for d in self.state.decisions.values() if d.pending]:
            if self._next_send.get(d.event_id, 0.0) > now:
                continue
            value = d.record.encode()
            signer = self.config.signers.get(d.department)
            try:
                async with asyncio.timeout(max(every, 5.0)):
                    await self._producer.send_and_wait(
                        self.config.topic("decisions"),
                        value,
                        key=d.case_id.encode(),
                        headers=signer.headers(value) if signer else None,
                    )
            except (KafkaError, TimeoutError) as exc:
                log.warning("decision %s not sent (%r); trying again", d.event_id, exc)
                return min(every, 1.0)
            d.sends += 1
            self._next_send[d.event_id] = time.monotonic() + resend_delay(d.sends, every, most)
            if d.sends > 1:
                log.info("decision %s sent again (%d), no acknowledgement yet", d.event_id, d.sends)
        waiting = [
            self._next_send.get(d.event_id, now) for d in self.state.decisions.values() if d.pending
        ]
        return max(min(waiting, default=now + every) - time.monotonic(), 0.05)

    async def _resend_loop(self, stop: asyncio.Event) -> None:
        """Send a new decision at once, and each pending one again on the schedule."""
        while not stop.is_set():
            wait = await self._send_due()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            self._wake.clear()

    # ----- acknowledgements

    def on_event(self, rec: ConsumerRecord) -> None:
        doc = _parse(rec)
        if doc is None:
            return
        kind, data, case_id = doc.get("event_type"), doc.get("data") or {}, doc.get("case_id")
        if kind == "DepartmentDecided" and data.get("department") in self.config.departments:
            self._acknowledged(str(case_id), data)
        elif kind in CASE_ENDED:
            self._settle(lambda d: d.case_id == case_id, "case_ended", str(kind))
        elif kind == "DeadLettered" and data.get("error") != RETRYABLE_REFUSAL:
            try:
                refused = json.loads(data.get("raw") or "")["event_id"]
            except (ValueError, KeyError, TypeError):
                return
            detail = f"{data.get('error')}: {data.get('detail')}"
            self._settle(lambda d: d.event_id == refused, "refused", detail)

    def _acknowledged(self, case_id: str, data: dict[str, Any]) -> None:
        task_id = f"{case_id}.{data['department']}"
        decision = self.state.decisions.get(task_id)
        if decision is None or not decision.pending:
            return
        if data.get("decision_event_id") == decision.event_id:
            decision.status = "acknowledged"
            log.info("decision %s on %s acknowledged", decision.event_id, task_id)
        else:  # decided another way first (e.g. on Lianban's web inbox)
            decision.status = "superseded"
            decision.detail = f"applied decision {data.get('decision_event_id')}"
            log.warning("task %s was decided by another decision; stop sending ours", task_id)
        self.state.save(self.config.state_path)

    def _settle(self, which: Callable[[Decision], bool], status: str, detail: str) -> None:
        for d in self.state.decisions.values():
            if d.pending and which(d):
                d.status, d.detail = status, detail
                log.warning("decision %s on %s: %s (%s)", d.event_id, d.task_id, status, detail)
        self.state.save(self.config.state_path)

    # ----- the consumers

    def _consumer(self, *topics: str, group: str | None) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.config.bootstrap,
            group_id=group,
            enable_auto_commit=False,
            # Earliest, not latest: after a broker lost a topic, our committed offsets are gone
            # or point past the new end, and whatever the orchestrator published again before
            # we reconnect must be read. Re-reading is harmless: we de-duplicate by event id.
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.config.fetch_wait_ms,
            session_timeout_ms=self.config.session_timeout_ms,
            heartbeat_interval_ms=self.config.session_timeout_ms // 3,
        )

    async def _consume(
        self,
        consumer: AIOKafkaConsumer,
        watch: PartitionWatch,
        handle: Callable[[ConsumerRecord], None],
        stop: asyncio.Event,
    ) -> None:
        probe = self._consumer(group=None)
        await probe.start()
        next_check = time.monotonic() + self.config.check_seconds
        try:
            while not stop.is_set():
                try:
                    batch = await consumer.getmany(timeout_ms=200, max_records=500)
                except KafkaError as exc:  # e.g. the broker restarting: keep going
                    log.warning("fetch failed (%r); retrying", exc)
                    await asyncio.sleep(1.0)
                    continue
                for tp, records in batch.items():
                    for rec in records:
                        handle(rec)
                        watch.saw(tp, rec)
                if batch:
                    await self._commit(consumer, batch)
                    self.state.save(self.config.state_path)  # where we read last, too
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + self.config.check_seconds
                    with contextlib.suppress(KafkaError, TimeoutError):
                        async with asyncio.timeout(10):
                            await watch.check(consumer, probe)
        finally:
            await probe.stop()

    @staticmethod
    async def _commit(
        consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        offsets = {tp: records[-1].offset + 1 for tp, records in batch.items()}
        try:
            # A broker that lost the topic answers "unknown topic", which aiokafka retries
            # without end: bounded, and the records come again at worst (de-duplicated).
            async with asyncio.timeout(COMMIT_TIMEOUT):
                await consumer.commit(offsets)
        except (CommitFailedError, TimeoutError, KafkaError) as exc:
            log.warning("offsets not committed (%r); records may come again", exc)

    async def _when_assigned(self, *consumers: AIOKafkaConsumer) -> None:
        while not all(c.assignment() for c in consumers):
            await asyncio.sleep(0.1)
        self.ready.set()

    async def run(self, stop: asyncio.Event) -> None:
        cfg = self.config
        tasks = self._consumer(cfg.topic("review-tasks"), group=cfg.group_id)
        events = self._consumer(
            cfg.topic("case-events"), cfg.topic("dead-letters"), group=f"{cfg.group_id}.acks"
        )
        # acks=all; no idempotent producer (the embedded broker refuses it): the orchestrator
        # de-duplicates a re-sent decision by its event id instead.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=cfg.bootstrap, acks="all", enable_idempotence=False
        )
        await self._producer.start()
        await tasks.start()
        await events.start()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._when_assigned(tasks, events))
                group.create_task(self._consume(tasks, self.tasks_watch, self.on_task, stop))
                group.create_task(self._consume(events, self.events_watch, self.on_event, stop))
                group.create_task(self._resend_loop(stop))
                group.create_task(self._stop_waking(stop))
        finally:
            for closing in (tasks.stop(), events.stop(), self._producer.stop()):
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(10):
                        await closing

    async def _stop_waking(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wake.set()

    # ----- for people and tests

    def decisions(self, statuses: Iterable[str] | None = None) -> list[Decision]:
        wanted = set(statuses) if statuses is not None else None
        return [d for d in self.state.decisions.values() if wanted is None or d.status in wanted]


def parse_args(argv: list[str] | None = None) -> Config:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--bootstrap", default="127.0.0.1:9092")
    p.add_argument("--prefix", default="lianban", help="topics are <prefix>.review-tasks …")
    p.add_argument("--department", action="append", required=True, help="repeat for several")
    p.add_argument("--outcome", choices=OUTCOMES, default="approve")
    p.add_argument("--reviewer", default="reference-client")
    p.add_argument("--reason", action="append", default=[], help="for reject")
    p.add_argument("--condition", action="append", default=[], help="approve_with_conditions")
    p.add_argument(
        "--resend", type=float, default=30.0, help="seconds before the first re-send (doubling)"
    )
    p.add_argument("--resend-max", type=float, default=600.0, help="at most this between sends")
    p.add_argument("--check", type=float, default=2.0, help="seconds between partition checks")
    p.add_argument("--group", default=None, help="consumer group (default from departments)")
    p.add_argument("--state", type=Path, default=None, help="JSON file keeping the state")
    p.add_argument(
        "--key",
        action="append",
        default=[],
        help="DEPARTMENT=KEY_ID:PEM_PATH; repeat per department",
    )
    a = p.parse_args(argv)
    return Config(
        bootstrap=a.bootstrap,
        prefix=a.prefix,
        departments=tuple(a.department),
        outcome=a.outcome,
        reviewer=a.reviewer,
        reasons=tuple(a.reason),
        conditions=tuple(a.condition),
        resend_seconds=a.resend,
        resend_max_seconds=a.resend_max,
        check_seconds=a.check,
        group=a.group,
        state_path=a.state,
        signers=dict(parse_key(k) for k in a.key),
    )


async def main(argv: list[str] | None = None) -> None:
    config = parse_args(argv)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await DepartmentClient(config).run(stop)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(main())
