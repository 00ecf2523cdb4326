"""``benchmarks/api.py`` runs end to end in its smoke mode (tiny data, 2 s per endpoint) so that it
cannot rot: a throw-away database and tenant, gunicorn with the production settings, every
endpoint answering 200 under load, one JSON object on the last line (ADR 27)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import skip_unless_required

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:8101/health
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  500.00us  12.00ms   90.00%
  Latency Distribution
     50%  850.00us
     75%    1.20ms
     90%    2.00ms
     99%    1.05s
  4567 requests in 2.00s, 1.00MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
  Non-2xx or 3xx responses: 12
Requests/sec:   2283.50
Transfer/sec:    500.00KB
"""


def test_parse_wrk_reads_rate_percentiles_in_ms_and_failures():
    from api import parse_wrk

    assert parse_wrk(WRK_OUTPUT) == {
        "rps": 2283.5,
        "p50_ms": 0.85,
        "p99_ms": 1050.0,
        "non_2xx": 12,
        "timeouts": 3,
        "requests": 4567,
    }
    with pytest.raises(ValueError):
        parse_wrk("wrk: connection refused")


def test_api_benchmark_smoke_run():
    if shutil.which("wrk") is None and os.environ.get("REQUIRE_WRK") == "1":
        skip_unless_required("wrk is missing", required_by="REQUIRE_WRK")
    result = subprocess.run(
        [sys.executable, "benchmarks/api.py", "--smoke"],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["smoke"] is True
    assert out["tool"] == ("wrk" if shutil.which("wrk") else "python")
    endpoints = out["endpoints"]
    for path in (
        "/health",
        "/api/v1/me",
        "/api/v1/inventory/dashboard/",
        "/api/v1/products/?page_size=50",
        "/api/v1/inventory/metrics/?page_size=50",
        "/api/v1/sales-history/?page_size=50",
        "/api/v1/purchase-orders/?page_size=50",
        "/api/v1/forecasts/aggregate/?level=product&page_size=50",
    ):
        figures = endpoints[path]
        assert figures["rps"] > 0, path
        assert figures["non_2xx"] == 0, (path, figures)
        assert 0 < figures["p50_ms"] <= figures["p99_ms"], (path, figures)
        assert figures["ratio_to_health"] > 0, path
    assert endpoints["/health"]["ratio_to_health"] == 1.0
    assert any("planned-orders" in path for path in endpoints)
