"""What a case's Temporal history says, for tests."""

from __future__ import annotations

import json
from typing import Any


def local_steps(history: Any) -> list[str]:
    """The local activities a history records, by type, in order (the core's marker data)."""
    found = []
    for e in history.events:
        if e.HasField("marker_recorded_event_attributes"):
            marker = e.marker_recorded_event_attributes
            if marker.marker_name == "core_local_activity":
                data = json.loads(marker.details["data"].payloads[0].data)
                found.append(data["activity_type"])
    return found
