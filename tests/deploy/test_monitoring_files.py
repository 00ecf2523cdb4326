"""deploy/prometheus (promtool check and unit tests) and deploy/grafana (every panel's query
names only metrics the app exports)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from core.metrics import exported_metric_names
from tests.conftest import skip_unless_required

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
# Metrics that come from outside the app: the blackbox exporter's certificate probe.
EXTERNAL_METRICS = {"probe_ssl_earliest_cert_expiry"}
PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "bool", "offset", "inf", "nan",
}  # fmt: skip


def promtool() -> str:
    found = os.environ.get("PROMTOOL") or shutil.which("promtool")
    local = DEPLOY.parent / ".data" / "bin" / "promtool"
    if not found and local.exists():
        found = str(local)
    if not found:
        skip_unless_required("promtool is not installed", required_by="REQUIRE_PROMTOOL")
    return str(found)


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: strings, label matchers, ranges, grouping
    clauses and function calls removed, what is left and is no keyword is a metric."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group(0)
        following = text[match.end() :].lstrip()
        if following.startswith("(") or word.lower() in PROMQL_WORDS:
            continue
        if re.fullmatch(r"\d+[smhdwy]", word):
            continue
        names.add(word)
    return names


def test_metric_name_extraction():
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(dp_x_bucket{route=~"a|b"}[5m])))'
        ' / on (job) group_left sum(up{job="x"}) and dp:y:rate5m > 1'
    )
    assert metric_names(expr) == {"dp_x_bucket", "up", "dp:y:rate5m"}


def test_alert_rules_pass_promtool_check():
    result = subprocess.run(
        [promtool(), "check", "rules", str(DEPLOY / "prometheus" / "alerts.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_alert_rules_unit_tests_pass():
    result = subprocess.run(
        [promtool(), "test", "rules", "alerts_test.yml"],
        cwd=DEPLOY / "prometheus",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _rules():
    document = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_alerts_cover_what_operators_must_hear_about():
    alerts = {rule["alert"] for rule in _rules() if "alert" in rule}
    assert {
        "HighErrorRate",
        "HighLatencyP95",
        "CeleryQueueBacklog",
        "JobsWaitTooLong",
        "CeleryQueueStale",
        "JobsFailing",
        "EtlSyncFailed",
        "WebhookDeadLetters",
        "LowCacheHitRate",
        "CertificateExpiresSoon",
    } <= alerts


def test_alert_rules_read_only_exported_or_recorded_metrics():
    exported = exported_metric_names()
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    for rule in _rules():
        unknown = metric_names(rule["expr"]) - exported - recorded - EXTERNAL_METRICS
        assert not unknown, f"{rule.get('alert') or rule.get('record')} reads {unknown}"


def _panels(dashboard: dict):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from _panels(panel)  # rows hold panels of their own


def test_every_dashboard_panel_queries_only_metrics_the_app_exports():
    exported = exported_metric_names()
    dashboards = sorted((DEPLOY / "grafana").glob("*.json"))
    assert dashboards
    checked = 0
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"] and dashboard["title"]
        for panel in _panels(dashboard):
            for target in panel.get("targets", []):
                names = metric_names(target["expr"])
                assert names, f"{path.name}: {panel['title']} reads no metric"
                unknown = names - exported
                assert not unknown, f"{path.name}: {panel['title']} reads {unknown}"
                checked += 1
    assert checked >= 10


def test_a_made_up_metric_would_be_caught():
    assert "dp_no_such_metric_total" not in exported_metric_names()
    assert metric_names("rate(dp_no_such_metric_total[5m])") == {"dp_no_such_metric_total"}


@pytest.mark.parametrize("bad", ["alerts.yml"])
def test_promtool_rejects_a_broken_rule(tmp_path, bad):
    broken = tmp_path / bad
    broken.write_text(
        "groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m]\n"
    )
    result = subprocess.run(
        [promtool(), "check", "rules", str(broken)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
