"""Smoke runs of the scripts in ``benchmarks/``: each runs end to end on tiny data so it
cannot rot; timings are not asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_benchmark(*arguments: str, timeout: int = 600) -> dict[str, Any]:
    """Run ``benchmarks/<arguments>`` with the test settings and return the JSON object on its
    last line (failing with the output's tail when it exits non-zero)."""
    result = subprocess.run(  # the project's own benchmark, fixed arguments
        [sys.executable, *arguments],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
