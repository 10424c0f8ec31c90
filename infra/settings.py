"""All configuration, from environment variables prefixed LIANBAN_ (or a .env file)."""

from __future__ import annotations

import ipaddress
import os
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from events.topics import Topics
from infra.dev_keys import stored_keys

# `LIANBAN_WORKFLOW_SANDBOX`'s values (entrypoints/worker.py maps each to a runner).
WorkflowSandbox = Literal["strict", "shared", "off"]

# Printed as a warning wherever it is in use: anyone can mint tokens with it.
DEV_JWT_SECRET = "lianban-dev-only-secret-change-me-0123456789abcdef"
MIN_KEY_BYTES = 32  # HS256 keys shorter than the hash are guessable (RFC 7518 §3.2)
MAX_TOKEN_MINUTES = 7 * 24 * 60


class DevKeysSource(PydanticBaseSettingsSource):
    """The keys `lianban dev` generated under var/ (infra/dev_keys.py): below the environment
    and `.env`, above the defaults."""

    def __init__(self, settings_cls: type[BaseSettings], given: set[str]) -> None:
        super().__init__(settings_cls)
        self.given = given  # fields the caller passed: their group is not taken from the file

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[object, str, bool]:
        return None, field_name, False  # everything comes from __call__

    def __call__(self) -> dict[str, object]:
        return stored_keys(skip=self.given)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIANBAN_", env_file=".env", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        given = set(getattr(init_settings, "init_kwargs", {}))
        dev_keys = DevKeysSource(settings_cls, given)
        return init_settings, env_settings, dotenv_settings, dev_keys, file_secret_settings

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/lianban.db",
        description="SQLAlchemy async URL; e.g. postgresql+asyncpg://postgres@127.0.0.1/lianban",
    )
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    calendar_next_year_from: str = Field(
        default="11-01",
        pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
        description="MM-DD: from this day on, a missing official calendar of the coming year "
        "is an incident (/readyz, `lianban calendar check`)",
    )

    @property
    def public_base_url(self) -> str:
        """`public_url` without a trailing slash, or the API's own address."""
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def next_year_from(self) -> tuple[int, int]:
        month, day = self.calendar_next_year_from.split("-")
        return int(month), int(day)

    temporal_ui_url: str = Field(
        default="",
        max_length=500,
        pattern=r"^(https?://[^\s]+)?$",
        description="base URL of the Temporal Web UI (e.g. https://temporal.center.example): "
        "the staff case page links each case's workflow there; empty: no link (`lianban dev` "
        "sets it to its embedded UI)",
    )
    temporal_ui_port: int = Field(
        default=8233,
        ge=0,
        le=65535,
        description="`lianban dev` only: port of the embedded Temporal Web UI; 0 runs none. "
        "Change it (with the other ports) to run two development stacks on one machine",
    )
    task_queue: str = "lianban-cases"
    kafka_bootstrap: str = "127.0.0.1:9092"
    # Transport security to Kafka (infra/kafka_client.py builds every client from these).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="SSL and SASL_SSL encrypt; SASL_* authenticate"
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        default=None, description="required with SASL_PLAINTEXT / SASL_SSL"
    )
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = Field(
        default=None,
        description="PEM CA bundle the broker's certificate is checked against; "
        "unset: the system's CAs",
    )
    kafka_ssl_certfile: str | None = Field(
        default=None, description="PEM client certificate (mutual TLS); needs the key file"
    )
    kafka_ssl_keyfile: str | None = None
    kafka_ssl_key_password: SecretStr | None = None
    # Transport security to Temporal (infra/bootstrap.py `temporal_connect_options`).
    temporal_tls: bool = Field(
        default=False, description="connect with TLS (implied by any of the TLS files or api key)"
    )
    temporal_tls_ca_file: str | None = Field(
        default=None, description="PEM CA of the server's certificate; unset: the system's CAs"
    )
    temporal_tls_cert_file: str | None = Field(
        default=None, description="PEM client certificate (mutual TLS); needs the key file"
    )
    temporal_tls_key_file: str | None = None
    temporal_tls_server_name: str | None = Field(
        default=None, description="name checked in the server's certificate, if not the host's"
    )
    temporal_api_key: SecretStr | None = Field(
        default=None, description="sent as a bearer key (e.g. Temporal Cloud); implies TLS"
    )
    topic_prefix: str = Field(default="lianban", description="topics are <prefix>.submissions …")
    consumer_group: str = "lianban-orchestrator"
    catalog_path: str | None = Field(default=None, description="matters catalog; shipped default")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses or networks of the reverse proxies in front of the API (JSON: "
        '["10.0.0.5", "10.1.0.0/16"]): only from them are X-Forwarded-For and '
        "X-Forwarded-Proto believed; empty (the default): from nowhere",
    )
    public_url: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="where the public reaches this center (http(s)://host[/path], no trailing "
        "query): a licence's verify link and QR code point there; default http://api_host:api_port",
    )
    relay_batch: int = 500
    kafka_fetch_wait_ms: int = Field(
        default=50,
        ge=1,
        le=5000,
        description="longest a consumer's fetch waits at the broker for new records; the "
        "embedded broker answers a waiting fetch only when this expires, so it bounds how "
        "long a decision or submission sits on its topic (aiokafka's default is 500)",
    )
    kafka_session_timeout_ms: int = Field(
        default=10_000,
        ge=1_000,
        le=300_000,
        description="how long the group waits for a consumer that stopped heartbeating (a "
        "process killed -9) before its partitions go to another member; heartbeats every "
        "third of it. A real broker refuses values outside its group.min/max.session.timeout.ms "
        "(6 s to 30 min by default). The embedded broker lets a new member (a started or "
        "restarted consumer) in only after half of it, rounded up to a second",
    )
    workflow_cache: int = Field(
        default=300,
        ge=0,
        description="workflows the worker keeps in memory (~0.3 MB each for a case's "
        "CaseWorkflow); an evicted one replays its history on its next task. A case is one "
        "workflow (bench/RESULTS.md: 239 MB peak with 5,000 open cases at 300)",
    )
    workflow_sandbox: WorkflowSandbox = Field(
        default="off",
        description="how the worker runs workflow code. `off`: no sandbox. `shared`: Temporal's "
        "sandbox with every module imported once per process; it refuses builtins such as "
        "open() but not a clock, random or environment read through an imported module, and "
        "cost 18 % more CPU a case than `off` (bench/RESULTS.md). `strict`: our modules "
        "imported afresh for each workflow run, so those reads fail the workflow task; every "
        "workflow test runs so, which is where such a call is caught",
    )
    relay_idle_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="the relay's poll for outbox rows when nothing woke it: every commit in "
        "its own process that wrote rows wakes it at once, and on PostgreSQL every other "
        "process's too (a NOTIFY). So the poll finds only rows whose retry came due and, on "
        "SQLite, rows another process wrote: a relay there without the worker, consumers and "
        "API in its process polls every 50 ms whatever this says. Polling every 50 ms "
        "everywhere cost an idle process 6 % of a core",
    )
    relay_linger_ms: int = Field(
        default=10,
        ge=0,
        le=1000,
        description="after publishing a batch that was not full, the relay waits this long "
        "for more rows before the next one (Kafka's linger.ms for the outbox): fewer, larger "
        "batches under load for at most this much more latency; 0 turns it off",
    )
    relay_max_attempts: int = Field(
        default=10,
        ge=1,
        description="a row the broker keeps refusing is parked after this many attempts "
        "(backoff 1 s, 2 s, 4 s … 60 s); one that can never succeed is parked at once",
    )
    broker_check_seconds: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="how often the relay compares the broker's topics and end offsets with "
        "what it published, and consumers look for partitions that shrank: a broker that lost "
        "records is found within this time (or at once, at the next publish)",
    )
    outbox_stale_seconds: float = Field(
        default=30.0,
        gt=0,
        description="health is degraded when the oldest unsent outbox row is older than this",
    )
    decision_redeliver_after_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="a recorded decision whose case was not told within this time is "
        "signalled again by the delivery sweeper of any process (then backing off: twice as "
        "long each attempt, with jitter, at most 5 minutes apart)",
    )
    decision_delivery_backlog: int = Field(
        default=256,
        ge=1,
        le=10_000,
        description="decisions from Kafka recorded and acknowledged whose signal to their case "
        "is still under way, at most; the decisions consumer waits for one to finish beyond "
        "this (a slow or absent Temporal holds the consumer back instead of piling up work)",
    )
    decision_sweep_seconds: float = Field(
        default=5.0,
        gt=0,
        le=600,
        description="how often each process's delivery sweeper looks for decisions due to be "
        "signalled again",
    )
    decision_undelivered_alarm_seconds: float = Field(
        default=300.0,
        gt=0,
        description="a decision recorded this long ago and still not delivered to its case "
        "is reported by `ops stalled` (`decision_undelivered`) and `audit verify`",
    )
    ack_again_seconds: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="a re-sent record publishes its acknowledgement again at most once per "
        "this many seconds (per decision or submission); 0: at every re-send",
    )

    def ack_again_before(self, now: datetime) -> datetime | None:
        """An acknowledgement last published before this may be published again now."""
        return now - timedelta(seconds=self.ack_again_seconds) if self.ack_again_seconds else None

    consumer_lag_limit: int = Field(
        default=1000,
        ge=0,
        description="health is degraded when a consumer group is this many records behind",
    )
    calendar_dir: str | None = Field(
        default="deploy/calendars", description="operator calendar files (*.yaml) for later years"
    )
    clock_start_offset: int = Field(
        default=1, ge=1, le=2, description="1: count from the next working day; 2: the 2nd"
    )
    yellow_days_before: int = Field(default=1, ge=0, le=10)
    extension_near_days: int = Field(
        default=10,
        ge=0,
        le=60,
        description="the government head's page lists a joint case without an extension once "
        "its statutory due date is this many working days away or nearer (or it warns)",
    )
    manual_prereview: bool = Field(
        default=False,
        description="a window clerk pre-reviews each case (Art. 32's 5-day rule applies)",
    )
    otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP traces endpoint")
    spans_table: bool | None = Field(
        default=None,
        description="keep finished spans in the `spans` table; unset: only when no "
        "LIANBAN_OTLP_ENDPOINT is set (no page or report reads the table: it holds the traces "
        "of a deployment without a collector)",
    )
    # Operators (services/operators): what counts as stalled, where departments listen.
    department_endpoints: dict[str, str] = Field(
        default_factory=dict,
        description='department code -> URL its system takes review tasks at (JSON: {"fire": '
        '"https://…"}); none: the task goes out on Kafka only',
    )
    stalled_idle_hours: float = Field(
        default=16.0, gt=0, description="an open task idle this many working hours is stalled"
    )
    office_hours: tuple[int, int] = Field(default=(9, 17), description="working hours, local")
    pause_expected_days: dict[str, int] = Field(
        default_factory=lambda: {
            "hearing": 20,
            "bidding": 30,
            "auction": 30,
            "inspection": 20,
            "testing": 20,
            "quarantine": 20,
            "appraisal": 30,
            "expert_review": 20,
            "site_inspection": 5,
        },
        description="expected working days of a special procedure when its notice gives none",
    )
    supervision_on_red: bool = Field(
        default=False,
        description="a red warning opens supervision items too (a statutory breach always does)",
    )
    supervision_due_days: int = Field(
        default=3, ge=1, le=30, description="working days a supervision item is due in"
    )
    anchor_every_minutes: float = Field(
        default=0.0,
        ge=0,
        description="take an audit anchor this often from `lianban serve` (0 = off); one "
        "process at a time does, holding the `audit-anchor` lease in job_leases",
    )
    supervision_sweep_seconds: float = Field(
        default=300.0,
        gt=0,
        description="how often an API process looks for overdue supervision items to escalate",
    )
    token_sign_in: bool = Field(
        default=False,
        description="the sign-in page also takes a pasted bearer token (development: `lianban "
        "dev` turns it on); staff otherwise sign in with a user name and password",
    )
    secure_cookies: bool = Field(
        default=True,
        description="the sign-in cookies carry Secure (sent over HTTPS only); `lianban dev` "
        "turns it off for its plain-HTTP pages; off only for plain HTTP on a developer's machine",
    )
    session_minutes: int = Field(
        default=480, gt=0, le=7 * 24 * 60, description="how long a staff sign-in lasts"
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=100, description="wrong passwords in a row before an account locks"
    )
    login_lockout_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="how long a locked account stays locked"
    )
    login_address_max_failures: int = Field(
        default=30,
        ge=1,
        le=100_000,
        description="sign-in attempts from one address per LIANBAN_LOGIN_LOCKOUT_MINUTES "
        "(a right password gives its attempt back); past it 429, no password is checked",
    )
    login_verify_workers: int = Field(
        default=2,
        ge=1,
        le=32,
        description="argon2 password checks run at once per API process, in threads off the "
        "event loop (each ~0.15 s of CPU and 64 MiB); 64 more may wait, the rest get 503",
    )
    # Staff single sign-on by the OpenID Connect authorization-code flow (with PKCE).
    sso_issuer: str | None = Field(default=None, description="the IdP's issuer (`iss`)")
    sso_client_id: str | None = None
    sso_client_secret: str | None = None
    sso_authorize_url: str | None = None
    sso_token_url: str | None = None
    sso_jwks_url: str | None = None
    sso_redirect_url: str | None = Field(
        default=None, description="this app's /login/sso/callback as the IdP knows it"
    )
    sso_role_claim: str = "lianban_role"
    sso_dept_claim: str = "lianban_dept"
    sso_name_claim: str = "name"
    # Bearer tokens from the identity provider (infra/oidc.py), besides Lianban's own.
    oidc_issuer: str | None = Field(default=None, description="required `iss` of IdP tokens")
    oidc_audience: str | None = Field(default=None, description="required `aud` of IdP tokens")
    oidc_jwks_url: str | None = Field(
        default=None,
        description="the IdP's JWKS; set (with issuer and audience) to accept "
        "its RS256/ES256 bearer tokens",
    )
    oidc_role_claim: str = "lianban_role"
    oidc_dept_claim: str = "lianban_dept"
    oidc_name_claim: str = "name"
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict,
        description='IdP role values -> Lianban roles (JSON: {"center-ops": "operator"}); '
        "a value not in the map is taken as a Lianban role name",
    )
    require_signed_decisions: bool = Field(
        default=True,
        description="a decision on the decisions topic must carry a department's signature "
        '(docs/contracts.md "Signing decisions"); false only while department systems move '
        "to signing: "
        "an unsigned decision is then applied and recorded as unsigned (a signed one is "
        "always checked)",
    )
    # Bearer tokens (infra/tokens.py): HS256, the key chosen by the token's `kid`.
    jwt_secret: str = Field(
        default=DEV_JWT_SECRET, description="key of `jwt_kid`; the default is for development only"
    )
    jwt_kid: str = Field(default="dev", description="kid of `jwt_secret`; new tokens carry it")
    jwt_previous_keys: dict[str, str] = Field(
        default_factory=dict, description='other keys still accepted, by kid (JSON: {"k1": "…"})'
    )
    jwt_issuer: str = "lianban"
    jwt_audience: str = "lianban-api"
    jwt_ttl_minutes: int = Field(default=480, gt=0, le=MAX_TOKEN_MINUTES)
    jwt_max_lifetime_minutes: int = Field(
        default=MAX_TOKEN_MINUTES,
        gt=0,
        le=MAX_TOKEN_MINUTES,
        description="a token whose exp - iat is longer is refused, whoever signed it",
    )
    payload_keys: dict[str, str] = Field(
        default_factory=dict,
        description='Temporal payload keys by id, base64 of 32 bytes (JSON: {"p1": "…"}); '
        "old ids stay here while histories written with them may be read",
    )
    payload_kid: str | None = Field(
        default=None,
        description="the id in `payload_keys` that encrypts new payloads; unset: none encrypted "
        "(`lianban serve` then refuses to start unless LIANBAN_ALLOW_DEV_KEY)",
    )
    allow_dev_key: bool = Field(
        default=False,
        description="`lianban serve` refuses the published development key unless this is set "
        "(a developer's machine only; `lianban dev` always allows it)",
    )
    # The Temporal codec server (POST /codec/decode and /codec/encode, docs/security.md).
    codec_cors_origins: list[str] = Field(
        default_factory=list,
        description="origins of the Temporal Web UI allowed to call /codec from a browser (JSON: "
        '["https://temporal-ui.example"]); empty: no cross-origin calls',
    )
    codec_path_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="a secret that, as a path segment (<api>/codec/ui/<key>), lets a Temporal "
        "Web UI that can send no credentials call the codec (`lianban dev` makes one per run "
        "for its embedded UI); unset: /codec/ui/… answers 404",
    )
    codec_max_body_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="largest /codec request body (413 over it); a payload may be up to 2 MB",
    )
    # Inbox: an open task this many working days from its due date (or nearer) is "due soon".
    inbox_due_soon_days: int = Field(default=2, ge=0, le=20)
    # Operating signals (docs/monitoring.md): metrics, logs, alerts.
    metrics_enabled: bool = Field(
        default=True,
        description="count and serve Prometheus metrics (/metrics and the parts' metrics "
        "ports); false: nothing is counted (what the throughput benchmark compares)",
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="address the parts' metrics ports listen on"
    )
    worker_metrics_port: int = Field(
        default=9464,
        ge=0,
        le=65535,
        description="a process running the worker and not the API serves /metrics here; 0: none",
    )
    consumers_metrics_port: int = Field(
        default=9465,
        ge=0,
        le=65535,
        description="the same for a process whose first part is the consumers; 0: none",
    )
    relay_metrics_port: int = Field(
        default=9466,
        ge=0,
        le=65535,
        description="the same for a process whose first part is the relay; 0: none",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="when set, /metrics (API and metrics ports) asks for "
        "`Authorization: Bearer <it>`; unset: open, like /healthz",
    )
    metrics_refresh_seconds: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="how often the gauges are computed: business figures and health (API), "
        "outbox (relay), consumer lag (consumers)",
    )
    alert_webhook_token: SecretStr | None = Field(
        default=None,
        description="bearer token Alertmanager sends to POST /alerts/webhook; unset: the "
        "webhook refuses every call",
    )
    kpi_check_seconds: float = Field(
        default=300.0,
        gt=0,
        le=86400,
        description="how often the API compares each matter's figures with the leaders' KPI "
        "thresholds",
    )
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="json: one JSON object per line; text: readable lines; auto: text under "
        "`lianban dev`, json otherwise",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    event_loop: Literal["asyncio", "uvloop"] = Field(
        default="uvloop",
        description="the event loop `lianban serve` and `lianban dev` run on: uvloop (libuv), "
        "or Python's own; uvloop saves ~10 % of the CPU per case (bench/RESULTS.md)",
    )
    malloc_arenas: int = Field(
        default=2,
        ge=0,
        description="glibc malloc arenas of a `lianban serve` or `lianban dev` process "
        "(M_ARENA_MAX; MALLOC_ARENA_MAX in the environment wins); 0: glibc's default, 8 per "
        "core. The Temporal SDK's threads each took an arena of their own and the worker kept "
        "growing with the open cases (bench/RESULTS.md: 257 -> 239 MB at 5,000)",
    )

    @field_validator("jwt_secret")
    @classmethod
    def _key_long_enough(cls, key: str) -> str:
        return _strong(key, "LIANBAN_JWT_SECRET")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy)
            except ValueError:
                raise ValueError(
                    f"LIANBAN_TRUSTED_PROXIES: {proxy!r} is not an IP address or network "
                    "(e.g. 10.0.0.5 or 10.1.0.0/16)"
                ) from None
        return proxies

    @field_validator("jwt_previous_keys")
    @classmethod
    def _old_keys_long_enough(cls, keys: dict[str, str]) -> dict[str, str]:
        for kid, key in keys.items():
            _strong(key, f"LIANBAN_JWT_PREVIOUS_KEYS[{kid}]")
        return keys

    @model_validator(mode="after")
    def _transport_consistent(self) -> Settings:
        for problem in _transport_problems(self):
            raise ValueError(problem)
        oidc = {
            "LIANBAN_OIDC_ISSUER": self.oidc_issuer,
            "LIANBAN_OIDC_AUDIENCE": self.oidc_audience,
            "LIANBAN_OIDC_JWKS_URL": self.oidc_jwks_url,
        }
        if any(oidc.values()) and not all(oidc.values()):
            missing = ", ".join(k for k, v in oidc.items() if not v)
            raise ValueError(f"{missing} required with the other LIANBAN_OIDC_* settings")
        return self

    @model_validator(mode="after")
    def _payload_key_known(self) -> Settings:
        if self.payload_kid and self.payload_kid not in self.payload_keys:
            raise ValueError(
                f"LIANBAN_PAYLOAD_KID {self.payload_kid!r} is not in LIANBAN_PAYLOAD_KEYS"
            )
        return self

    @property
    def spans_in_database(self) -> bool:
        """Whether finished spans go to the `spans` table (`spans_table`, else no collector)."""
        return self.spans_table if self.spans_table is not None else not self.otlp_endpoint

    @property
    def topics(self) -> Topics:
        return Topics.with_prefix(self.topic_prefix)


def _transport_problems(s: Settings) -> list[str]:
    """Settings that would silently connect with less security than asked for, or not at all."""
    out: list[str] = []
    sasl = s.kafka_security_protocol.startswith("SASL_")
    tls = s.kafka_security_protocol in ("SSL", "SASL_SSL")
    if sasl:
        for name, value in (
            ("LIANBAN_KAFKA_SASL_MECHANISM", s.kafka_sasl_mechanism),
            ("LIANBAN_KAFKA_SASL_USERNAME", s.kafka_sasl_username),
            ("LIANBAN_KAFKA_SASL_PASSWORD", s.kafka_sasl_password),
        ):
            if not value:
                out.append(
                    f"{name} is required with LIANBAN_KAFKA_SECURITY_PROTOCOL="
                    f"{s.kafka_security_protocol}"
                )
    else:
        for name, value in (
            ("LIANBAN_KAFKA_SASL_MECHANISM", s.kafka_sasl_mechanism),
            ("LIANBAN_KAFKA_SASL_USERNAME", s.kafka_sasl_username),
            ("LIANBAN_KAFKA_SASL_PASSWORD", s.kafka_sasl_password),
        ):
            if value:
                out.append(
                    f"{name} is set but LIANBAN_KAFKA_SECURITY_PROTOCOL="
                    f"{s.kafka_security_protocol} sends no credentials (use SASL_SSL)"
                )
    files = (
        ("LIANBAN_KAFKA_SSL_CAFILE", s.kafka_ssl_cafile),
        ("LIANBAN_KAFKA_SSL_CERTFILE", s.kafka_ssl_certfile),
        ("LIANBAN_KAFKA_SSL_KEYFILE", s.kafka_ssl_keyfile),
    )
    if not tls:
        out += [
            f"{name} is set but LIANBAN_KAFKA_SECURITY_PROTOCOL={s.kafka_security_protocol} "
            "does not use TLS (use SSL or SASL_SSL)"
            for name, value in files
            if value
        ]
    out += _pair(
        "LIANBAN_KAFKA_SSL_CERTFILE",
        s.kafka_ssl_certfile,
        "LIANBAN_KAFKA_SSL_KEYFILE",
        s.kafka_ssl_keyfile,
    )
    out += _pair(
        "LIANBAN_TEMPORAL_TLS_CERT_FILE",
        s.temporal_tls_cert_file,
        "LIANBAN_TEMPORAL_TLS_KEY_FILE",
        s.temporal_tls_key_file,
    )
    out += _readable(
        ("LIANBAN_KAFKA_SSL_CAFILE", s.kafka_ssl_cafile),
        ("LIANBAN_KAFKA_SSL_CERTFILE", s.kafka_ssl_certfile),
        ("LIANBAN_KAFKA_SSL_KEYFILE", s.kafka_ssl_keyfile),
        ("LIANBAN_TEMPORAL_TLS_CA_FILE", s.temporal_tls_ca_file),
        ("LIANBAN_TEMPORAL_TLS_CERT_FILE", s.temporal_tls_cert_file),
        ("LIANBAN_TEMPORAL_TLS_KEY_FILE", s.temporal_tls_key_file),
    )
    return out


def _pair(a: str, a_value: str | None, b: str, b_value: str | None) -> list[str]:
    if bool(a_value) != bool(b_value):
        missing, given = (b, a) if a_value else (a, b)
        return [f"{missing} is required with {given} (a client certificate needs its key)"]
    return []


def _readable(*files: tuple[str, str | None]) -> list[str]:
    return [
        f"{name}: cannot read {path!r}"
        for name, path in files
        if path and not os.access(path, os.R_OK)
    ]


def _strong(key: str, name: str) -> str:
    if len(key.encode()) < MIN_KEY_BYTES:
        raise ValueError(
            f"{name} is {len(key.encode())} bytes; an HS256 key needs at least {MIN_KEY_BYTES} "
            "random bytes (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return key


class AuditSettings(BaseSettings):
    """What the auditors' tools use (services/auditors), from LIANBAN_AUDIT_* variables."""

    model_config = SettingsConfigDict(env_prefix="LIANBAN_AUDIT_", env_file=".env", extra="ignore")

    anchor_file: str = Field(
        default="var/audit-anchors.jsonl",
        description="anchors are appended here (one JSON per line); keep it off the database "
        "host, e.g. on write-once storage",
    )
    anchor_topic: str = Field(
        default="audit-anchors", description="topic name after the prefix: <prefix>.audit-anchors"
    )
    anchor_every_seconds: float = Field(default=300.0, gt=0, description="`audit anchor --every`")
    temporal_timeout_seconds: float = Field(
        default=5.0, gt=0, description="per Temporal call of the cross-check"
    )
    page_size: int = Field(default=500, ge=1, description="cases read per batch by verify --all")


@lru_cache
def get_settings() -> Settings:
    return Settings()


@lru_cache
def get_audit_settings() -> AuditSettings:
    return AuditSettings()
