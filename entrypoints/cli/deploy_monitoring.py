"""The monitoring part of `deploy_check`: Prometheus rules and configuration, Alertmanager's
routes, the Grafana dashboard, held to the code and the docs.

`promtool` and `amtool` (run by `make lint` beside this) check the files' syntax and the rules'
behaviour; this checks what they cannot know: every `lianban_*` metric a rule or panel queries
is one the code defines, every alert has a severity, a summary and a runbook link to a section
of docs/alerts.md, Alertmanager sends to Lianban's webhook with a bearer token, and each part's
metrics port in the ConfigMap is the port its pods declare.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

SEVERITIES = ("critical", "warning")
RUNBOOK = re.compile(r"^\{\{ \$externalLabels\.docs_url \}\}/alerts/#([a-z0-9-]+)$")
_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan",
}  # fmt: skip
PARTS = {"worker": "WORKER", "consumers": "CONSUMERS", "relay": "RELAY"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (not functions, labels or keywords)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings (label values, printf)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        rest = text[m.end() :].lstrip()
        word = m.group()
        if rest.startswith("(") or word.lower() in _KEYWORDS:
            continue
        if re.fullmatch(r"\d+[smhdwy]", word) or text[max(m.start() - 1, 0)].isdigit():
            continue
        names.add(word)
    return names


def exported_names() -> set[str]:
    """The series names Lianban's own metrics expose (with `_total`, `_bucket`, … suffixes)."""
    from prometheus_client import REGISTRY

    import infra.metrics  # noqa: F401  (defines them in the registry)

    names = set()
    for family in REGISTRY.collect():
        if not family.name.startswith("lianban_"):
            continue
        suffixes = {
            "counter": ("_total",),
            "histogram": ("_bucket", "_sum", "_count"),
        }.get(family.type, ("",))
        names |= {family.name + s for s in suffixes}
    return names


def docs_anchors(docs: Path) -> set[str]:
    """The section anchors of docs/alerts.md (mkdocs' slugs of its headings)."""
    page = docs / "alerts.md"
    if not page.exists():
        return set()
    heads = re.findall(r"^#{2,4} (.+)$", page.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^a-z0-9]+", "-", h.lower()).strip("-") for h in heads}


def _unknown(where: str, expr: str, known: set[str]) -> Iterator[str]:
    for name in sorted(metric_names(expr)):
        if name.startswith("lianban_") and name not in known:
            yield f"{where}: {name} is not a metric Lianban exports"


def check_rules(path: Path, known: set[str], anchors: set[str]) -> list[str]:
    doc = yaml.safe_load(path.read_text())
    out: list[str] = []
    rules = [r for g in (doc or {}).get("groups") or [] for r in g.get("rules") or []]
    if not rules:
        return [f"{path.name}: no rules"]
    for rule in rules:
        where = f"{path.name}: {rule.get('alert') or rule.get('record')}"
        ann, labels = rule.get("annotations") or {}, rule.get("labels") or {}
        if labels.get("severity") not in SEVERITIES:
            out.append(f"{where}: severity must be one of {SEVERITIES}")
        for key in ("summary", "description", "runbook_url"):
            if not ann.get(key):
                out.append(f"{where}: annotation {key} missing")
        found = RUNBOOK.match(str(ann.get("runbook_url", "")))
        if found is None or found.group(1) not in anchors:
            out.append(f"{where}: runbook_url must link a section of docs/alerts.md")
        out += _unknown(where, str(rule.get("expr", "")), known)
    return out


def check_alertmanager(path: Path) -> list[str]:
    from entrypoints.api.alerts import router

    doc = yaml.safe_load(path.read_text()) or {}
    hooks = [
        w
        for r in doc.get("receivers") or []
        for w in r.get("webhook_configs") or []
        if str(w.get("url", "")).endswith("/alerts/webhook")
    ]
    routes = {getattr(r, "path", "") for r in router.routes}
    out = []
    if "/alerts/webhook" not in routes:
        out.append(f"{path.name}: the app has no /alerts/webhook route")
    if not hooks:
        out.append(f"{path.name}: no receiver sends to Lianban's /alerts/webhook")
    for hook in hooks:
        auth = (hook.get("http_config") or {}).get("authorization") or {}
        if not (auth.get("credentials_file") or auth.get("credentials")):
            out.append(f"{path.name}: the webhook needs a bearer token (authorization)")
        if not hook.get("send_resolved", True):
            out.append(f"{path.name}: the webhook must send resolved alerts too")
    return out


def check_dashboard(path: Path, known: set[str]) -> list[str]:
    try:
        doc = json.loads(path.read_text())
    except ValueError as exc:
        return [f"{path.name}: not JSON: {exc}"]
    out = []
    exprs = [
        (p.get("title", "?"), t.get("expr", ""))
        for p in _panels(doc.get("panels") or [])
        for t in p.get("targets") or []
    ]
    if not exprs:
        out.append(f"{path.name}: no panel queries anything")
    for title, expr in exprs:
        out += _unknown(f"{path.name}: panel {title!r}", expr, known)
    return out


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for p in panels:
        yield p
        yield from _panels(p.get("panels") or [])


def check_metrics_ports(config: dict[str, str], ports: dict[str, set[int]]) -> list[str]:
    """Each part's metrics port in the ConfigMap is a `metrics` port its containers declare."""
    out = []
    for part, name in PARTS.items():
        value = config.get(f"LIANBAN_{name}_METRICS_PORT")
        if value is not None and int(value) not in ports.get(part, set()):
            out.append(
                f"config.yaml: LIANBAN_{name}_METRICS_PORT={value} but the {part} containers "
                f"declare metrics ports {sorted(ports.get(part, set()))}"
            )
    return out


def k8s_ports(objects: list[tuple[Path, Any]]) -> tuple[dict[str, str], dict[str, set[int]]]:
    """The ConfigMap lianban-config's data, and each part's declared `metrics` ports."""
    config: dict[str, str] = {}
    ports: dict[str, set[int]] = {}
    for _, doc in objects:
        kind, name = doc.get("kind"), (doc.get("metadata") or {}).get("name")
        if kind == "ConfigMap" and name == "lianban-config":
            config = {k: str(v) for k, v in (doc.get("data") or {}).items()}
        spec = ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
        for c in spec.get("containers") or []:
            if c.get("name") in PARTS:
                declared = {int(p["containerPort"]) for p in c.get("ports") or []
                            if p.get("name") == "metrics"}  # fmt: skip
                ports.setdefault(c["name"], set()).update(declared)
    return config, ports


def check(deploy: Path, docs: Path, objects: list[tuple[Path, Any]]) -> list[str]:
    known = exported_names()
    out: list[str] = check_metrics_ports(*k8s_ports(objects))
    for rel, fn in (
        ("prometheus/alerts.yaml", lambda p: check_rules(p, known, docs_anchors(docs))),
        ("alertmanager/alertmanager.yaml", check_alertmanager),
        ("grafana/lianban.json", lambda p: check_dashboard(p, known)),
    ):
        path = deploy / rel
        out += fn(path) if path.exists() else [f"{rel}: missing"]
    return out
