"""The one place that builds engines, clients and producers and wires them together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.contrib.opentelemetry import OpenTelemetryPlugin
from temporalio.service import TLSConfig

from domain.calendar import CalendarData
from domain.catalog import SHIPPED_CATALOG, Catalog, load_catalog
from events.topics import Topics
from infra import metrics, redact, temporal_metrics, tracing
from infra.background import Background
from infra.calendars import CalendarProvider
from infra.department_keys import DepartmentKeys
from infra.outbox_signal import OutboxSignal
from infra.passwords import PasswordPool
from infra.payload_crypto import data_converter
from infra.settings import AuditSettings, Settings
from store.db import make_engine, make_sessionmaker
from store.migrate import check_current, upgrade
from store.sealing import Keyring


def keyring_of(settings: Settings) -> Keyring:
    return Keyring.from_settings(settings.payload_kid, settings.payload_keys)


DRAIN_SECONDS = 5.0  # at shutdown, how long work under way may take to finish


@dataclass(frozen=True)
class Deps:
    """What processes share; built by `bootstrap`, closed by `close`."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    catalog: Catalog
    calendar: Callable[[], CalendarData]  # a CalendarProvider in the services
    temporal: Client | None = None
    audit: AuditSettings | None = None  # None: from the environment when first needed
    outbox: OutboxSignal = field(default_factory=OutboxSignal)
    passwords: PasswordPool = field(default_factory=PasswordPool)  # argon2 off the event loop
    # Signals to case workflows that the decisions consumer does not wait for (None: the
    # caller waits, e.g. a unit test's Deps); drained at `close`.
    background: Background | None = None
    # The use cases' unit of work (`services.unit_of_work`): None, the database's; a unit
    # test gives an in-memory one. A factory, since the layer that defines it is above this.
    unit_of_work: Callable[[], Any] | None = None
    # The department keys signed decisions are checked with, cached in the process.
    department_keys: DepartmentKeys = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "department_keys", DepartmentKeys(self.engine, self.sessions))

    @property
    def topics(self) -> Topics:
        return self.settings.topics

    @property
    def keyring(self) -> Keyring:
        """The payload keys, which also seal the applicant's ID number and phone at rest."""
        return keyring_of(self.settings)

    def notify_outbox(self) -> None:
        """Wake an in-process relay right away instead of at its next poll."""
        self.outbox.notify()

    async def close(self) -> None:
        if self.background is not None:  # what is cut short, the delivery sweeper finishes
            await self.background.drain(DRAIN_SECONDS)
        self.passwords.close()
        await self.department_keys.close()
        await self.engine.dispose()


def temporal_connect_options(settings: Settings) -> dict[str, Any]:
    """Client.connect keyword arguments for the namespace and transport security: TLS, mutual
    TLS and an API key. Everything in the project that connects to Temporal uses these."""
    s = settings
    opts: dict[str, Any] = {"namespace": s.temporal_namespace}
    files = (s.temporal_tls_ca_file, s.temporal_tls_cert_file, s.temporal_tls_key_file)
    if s.temporal_tls or any(files) or s.temporal_tls_server_name or s.temporal_api_key:
        opts["tls"] = TLSConfig(
            server_root_ca_cert=_read(s.temporal_tls_ca_file),
            client_cert=_read(s.temporal_tls_cert_file),
            client_private_key=_read(s.temporal_tls_key_file),
            domain=s.temporal_tls_server_name,
        )
    if s.temporal_api_key is not None:
        opts["api_key"] = s.temporal_api_key.get_secret_value()
    return opts


def _read(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path else None


async def connect_temporal(settings: Settings) -> Client:
    tracing.configure(settings)
    metrics.configure(settings)
    # The SDK's worker and client metrics go to the process's registry (infra.temporal_metrics).
    extra: dict[str, Any] = {"runtime": temporal_metrics.runtime()} if metrics.enabled() else {}
    return await Client.connect(
        settings.temporal_address,
        **temporal_connect_options(settings),
        **extra,
        data_converter=data_converter(settings.payload_kid, settings.payload_keys),
        # Carries the case's trace context into workflows, activities and signals, and makes
        # spans started inside workflows replay-safe.
        plugins=[OpenTelemetryPlugin()],
    )


async def bootstrap(
    settings: Settings,
    *,
    temporal: Client | bool = True,
    calendar: Callable[[], CalendarData] | None = None,
    audit: AuditSettings | None = None,
    migrate: bool = False,
) -> Deps:
    """Build shared dependencies.

    Args:
        settings: the process's configuration.
        temporal: a client to use (e.g. a test server's), True to connect one as `settings`
            say, False for none (tools that only read the database).
        calendar: the working-day calendar; by default the shipped one plus the operator's
            files in `settings.calendar_dir`.
        audit: the auditors' settings; by default read from the environment when needed.
        migrate: upgrade the database to the code's schema first (the embedded stack, tests
            and benchmarks on a new database). Otherwise it must already be at the code's
            revision: `store.migrate.SchemaNotCurrent` says which command fixes it.
    """
    # Every process (worker or consumers alone too) masks ID and phone numbers in its logs.
    redact.install()
    metrics.configure(settings)
    if settings.database_url.startswith("sqlite"):
        db_path = settings.database_url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        await (upgrade(engine, keyring_of(settings)) if migrate else check_current(engine))
    except BaseException:
        await engine.dispose()
        raise
    catalog = load_catalog(
        Path(settings.catalog_path) if settings.catalog_path else SHIPPED_CATALOG
    )
    if calendar is None:
        calendar = CalendarProvider(Path(settings.calendar_dir) if settings.calendar_dir else None)
    if isinstance(temporal, bool):
        client = await connect_temporal(settings) if temporal else None
    else:
        client = temporal
    signal = OutboxSignal()
    sessions = make_sessionmaker(engine, on_outbox_commit=signal.notify)
    passwords = PasswordPool(settings.login_verify_workers)
    return Deps(
        settings,
        engine,
        sessions,
        catalog,
        calendar,
        temporal=client,
        audit=audit,
        outbox=signal,
        passwords=passwords,
        background=Background(settings.decision_delivery_backlog),
    )
