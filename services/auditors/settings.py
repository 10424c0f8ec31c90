"""The audit settings in use: those the process was built with, else the environment's."""

from __future__ import annotations

from infra.bootstrap import Deps
from infra.settings import AuditSettings, get_audit_settings


def audit_settings(deps: Deps) -> AuditSettings:
    """`deps.audit` (given to `bootstrap`), else from LIANBAN_AUDIT_* variables (or `.env`)."""
    return deps.audit if deps.audit is not None else get_audit_settings()


def anchor_topic(deps: Deps) -> str:
    return f"{deps.settings.topic_prefix}.{audit_settings(deps).anchor_topic}"
