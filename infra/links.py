"""Where a person reads more about a case outside the pages: its workflow in the Temporal Web UI."""

from __future__ import annotations

from urllib.parse import quote

from infra.settings import Settings


def workflow_url(settings: Settings, workflow_id: str) -> str | None:
    """The case's workflow (its latest run) in the Temporal Web UI; None with no UI configured."""
    base = settings.temporal_ui_url.rstrip("/")
    if not base or not workflow_id:
        return None
    namespace = quote(settings.temporal_namespace, safe="")
    return f"{base}/namespaces/{namespace}/workflows/{quote(workflow_id, safe='')}"
