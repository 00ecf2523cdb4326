"""``benchmarks/events.py --smoke`` runs end to end (its own database, a real Celery worker
with 2 processes, a loopback receiver) and prints one JSON object on its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_events_benchmark_smoke_run_delivers_everything_signed():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    # Its own database name, so a run beside the suite never drops the suite's database.
    env["DATABASE_URL"] = env.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "events.py"), "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["benchmark"] == "events"
    assert result["deliveries_expected"] == 100
    assert result["deliveries_received"] == 100
    assert result["deliveries_recorded_succeeded"] == 100
    assert result["bad_signatures"] == 0 and result["ok"] is True
    assert result["emit_adds_ms"] is not None
