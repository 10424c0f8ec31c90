"""`python -m entrypoints.cli.deploy_check [DEPLOY_DIR]`: the deployment descriptions in
deploy/ checked offline, in `make lint` (no container daemon, no cluster, no network).

Nothing in deploy/ can be started on a development machine, so this is what keeps the files
true to the code: every YAML parses; every Kubernetes object validates against the schema of
its kind (`kubernetes-validate` ships them); Strimzi resources are checked by structure (no
package ships their schemas); every `LIANBAN_*` variable is a Settings (or AuditSettings)
field and every Lianban container gets the keys `lianban serve` refuses to start without;
keys sit in Secrets; one image name at the package's version; the Lianban commands parse
with the CLI's own parser; the API's probes are routes of the app; the topics are the code's;
compose.yaml's services, dependencies and volumes hold together; the alert rules, Alertmanager
and the Grafana dashboard name metrics the code exports, runbook sections that exist and the
app's webhook (`deploy_monitoring`).

It lives with the CLI because it reads the same Settings, commands and routes the processes
use; `kubernetes_validate` (a dev extra) is imported only when it runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings

from entrypoints.cli import deploy_monitoring
from infra.settings import AuditSettings, Settings

K8S_VERSION = "1.30"  # the schemas' Kubernetes version: a release platforms run today
IMAGE = "lianban"
STRIMZI = "kafka.strimzi.io/"
# What `lianban serve` refuses to start without, in every Lianban container.
REQUIRED = (
    "LIANBAN_DATABASE_URL",
    "LIANBAN_JWT_SECRET",
    "LIANBAN_PAYLOAD_KEYS",
    "LIANBAN_PAYLOAD_KID",
)
# Settings that are keys or hold a password: only in a Secret (Kubernetes) or taken from the
# environment of `docker compose` (`${…}`), never written into the files.
SECRET = (
    "LIANBAN_DATABASE_URL",
    "LIANBAN_JWT_SECRET",
    "LIANBAN_JWT_PREVIOUS_KEYS",
    "LIANBAN_PAYLOAD_KEYS",
    "LIANBAN_SSO_CLIENT_SECRET",
    "LIANBAN_ALERT_WEBHOOK_TOKEN",
    "LIANBAN_METRICS_TOKEN",
)
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
DOCS = Path(__file__).resolve().parents[2] / "docs"  # runbook links must name its sections


def setting_names() -> set[str]:
    """Every environment variable Settings and AuditSettings read (prefix + field, or alias)."""
    names: set[str] = set()
    models: list[type[BaseSettings]] = [Settings, AuditSettings]
    for model in models:
        prefix = str(model.model_config.get("env_prefix", ""))
        for name, info in model.model_fields.items():
            alias = info.validation_alias if isinstance(info.validation_alias, str) else None
            names.add((alias or f"{prefix}{name}").upper())
    return names


@dataclass
class Container:
    where: str  # file: object/container, for the finding
    image: str
    args: list[str]
    env: dict[str, str | None]  # literal values; None: from a ConfigMap/Secret or interpolated
    config_maps: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)


@dataclass
class Report:
    findings: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.findings.append(f"{where}: {what}")


# libyaml's parser where PyYAML was built with it (the wheels are): the same safe loading,
# seven times faster than the pure-Python one that was most of a check's time.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_all(path: Path, report: Report) -> list[Any]:
    try:
        return [d for d in yaml.load_all(path.read_text(), Loader=SAFE_LOADER) if d is not None]
    except yaml.YAMLError as exc:
        report.add(str(path), f"not YAML: {exc}")
        return []


def check(deploy: Path, version: str | None = None) -> list[str]:
    """Every finding in the deployment descriptions under `deploy`; empty when all hold."""
    report = Report()
    image = f"{IMAGE}:{version or package_version('lianban')}"
    docs: dict[Path, list[Any]] = {
        p: load_all(p, report) for p in sorted([*deploy.rglob("*.yaml"), *deploy.rglob("*.yml")])
    }
    known = setting_names()
    objects = [
        (p, d)
        for p, ds in docs.items()
        if p.parent.name in ("k8s", "strimzi")
        for d in ds
        if isinstance(d, dict)
    ]
    containers = _check_kubernetes(objects, image, report)
    compose = deploy / "compose.yaml"
    if compose.exists():
        containers += _check_compose(compose, docs.get(compose, []), image, report)
    else:
        report.add(str(compose), "missing")
    for c in containers:
        _check_container(c, image, known, report)
    # Prometheus rules, Alertmanager, the Grafana dashboard (entrypoints/cli/deploy_monitoring).
    report.findings += deploy_monitoring.check(deploy, DOCS, objects)
    return report.findings


# --- Kubernetes --------------------------------------------------------------------------------


def _check_kubernetes(
    objects: list[tuple[Path, Any]], image: str, report: Report
) -> list[Container]:
    import kubernetes_validate  # a dev extra: only `make lint` needs it

    maps: dict[str, dict[str, Any]] = {}
    secrets: dict[str, dict[str, Any]] = {}
    workloads: list[tuple[str, dict[str, Any]]] = []
    strimzi: list[tuple[str, dict[str, Any]]] = []
    for path, doc in objects:
        kind, name = doc.get("kind"), str((doc.get("metadata") or {}).get("name"))
        where = f"{path.name}: {kind}/{name}"
        if not doc.get("apiVersion") or not kind:
            report.add(where, "no apiVersion or kind")
        elif kind == "Kustomization":
            _check_kustomization(path, doc, image, report)
        elif str(doc["apiVersion"]).startswith(STRIMZI):
            strimzi.append((where, doc))
        else:
            try:
                kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                path_in = "/".join(str(p) for p in exc.path)
                report.add(where, f"invalid at {path_in or '(top)'}: {exc.message}")
            except kubernetes_validate.SchemaNotFoundError:
                report.add(where, f"no schema for {doc['apiVersion']} {kind}")
            if kind == "ConfigMap":
                maps[name] = doc.get("data") or {}
            elif kind == "Secret":
                secrets[name] = {**(doc.get("data") or {}), **(doc.get("stringData") or {})}
            elif kind in WORKLOADS:
                workloads.append((where, doc))
    _check_strimzi(strimzi, report)
    for name, data in maps.items():
        for key in data:
            if key in SECRET:
                report.add(f"ConfigMap/{name}", f"{key} is a key or password: put it in a Secret")
    containers: list[Container] = []
    for where, doc in workloads:
        for c in _pod_containers(doc):
            containers.append(_k8s_container(where, c, maps, secrets, report))
    return containers


def _pod_containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    pod = ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]


def _k8s_container(
    where: str,
    c: dict[str, Any],
    maps: dict[str, dict[str, Any]],
    secrets: dict[str, dict[str, Any]],
    report: Report,
) -> Container:
    out = Container(
        where=f"{where}/{c.get('name')}",
        image=str(c.get("image", "")),
        args=[str(a) for a in [*(c.get("command") or []), *(c.get("args") or [])]],
        env={},
    )
    for e in c.get("env") or []:
        out.env[e["name"]] = e.get("value") if "value" in e else None
        if e["name"] in SECRET and "value" in e:
            report.add(out.where, f"{e['name']} written into the manifest: take it from a Secret")
    for source in c.get("envFrom") or []:
        if ref := source.get("configMapRef"):
            if ref["name"] not in maps:
                report.add(out.where, f"ConfigMap {ref['name']} is not in the manifests")
            out.config_maps.append(ref["name"])
            out.env.update({k: str(v) for k, v in maps.get(ref["name"], {}).items()})
        if ref := source.get("secretRef"):
            if ref["name"] not in secrets:
                report.add(out.where, f"Secret {ref['name']} is not in the manifests")
            out.secrets.append(ref["name"])
            out.env.update({k: str(v) for k, v in secrets.get(ref["name"], {}).items()})
    _check_probes(out.where, c, report)
    return out


def _check_probes(where: str, c: dict[str, Any], report: Report) -> None:
    from entrypoints.api.health import router

    routes = {getattr(r, "path", "") for r in router.routes}
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        get = (c.get(probe) or {}).get("httpGet")
        if get and get.get("path") not in routes:
            report.add(where, f"{probe} on {get.get('path')}: not one of {sorted(routes)}")


def _check_kustomization(path: Path, doc: dict[str, Any], image: str, report: Report) -> None:
    for res in doc.get("resources") or []:
        if not (path.parent / res).exists():
            report.add(path.name, f"resource {res} does not exist")
    listed = {(path.parent / r).resolve() for r in doc.get("resources") or []}
    for other in path.parent.glob("*.yaml"):
        if other != path and other.resolve() not in listed:
            report.add(path.name, f"{other.name} is not listed in resources")
    name, tag = image.split(":")
    for entry in doc.get("images") or []:
        if entry.get("name") == name and str(entry.get("newTag")) != tag:
            report.add(path.name, f"images: {name} tag {entry.get('newTag')}, the package is {tag}")


# --- Strimzi: structure (no schema package exists) ---------------------------------------------


def _check_strimzi(docs: list[tuple[str, dict[str, Any]]], report: Report) -> None:
    from events.topics import Topics

    clusters = {d["metadata"]["name"] for _, d in docs if d.get("kind") == "Kafka"}
    topics: set[str] = set()
    for where, d in docs:
        kind, meta, spec = d.get("kind"), d.get("metadata") or {}, d.get("spec") or {}
        if not meta.get("name"):
            report.add(where, "no metadata.name")
        if not isinstance(spec, dict) or not spec:
            report.add(where, "no spec")
            continue
        if kind in ("KafkaNodePool", "KafkaTopic"):
            cluster = (meta.get("labels") or {}).get("strimzi.io/cluster")
            if cluster not in clusters:
                report.add(where, f"label strimzi.io/cluster={cluster}: no such Kafka")
        if kind == "Kafka":
            ann = meta.get("annotations") or {}
            if ann.get("strimzi.io/kraft") != "enabled" or ann.get("strimzi.io/node-pools") != (
                "enabled"
            ):
                report.add(where, "KRaft with node pools: both annotations must be 'enabled'")
            kafka = spec.get("kafka") or {}
            if not kafka.get("listeners"):
                report.add(where, "spec.kafka.listeners is required")
            config = kafka.get("config") or {}
            want = {"default.replication.factor": 3, "min.insync.replicas": 2}
            for key, value in {**want, "unclean.leader.election.enable": False}.items():
                if config.get(key) != value:
                    report.add(where, f"spec.kafka.config {key} must be {value}")
        elif kind == "KafkaNodePool":
            if not isinstance(spec.get("replicas"), int) or not spec.get("storage"):
                report.add(where, "spec.replicas (int) and spec.storage are required")
            roles = set(spec.get("roles") or [])
            if not roles or not roles <= {"controller", "broker"}:
                report.add(where, f"spec.roles {sorted(roles)}: controller and/or broker")
        elif kind == "KafkaTopic":
            topics.add(str(spec.get("topicName") or meta.get("name")))
            config = spec.get("config") or {}
            if not isinstance(spec.get("partitions"), int) or spec["partitions"] < 1:
                report.add(where, "spec.partitions must be a positive int")
            if spec.get("replicas") != 3 or config.get("min.insync.replicas") != 2:
                report.add(where, "replicas 3 and min.insync.replicas 2 (docs/production.md)")
            if "retention.ms" not in config:
                report.add(where, "retention.ms not set")
        else:
            report.add(where, f"unknown Strimzi kind {kind}")
    if topics:
        expected = {*Topics().all(), f"lianban.{AuditSettings().anchor_topic}"}
        for name in sorted(expected - topics):
            report.add("strimzi", f"topic {name} has no KafkaTopic")
        for name in sorted(topics - expected):
            report.add("strimzi", f"KafkaTopic {name} is not a topic of the code")


# --- compose.yaml ------------------------------------------------------------------------------


def _check_compose(path: Path, docs: list[Any], image: str, report: Report) -> list[Container]:
    doc = docs[0] if docs else None
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not isinstance(services, dict) or not services:
        report.add(path.name, "no services")
        return []
    volumes = set((doc.get("volumes") or {}).keys())
    out = []
    for name, svc in services.items():
        where = f"{path.name}: {name}"
        if not isinstance(svc, dict) or not (svc.get("image") or svc.get("build")):
            report.add(where, "a service needs an image or a build")
            continue
        deps = svc.get("depends_on") or []
        for dep, how in deps.items() if isinstance(deps, dict) else ((d, {}) for d in deps):
            if dep not in services:
                report.add(where, f"depends_on {dep}: no such service")
            cond = (how or {}).get("condition", "service_started")
            ok = ("service_started", "service_healthy", "service_completed_successfully")
            if cond not in ok:
                report.add(where, f"depends_on {dep}: condition {cond}")
            if cond == "service_healthy" and "healthcheck" not in services.get(dep, {}):
                report.add(where, f"depends_on {dep} healthy, but {dep} has no healthcheck")
        for mount in svc.get("volumes") or []:
            source = str(mount).split(":")[0] if isinstance(mount, str) else mount.get("source")
            if source and source.startswith((".", "/")):
                if source.startswith(".") and not (path.parent / source).exists():
                    report.add(where, f"bind mount {source} does not exist")
            elif source and source not in volumes:
                report.add(where, f"volume {source} is not declared under volumes:")
        env: dict[str, Any] = {}
        listed = svc.get("environment") or {}
        if isinstance(listed, list):  # ["NAME=value", "NAME"]
            for entry in map(str, listed):
                key, _, value = entry.partition("=")
                env[key] = value if "=" in entry else None
        else:
            env.update(listed)
        command = svc.get("command") or []
        out.append(
            Container(
                where=where,
                image=str(svc.get("image", "")),
                args=command.split() if isinstance(command, str) else [str(a) for a in command],
                env={k: (None if "${" in str(v) else str(v)) for k, v in env.items()},
            )
        )
        for key in SECRET:
            if key in env and "${" not in str(env[key]):
                report.add(where, f"{key} written into compose.yaml: take it from ${{{key}}}")
    return out


# --- every Lianban container -------------------------------------------------------------------


def _check_container(c: Container, image: str, known: set[str], report: Report) -> None:
    for name in c.env:
        if name.startswith("LIANBAN_") and name not in known:
            report.add(c.where, f"{name} is not a setting (infra/settings.py)")
    if c.image.split(":")[0].split("/")[-1] != IMAGE:
        return
    if c.image != image:
        report.add(c.where, f"image {c.image}, expected {image} (one name everywhere)")
    missing = [k for k in REQUIRED if k not in c.env]
    if missing:
        report.add(c.where, f"does not get {', '.join(missing)} (`lianban serve` refuses to start)")
    _check_command(c, report)
    literal = {k: v for k, v in c.env.items() if k.startswith("LIANBAN_") and v is not None}
    unknown = {k for k, v in c.env.items() if v is None}
    if errors := _settings_errors(literal, unknown):
        report.add(c.where, f"settings refused: {errors}")


def _check_command(c: Container, report: Report) -> None:
    """The arguments parsed by the CLI's own parser (typer carries its own click: duck-typed)."""
    import typer

    from entrypoints.cli.main import GROUPS, app, load_group

    command: Any = typer.main.get_command(app)
    args = [a for a in c.args if a != "lianban"]
    path: list[str] = []
    if args and args[0] in GROUPS:  # a group imported when it runs (entrypoints/cli/main.py)
        path.append(args[0])
        command = load_group(args.pop(0))
    while hasattr(command, "commands") and args and args[0] in command.commands:
        path.append(args[0])
        command = command.commands[args.pop(0)]
    if not path or hasattr(command, "commands"):
        report.add(c.where, f"`lianban {' '.join(c.args)}` is not a command")
        return
    try:
        command.make_context(" ".join(path), list(args))
    except Exception as exc:  # click's UsageError / BadParameter, from typer's copy of click
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        report.add(c.where, f"`lianban {' '.join(c.args)}`: {message}")


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith("LIANBAN_")}
    for k in saved:
        del os.environ[k]
    os.environ.update(values)
    try:
        yield
    finally:
        for k in values:
            os.environ.pop(k, None)
        os.environ.update(saved)


def _settings_errors(values: dict[str, str], unknown: set[str]) -> str | None:
    """The values written in the files, read as the processes read them (types, ranges); an
    error that names a variable whose value is not in the files (`${…}`) cannot be judged."""
    models: list[type[BaseModel]] = [Settings, AuditSettings]
    with _environment(values):
        for model in models:
            try:
                model(_env_file=None)
            except ValidationError as exc:
                errors = [
                    f"{e['loc']}: {e['msg']}"
                    for e in exc.errors()
                    if not any(name in e["msg"] for name in unknown)
                ]
                if errors:
                    return "; ".join(errors)
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    deploy = Path(argv[0]) if argv else Path(__file__).resolve().parents[2] / "deploy"
    findings = check(deploy)
    for f in findings:
        print(f, file=sys.stderr)
    print(f"deploy check: {len(findings)} finding(s) in {deploy}", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
