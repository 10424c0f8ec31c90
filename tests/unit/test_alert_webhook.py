"""How a webhook alert becomes the row Lianban keeps (services/operators/alerts.py), and the
notification's limits (entrypoints/http/alert_schemas.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from entrypoints.http.alert_schemas import MAX_LABELS, WebhookNotification
from services.operators.alerts import IncomingAlert, _row

START = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
ZERO = datetime(1, 1, 1, tzinfo=UTC)  # Alertmanager's "no end yet"


def alert(status: str = "firing", ends: datetime | None = ZERO, **labels: str) -> IncomingAlert:
    annotations = {"summary": "申请人 110101199003077774 的案件超期", "runbook_url": "https://d/x"}
    return IncomingAlert(status, labels, annotations, START, ends, "a1b2c3")


def test_a_firing_alert_keeps_its_name_severity_matter_and_masked_summary() -> None:
    row = _row(alert(alertname="LianbanStatutoryBreach", severity="critical", matter="M-1"))
    assert (row.name, row.severity, row.status, row.matter_code) == (
        "LianbanStatutoryBreach", "critical", "firing", "M-1"
    )  # fmt: skip
    assert row.fingerprint == "am:a1b2c3" and row.source == "prometheus"
    assert row.ends_at is None  # 0001-01-01: still firing
    assert "110101199003077774" not in row.summary and row.runbook_url == "https://d/x"


def test_a_resolved_alert_ends_and_an_odd_severity_is_a_warning() -> None:
    end = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    row = _row(alert("resolved", end, alertname="X", severity="page-everyone"))
    assert row.status == "resolved" and row.ends_at == end and row.severity == "warning"


def notification(**alert_fields: object) -> dict[str, object]:
    base = {
        "status": "firing",
        "labels": {"alertname": "X"},
        "startsAt": "2026-12-06T08:00:00Z",
        "fingerprint": "abc",
    }
    return {"version": "4", "status": "firing", "alerts": [base | alert_fields]}


def test_the_notification_is_bounded() -> None:
    WebhookNotification.model_validate(notification())
    too_many = {f"l{i}": "v" for i in range(MAX_LABELS + 1)}
    for bad in (
        notification(labels=too_many),
        notification(labels={"alertname": "x" * 2001}),
        notification(fingerprint="../../etc"),
        notification(status="pending"),
        {"version": "3", "status": "firing", "alerts": []},
    ):
        with pytest.raises(ValidationError):
            WebhookNotification.model_validate(bad)
