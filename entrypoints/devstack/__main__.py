"""`python -m entrypoints.devstack up|check`: run the embedded stack in the foreground, or
probe it."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from entrypoints.devstack.stack import (
    DEFAULT,
    EmbeddedStack,
    StackConfig,
    StackError,
    check,
    ensure_topics,
)
from infra.settings import get_settings


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--var-dir", type=Path, default=Path("var"))
    common.add_argument("--temporal-port", type=int, default=7233)
    common.add_argument(
        "--ui-port",
        type=int,
        default=get_settings().temporal_ui_port,
        help="LIANBAN_TEMPORAL_UI_PORT",
    )
    common.add_argument("--headless", action="store_true", help="no Temporal Web UI")
    common.add_argument("--kafka-port", type=int, default=9092)

    parser = argparse.ArgumentParser(prog="python -m entrypoints.devstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", parents=[common], help="start the stack until Ctrl-C/SIGTERM")
    up.add_argument("--in-memory", action="store_true", help="Temporal without a DB file")
    up.add_argument("--reuse", action="store_true", help="use servers already running")
    up.add_argument("--topic", action="append", default=[], help="create topic (repeatable)")
    up.add_argument("--partitions", type=int, default=4)
    sub.add_parser("check", parents=[common], help="report which parts are up")
    return parser


def _config(args: argparse.Namespace) -> StackConfig:
    return StackConfig(
        var_dir=args.var_dir,
        temporal_port=args.temporal_port,
        temporal_ui_port=None if args.headless or not args.ui_port else args.ui_port,
        kafka_port=args.kafka_port,
        temporal_db=None if getattr(args, "in_memory", False) else DEFAULT,
        reuse_existing=getattr(args, "reuse", False),
    )


async def _up(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    stack = EmbeddedStack(_config(args))
    # The handlers above already cover Ctrl-C during start(); start() cleans up on failure.
    async with stack:
        if args.topic:
            await ensure_topics(stack.kafka_bootstrap, args.topic, args.partitions)
        _print_up(stack)
        stop_wait = asyncio.create_task(stop.wait())
        exit_wait = asyncio.create_task(stack.wait_exited())
        done, pending = await asyncio.wait(
            {stop_wait, exit_wait}, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        crashed = exit_wait in done
        if crashed:
            print(f"{exit_wait.result()} exited unexpectedly; see logs", file=sys.stderr)
        print("stopping…", flush=True)
    return 1 if crashed else 0


def _print_up(stack: EmbeddedStack) -> None:
    cfg = stack.config
    rows = [
        ("temporal", stack.temporal_address),
        ("temporal ui", stack.ui_url or "(headless)"),
        ("kafka", stack.kafka_bootstrap),
        ("temporal db", _db_label(stack)),
        ("logs", str(cfg.logs_path)),
    ]
    for name, value in rows:
        print(f"{name:12} {value}")
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in stack.timings.items())
    reused = f" (reused: {', '.join(sorted(stack.reused))})" if stack.reused else ""
    print(f"ready: {timings}{reused}; Ctrl-C to stop", flush=True)


def _db_label(stack: EmbeddedStack) -> str:
    if "temporal" in stack.reused:
        return "(whatever the reused server uses)"
    return str(stack.config.db_path or "(in memory)")


async def _check(args: argparse.Namespace) -> int:
    status = await check(_config(args))
    for name, ok in status.items():
        print(f"{name:12} {'up' if ok else 'DOWN'}")
    return 0 if all(status.values()) else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Probing a down broker is an expected outcome here, not an error worth a log line.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        return asyncio.run(_up(args) if args.command == "up" else _check(args))
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
