"""Commands and workers that do not compute start without the numeric stack (ADR 0027).

SciPy, pandas, numba, statsmodels and scikit-learn cost seconds to import; only the code that
computes (a forecast, a refresh, a solve) may load them, inside the function that needs them.
Each test runs a fresh interpreter, so nothing the test process imported earlier hides an import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = frozenset({"scipy", "pandas", "numba", "statsmodels", "sklearn", "lightgbm", "pyarrow"})


def _imported_heavy(importtime_stderr: str) -> set[str]:
    """The heavy top-level packages named by ``-X importtime`` lines
    (``import time: self | cumulative | name``)."""
    found = set()
    for line in importtime_stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        name = line.rsplit("|", 1)[1].strip()
        if name.split(".")[0] in HEAVY:
            found.add(name.split(".")[0])
    return found


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    return subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_imported_heavy_reads_importtime_lines():
    sample = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       120 |        120 |   scipy.special\n"
        "import time:        30 |         30 | numpy\n"
    )
    assert _imported_heavy(sample) == {"scipy"}


def test_manage_py_check_imports_no_numeric_stack():
    result = _run(["manage.py", "check"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "System check identified no issues" in result.stdout
    assert _imported_heavy(result.stderr) == set()


def test_worker_and_web_boot_import_no_numeric_stack():
    """What a worker loads before its first task (every app's tasks, Celery autodiscovery) and
    what the web server loads before its first request (URLconf, views, admin)."""
    boot = (
        "import django; django.setup()\n"
        "from config.celery import app\n"
        "app.loader.import_default_modules()\n"
        "import config.wsgi\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "from django.contrib import admin\n"
        "admin.autodiscover()\n"
        "print(len(app.tasks))\n"
    )
    result = _run(["-c", boot])
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip()) > 10  # the project's tasks were registered
    assert _imported_heavy(result.stderr) == set()
