"""`lianban serve` and `lianban dev`: the processes, against configured servers or the
embedded stack. Imported by `lianban` at start-up, so everything heavy is imported inside."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import asyncio


def serve(
    worker: bool = typer.Option(True, help="run the Temporal worker"),
    consumers: bool = typer.Option(True, help="run the Kafka consumers"),
    relay: bool = typer.Option(True, help="run the outbox relay"),
    api: bool = typer.Option(True, help="run the HTTP API"),
) -> None:
    """Run the processes against the configured Temporal, Kafka and database."""
    from entrypoints.cli.client import fail
    from entrypoints.runner import Parts
    from infra.settings import get_settings
    from infra.tokens import uses_dev_secret

    settings = get_settings()
    if uses_dev_secret(settings) and not settings.allow_dev_key:
        raise fail(
            "refusing to serve with the development signing key published in Lianban's source: "
            "anyone could mint an operator token. Set LIANBAN_JWT_SECRET to a random key of at "
            "least 32 bytes (python -c 'import secrets; print(secrets.token_urlsafe(48))'); "
            "on a developer's machine, LIANBAN_ALLOW_DEV_KEY=true or `lianban dev`."
        )
    if not settings.payload_kid and not settings.allow_dev_key:
        raise fail(
            "refusing to serve without Temporal payload encryption: workflow histories would "
            "hold case titles and reasons in plain text. Set LIANBAN_PAYLOAD_KEYS "
            '(JSON {"p1": "<base64 of 32 random bytes>"}) and LIANBAN_PAYLOAD_KID=p1; on a '
            "developer's machine, LIANBAN_ALLOW_DEV_KEY=true or `lianban dev`."
        )
    _run(Parts(worker=worker, consumers=consumers, relay=relay, api=api), embedded=False)


def dev() -> None:
    """Start the embedded stack (Temporal dev server, broker, SQLite) and every process."""
    from entrypoints.runner import Parts
    from infra.dev_keys import ensure_keys
    from infra.settings import get_settings

    # Its own keys on the first start, kept under var/ (infra/dev_keys.py): histories are
    # encrypted and its tokens signed with a key nobody else has, as in production.
    made = ensure_keys()
    if made is not None:
        typer.echo(f"keys: {made} (the JWT key and the payload key; mode 600)")
    get_settings.cache_clear()
    # Development: the sign-in page also takes a pasted token (`lianban token …`); its pages
    # are plain HTTP on 127.0.0.1, where a Secure cookie would not come back; the case page
    # links to the embedded Temporal UI unless another one is set.
    settings = get_settings()
    update: dict[str, Any] = {"token_sign_in": True, "secure_cookies": False}
    if not settings.temporal_ui_url and settings.temporal_ui_port:
        update["temporal_ui_url"] = f"http://127.0.0.1:{settings.temporal_ui_port}"
    _run(Parts(), embedded=True, settings=settings.model_copy(update=update | ui_codec(settings)))


def ui_codec(settings: Any) -> dict[str, Any]:
    """The embedded Web UI reads the case: it calls the API's codec from its own origin, with
    a key made for this run in the path (it can send no token), allowed by CORS."""
    import secrets

    from pydantic import SecretStr

    if not settings.temporal_ui_port:
        return {}
    port = settings.temporal_ui_port
    origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    key = settings.codec_path_key or SecretStr(secrets.token_urlsafe(32))
    return {
        "codec_path_key": key,
        "codec_cors_origins": [*settings.codec_cors_origins, *origins],
    }


def _run(parts: Any, *, embedded: bool, settings: Any = None) -> None:
    import asyncio

    from entrypoints.cli.client import fail
    from entrypoints.devstack.server import run_forever
    from infra import logs
    from infra.malloc import limit_arenas
    from infra.settings import get_settings
    from store.migrate import SchemaNotCurrent

    settings = settings or get_settings()
    limit_arenas(settings.malloc_arenas)  # before any thread starts (infra/malloc.py)
    # JSON lines under `serve` (LIANBAN_LOG_FORMAT), readable ones under `dev`.
    logs.configure(settings, dev=embedded)
    run = asyncio.run
    if settings.event_loop == "uvloop":
        import uvloop

        run = uvloop.run
    try:
        run(run_forever(settings, parts, embedded=embedded, install=_install_signals))
    except SchemaNotCurrent as exc:
        raise fail(f"refusing to start: {exc}") from None


def _install_signals(stop: asyncio.Event) -> None:
    import asyncio
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
