"""The chart formats the API serves, apart from the drawing: importing this costs nothing,
where the drawing modules load matplotlib (~0.6 s at a process's start)."""

from __future__ import annotations

from typing import Literal

Format = Literal["png", "svg"]
MEDIA = {"png": "image/png", "svg": "image/svg+xml"}
