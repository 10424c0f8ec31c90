"""Request and answer models of /alerts: Alertmanager's webhook notification (version 4, the
fields Lianban reads; others are ignored), the alerts shown, the KPI thresholds."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_ALERTS = 1000  # per notification (Alertmanager's `max_alerts` in deploy/ is 100)
MAX_LABELS = 50  # labels or annotations per alert
MAX_LABEL_VALUE = 2000


def _bounded(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_LABELS:
        raise ValueError(f"{len(value)} entries, over the limit of {MAX_LABELS}")
    for k, v in value.items():
        if len(k) > 100 or len(v) > MAX_LABEL_VALUE:
            raise ValueError(
                f"{k[:100]!r}: over 100 characters (name) or {MAX_LABEL_VALUE} (value)"
            )
    return value


class WebhookAlert(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    fingerprint: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")

    _labels = field_validator("labels", "annotations")(_bounded)


class WebhookNotification(BaseModel):
    """What Alertmanager POSTs to a `webhook_configs` receiver."""

    model_config = ConfigDict(extra="ignore")

    version: Literal["4"]
    status: Literal["firing", "resolved"]
    alerts: list[WebhookAlert] = Field(max_length=MAX_ALERTS)


class WebhookReceipt(BaseModel):
    firing: int
    resolved: int


class AlertPublic(BaseModel):
    fingerprint: str
    source: Literal["prometheus", "kpi"]
    name: str
    severity: str
    status: Literal["firing", "resolved"]
    summary: str
    runbook_url: str | None
    matter_code: str | None
    labels: dict[str, Any]
    starts_at: datetime
    updated_at: datetime


class AlertsPublic(BaseModel):
    count: int
    data: list[AlertPublic]


class ThresholdBody(BaseModel):
    threshold: float = Field(gt=0, le=1, description="a share: 0.95 is 95 %")
    period: Literal["week", "month"] = "week"
    min_cases: int = Field(default=1, ge=1, le=100_000, description="fewer cases: no alert")


class ThresholdPublic(BaseModel):
    matter_code: str
    kpi: str
    threshold: float
    period: str
    min_cases: int
    set_by: str
    set_at: datetime


class ThresholdsPublic(BaseModel):
    count: int
    data: list[ThresholdPublic]
