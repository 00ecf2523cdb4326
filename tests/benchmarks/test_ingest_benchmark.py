"""``benchmarks/ingest.py`` runs end to end in its smoke mode (2,000 rows, a throw-away
database) so that it cannot rot: the real import path, one JSON object on the last line with
the figures the full run reports (ADR 37). Timing is not asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

KEYS = {
    "benchmark",
    "smoke",
    "source",
    "rows",
    "file_mb",
    "status",
    "inserted",
    "created",
    "seconds",
    "rows_per_second",
    "reimport_seconds",
    "reimport_unchanged",
    "revertible",
    "peak_rss_mb",
    "rss_before_import_mb",
    "load_average",
    "goal",
}


def test_ingest_benchmark_smoke_run():
    result = subprocess.run(  # the project's own benchmark, fixed arguments
        [sys.executable, "benchmarks/ingest.py", "--smoke"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(out) == KEYS, set(out) ^ KEYS
    assert out["benchmark"] == "ingest" and out["smoke"] is True
    assert out["source"] == "generated"
    assert out["rows"] == 2_000 and out["inserted"] == 2_000
    assert out["reimport_unchanged"] == 2_000  # the same file again changes nothing
    assert out["seconds"] > 0 and out["rows_per_second"] > 0 and out["peak_rss_mb"] > 0
