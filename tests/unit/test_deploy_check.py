"""The offline check of deploy/ (`make lint`): it passes on the shipped files and fails on each
kind of breakage it is there to catch, on a copy of deploy/ broken one way at a time."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from entrypoints.cli.deploy_check import check, main, setting_names

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture
def deploy(tmp_path: Path) -> Path:
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    return copy


def edit(path: Path, change: Callable[[list[dict]], None]) -> None:
    docs = list(yaml.safe_load_all(path.read_text()))
    change(docs)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


def test_the_shipped_descriptions_pass() -> None:
    assert check(DEPLOY) == []
    assert main([str(DEPLOY)]) == 0


def test_setting_names_are_the_prefixed_fields() -> None:
    names = setting_names()
    assert {"LIANBAN_JWT_SECRET", "LIANBAN_PAYLOAD_KEYS", "LIANBAN_AUDIT_ANCHOR_FILE"} <= names
    assert "LIANBAN_API_URL" not in names  # the CLI's --api option, not a setting


def _config(docs: list[dict]) -> None:
    docs[0]["data"]["LIANBAN_WORKERS"] = "4"  # no such setting


def _container_field(docs: list[dict]) -> None:
    docs[0]["spec"]["template"]["spec"]["containers"][0]["replicas"] = 2  # not a container field


def _no_jwt_secret(docs: list[dict]) -> None:
    del docs[0]["stringData"]["LIANBAN_JWT_SECRET"]


def _bad_port(docs: list[dict]) -> None:
    docs[0]["data"]["LIANBAN_API_PORT"] = "eighty"


def _bad_command(docs: list[dict]) -> None:
    docs[0]["spec"]["template"]["spec"]["containers"][0]["args"] = ["serve", "--no-scheduler"]


def _other_image(docs: list[dict]) -> None:
    docs[0]["spec"]["template"]["spec"]["containers"][0]["image"] = "lianban:0.0.9"


def _probe_path(docs: list[dict]) -> None:
    container = docs[0]["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["httpGet"]["path"] = "/ready"


def _topic_replicas(docs: list[dict]) -> None:
    docs[0]["spec"]["replicas"] = 1


def _compose_dependency(docs: list[dict]) -> None:
    docs[0]["services"]["worker"]["depends_on"] = {"temporal-server": {}}


def _compose_volume(docs: list[dict]) -> None:
    del docs[0]["volumes"]["anchors"]


def _compose_secret(docs: list[dict]) -> None:
    docs[0]["services"]["worker"]["environment"]["LIANBAN_JWT_SECRET"] = "x" * 40


def _runbook(docs: list[dict]) -> None:
    rule = docs[0]["groups"][0]["rules"][0]
    rule["annotations"]["runbook_url"] = "{{ $externalLabels.docs_url }}/alerts/#no-such-section"


def _rule_metric(docs: list[dict]) -> None:
    docs[0]["groups"][1]["rules"][0]["expr"] = "max(lianban_outbox_parked) > 0"


def _no_severity(docs: list[dict]) -> None:
    del docs[0]["groups"][0]["rules"][1]["labels"]["severity"]


def _webhook_token(docs: list[dict]) -> None:
    del docs[0]["receivers"][0]["webhook_configs"][0]["http_config"]


def _webhook_path(docs: list[dict]) -> None:
    docs[0]["receivers"][0]["webhook_configs"][0]["url"] = "http://lianban-api/alerts/hook"


def _metrics_port(docs: list[dict]) -> None:
    docs[0]["data"]["LIANBAN_RELAY_METRICS_PORT"] = "9500"


@pytest.mark.parametrize(
    ("file", "change", "finding"),
    [
        ("prometheus/alerts.yaml", _runbook, "runbook_url must link a section of docs/alerts.md"),
        ("prometheus/alerts.yaml", _rule_metric, "lianban_outbox_parked is not a metric"),
        ("prometheus/alerts.yaml", _no_severity, "LianbanRedWarningsRising: severity"),
        ("alertmanager/alertmanager.yaml", _webhook_token, "the webhook needs a bearer token"),
        ("alertmanager/alertmanager.yaml", _webhook_path, "no receiver sends to Lianban's"),
        ("k8s/config.yaml", _metrics_port, "LIANBAN_RELAY_METRICS_PORT=9500 but the relay"),
        ("k8s/config.yaml", _config, "LIANBAN_WORKERS is not a setting"),
        ("k8s/worker.yaml", _container_field, "'replicas' was unexpected"),
        ("k8s/secret.yaml", _no_jwt_secret, "does not get LIANBAN_JWT_SECRET"),
        ("k8s/config.yaml", _bad_port, "settings refused: ('api_port',)"),
        ("k8s/relay.yaml", _bad_command, "No such option: --no-scheduler"),
        ("k8s/consumers.yaml", _other_image, "image lianban:0.0.9, expected lianban:"),
        ("k8s/api.yaml", _probe_path, "readinessProbe on /ready"),
        ("strimzi/topics.yaml", _topic_replicas, "replicas 3 and min.insync.replicas 2"),
        ("compose.yaml", _compose_dependency, "depends_on temporal-server: no such service"),
        ("compose.yaml", _compose_volume, "volume anchors is not declared"),
        ("compose.yaml", _compose_secret, "LIANBAN_JWT_SECRET written into compose.yaml"),
    ],
)
def test_a_broken_description_fails(
    deploy: Path,
    file: str,
    change: Callable[[list[dict]], None],
    finding: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    edit(deploy / file, change)
    assert main([str(deploy)]) == 1  # `make lint` fails, naming the finding on stderr
    findings = capsys.readouterr().err.splitlines()
    assert any(finding in f for f in findings), findings


def test_a_dashboard_querying_an_unknown_metric_fails(deploy: Path) -> None:
    path = deploy / "grafana" / "lianban.json"
    path.write_text(path.read_text().replace("lianban_outbox_parked_rows", "lianban_parked_rows"))
    findings = check(deploy)
    assert any("lianban_parked_rows is not a metric Lianban exports" in f for f in findings)


def test_a_file_that_is_not_yaml_fails(deploy: Path) -> None:
    (deploy / "k8s" / "pdb.yaml").write_text("kind: [unclosed\n")
    assert any("not YAML" in f for f in check(deploy))
