"""Process entry for `lianban dev` / `lianban serve`: optional embedded stack, then `serve`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from entrypoints.devstack.stack import EmbeddedStack, StackConfig, ensure_topics
from entrypoints.devstack.supervise import Supervisor
from entrypoints.runner import Parts, Running, serve
from infra.bootstrap import bootstrap
from infra.settings import Settings


def stack_config(settings: Settings) -> StackConfig:
    """The embedded stack on the configured ports, so two stacks can run side by side."""
    return StackConfig(
        var_dir=Path("var"),
        temporal_port=int(settings.temporal_address.rsplit(":", 1)[1]),
        temporal_ui_port=settings.temporal_ui_port or None,
        kafka_port=int(settings.kafka_bootstrap.rsplit(":", 1)[1]),
        ui_codec_endpoint=ui_codec_endpoint(settings),
    )


def ui_codec_endpoint(settings: Settings) -> str | None:
    """The codec the embedded Web UI decodes payloads through: the API's, with the path key
    (the UI sends no credentials of its own); None without a key."""
    if settings.codec_path_key is None:
        return None
    key = settings.codec_path_key.get_secret_value()
    return f"http://{settings.api_host}:{settings.api_port}/codec/ui/{key}"


@contextlib.asynccontextmanager
async def _maybe_stack(settings: Settings, embedded: bool) -> AsyncIterator[EmbeddedStack | None]:
    if not embedded:
        yield None
        return
    async with EmbeddedStack(stack_config(settings)) as stack:
        yield stack


def _supervise(stack: EmbeddedStack, settings: Settings, stop: asyncio.Event) -> asyncio.Task[None]:
    """Restart a server of the embedded stack that exits (entrypoints.devstack.supervise)."""

    async def topics() -> None:
        await ensure_topics(settings.kafka_bootstrap, settings.topics.all())

    return asyncio.create_task(Supervisor(stack, after_broker=topics).run(stop), name="stack")


def banner(settings: Settings, ui_url: str | None, parts: Parts) -> str:
    """What runs and where; the API lines (pages, docs, the demo hint) only when the API runs:
    a worker-only process has nothing the demo could talk to."""
    api = f"http://{settings.api_host}:{settings.api_port}"
    running = [name for name in ("worker", "consumers", "relay", "api") if getattr(parts, name)]
    lines = ["", "Lianban 联办 is running: " + ", ".join(running)]
    if parts.api:
        lines += [f"  API            {api}", f"  OpenAPI docs   {api}/docs"]
        if settings.metrics_enabled:
            lines.append(f"  Metrics        {api}/metrics  (every part of this process)")
    lines += [
        f"  Temporal       {settings.temporal_address}" + (f"   Web UI {ui_url}" if ui_url else ""),
        f"  Kafka          {settings.kafka_bootstrap}   topics {settings.topic_prefix}.*",
        f"  Database       {settings.database_url}",
    ]
    if parts.api:
        lines += [
            f"  Pages          {api}/login  (then /inbox, /ops, /auditor); {api}/progress",
            "  Sign in with   an account (.venv/bin/lianban users add …) or, in development, a",
            "                 pasted token (.venv/bin/lianban token --role reviewer --dept fire)",
            "  Try            .venv/bin/lianban demo",
        ]
    lines += ["  Stop           Ctrl-C", ""]
    return "\n".join(lines)


async def run_forever(
    settings: Settings,
    parts: Parts,
    *,
    embedded: bool,
    install: Callable[[asyncio.Event], None],
) -> None:
    stop = asyncio.Event()
    install(stop)
    async with _maybe_stack(settings, embedded) as stack:
        ui_url = stack.ui_url if stack is not None else None
        uses_temporal = parts.worker or parts.consumers or parts.api
        # The embedded database is the dev stack's own: it upgrades it. `serve` only checks,
        # first: a database behind the code is refused before anything waits for the broker.
        deps = await bootstrap(settings, temporal=uses_temporal, migrate=embedded)
        try:
            await ensure_topics(settings.kafka_bootstrap, settings.topics.all())
        except BaseException:
            await deps.close()
            raise
        running = Running()
        watching = _supervise(stack, settings, stop) if stack is not None else None
        try:
            task = asyncio.create_task(serve(deps, stop, parts, running))
            await running.started.wait()
            print(banner(settings, ui_url, parts), flush=True)
            await task
        finally:
            stop.set()
            if watching is not None:
                await watching
            await deps.close()
