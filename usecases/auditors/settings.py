"""The audit settings, from LIANBAN_AUDIT_* environment variables (or `.env`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.bootstrap import Deps


class AuditSettings(BaseSettings):
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


def audit_settings(deps: Deps) -> AuditSettings:
    """The process's audit settings: the ones put on `deps.extras["audit"]`, else from the
    environment."""
    found = deps.extras.get("audit")
    if isinstance(found, AuditSettings):
        return found
    settings = AuditSettings()
    deps.extras["audit"] = settings
    return settings


def anchor_topic(deps: Deps) -> str:
    return f"{deps.settings.topic_prefix}.{audit_settings(deps).anchor_topic}"
