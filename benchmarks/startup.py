"""Start-up of the commands and of a worker that do not compute.

    python benchmarks/startup.py [--runs 3] [--no-compile]

Times fresh interpreters: ``manage.py help``, ``manage.py check``, ``manage.py migrate_schemas
--help`` and a worker's boot (Django set up, every app's tasks imported by Celery's
autodiscovery, the URLconf and the admin loaded: what happens before a worker takes its first
task or gunicorn its first request). Each figure is the fastest of ``--runs`` (the machine is
shared; the CPU seconds of that run are printed too). The project's sources are byte-compiled
first, as the Docker image does, unless ``--no-compile`` (with ``PYTHONDONTWRITEBYTECODE`` set,
every process compiles them again).
Also counts the heavy numeric packages each process imported (goal: none).

Goal (issue 17): each ≤ 2 s. Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("scipy", "pandas", "numba", "statsmodels", "sklearn", "lightgbm", "pyarrow")
WORKER_BOOT = (
    "import django; django.setup()\n"
    "from config.celery import app\n"
    "app.loader.import_default_modules()\n"
    "import config.wsgi\n"
    "from django.urls import get_resolver\n"
    "get_resolver().url_patterns\n"
    "from django.contrib import admin\n"
    "admin.autodiscover()\n"
)
PROCESSES = {
    "manage_help": ["manage.py", "help"],
    "manage_check": ["manage.py", "check"],
    "migrate_schemas_help": ["manage.py", "migrate_schemas", "--help"],
    "worker_boot": ["-c", WORKER_BOOT],
}
IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str]) -> tuple[float, float, list[str]]:
    """Wall seconds, CPU seconds (user + system: what a quiet machine's wall time would be
    close to) and the heavy packages imported."""
    env = {**os.environ}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    started, cpu = time.perf_counter(), _children_cpu()
    result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-X", "importtime", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if result.returncode:
        raise SystemExit(f"{args} failed:\n{result.stderr[-3000:]}")
    heavy = sorted(
        {
            match.group(1).split(".")[0]
            for line in result.stderr.splitlines()
            if (match := IMPORT_LINE.match(line)) and match.group(1).split(".")[0] in HEAVY
        }
    )
    return seconds, cpu, heavy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true")
    args = parser.parse_args()
    if not args.no_compile:
        compileall.compile_dir(
            ROOT, quiet=1, rx=re.compile(r"/(\.venv|node_modules|\.data|\.git)/"), workers=0
        )
    out: dict[str, object] = {"runs": args.runs, "compiled": not args.no_compile}
    for name, command in PROCESSES.items():
        best, cpu, heavy = min(timed(command) for _ in range(args.runs))
        out[f"{name}_s"] = round(best, 2)
        out[f"{name}_cpu_s"] = round(cpu, 2)
        out[f"{name}_heavy_imports"] = heavy
        print(
            f"{name:<22} {best:6.2f} s wall {cpu:6.2f} s CPU  heavy imports: {heavy or 'none'}",
            flush=True,
        )
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
