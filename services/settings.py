"""All configuration, from environment variables prefixed LIANBAN_ (or a .env file)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from events.topics import Topics


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIANBAN_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/lianban.db",
        description="SQLAlchemy async URL; e.g. postgresql+asyncpg://postgres@127.0.0.1/lianban",
    )
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "lianban-cases"
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = Field(default="lianban", description="topics are <prefix>.submissions …")
    consumer_group: str = "lianban-orchestrator"
    catalog_path: str | None = Field(default=None, description="matters catalog; shipped default")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    relay_batch: int = 500
    relay_idle_seconds: float = 0.05
    calendar_dir: str | None = Field(
        default="deploy/calendars", description="operator calendar files (*.yaml) for later years"
    )
    clock_start_offset: int = Field(
        default=1, ge=1, le=2, description="1: count from the next working day; 2: the 2nd"
    )
    yellow_days_before: int = Field(default=1, ge=0, le=10)
    otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP traces endpoint")

    @property
    def topics(self) -> Topics:
        return Topics.with_prefix(self.topic_prefix)


@lru_cache
def get_settings() -> Settings:
    return Settings()
