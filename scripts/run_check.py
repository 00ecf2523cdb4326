#!/usr/bin/env python3
"""Check `make run` end to end, as a person at a terminal would use it:

1. start `make run` in a process group of its own (a terminal's foreground job),
2. time it until `http://demo.localhost:PORT/app/login/` answers 200,
3. send SIGINT to the whole group (what Ctrl-C does),
4. check that make ends without "make: *** … Error 130" / "Interrupt", within a time limit,
   and that no process of the group (web, worker, its pool, beat) survives.

Prints one JSON object; exit status 0 when every check passed. Standard library only.

    PORT=8201 DB_NAME=dp_mine scripts/run_check.py [--timeout 180]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def login_status(port: int) -> int | None:
    """The status of the app login on the demo host (Host header: Python's resolver does not
    map *.localhost to loopback)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/app/login/", headers={"Host": f"demo.localhost:{port}"})
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


def group_members(pgid: int) -> list[str]:
    """Processes still in the process group (read from /proc)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                alive.append(f"{entry.name} {cmd}")
        except (OSError, IndexError, ValueError):
            continue
    return alive


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=180.0, help="Seconds to the first page.")
    parser.add_argument("--stop-timeout", type=float, default=30.0)
    args = parser.parse_args()
    port = int(os.environ.get("PORT", "8000"))
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (kept for the report)
        "w+", prefix="run-check-", suffix=".log", delete=False
    )
    started = time.monotonic()
    make = subprocess.Popen(  # noqa: S603 (our own make target)
        [shutil.which("make") or "make", "run"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    result: dict[str, object] = {"port": port, "log": log.name}
    first_page = None
    while time.monotonic() - started < args.timeout and make.poll() is None:
        if login_status(port) == 200:
            first_page = round(time.monotonic() - started, 1)
            break
        time.sleep(0.2)
    result["first_page_seconds"] = first_page
    # Ctrl-C once the banner is out (web, worker and beat all started), and the worker is up.
    while time.monotonic() - started < args.timeout and make.poll() is None:
        if "Press Ctrl-C to stop." in Path(log.name).read_text(errors="replace"):
            break
        time.sleep(0.2)
    result["banner_seconds"] = round(time.monotonic() - started, 1)
    time.sleep(5)
    members_before = group_members(make.pid)
    result["processes_before_ctrl_c"] = len(members_before)
    stop = time.monotonic()
    os.killpg(make.pid, signal.SIGINT)
    try:
        code = make.wait(timeout=args.stop_timeout)
    except subprocess.TimeoutExpired:
        code = None
    result["stop_seconds"] = round(time.monotonic() - stop, 1)
    time.sleep(1)
    survivors = group_members(make.pid)
    if survivors:  # leave nothing behind, whatever the verdict
        os.killpg(make.pid, signal.SIGKILL)
    output = Path(log.name).read_text(errors="replace")
    result.update(
        make_exit=code,  # -2: make ended by the SIGINT itself, as any interrupted program
        make_error_line="make: ***" in output,
        survivors=survivors,
        banner_login_lines=[line.strip() for line in output.splitlines() if " / " in line][:3],
    )
    ok = (
        first_page is not None
        and code in (0, -signal.SIGINT, 128 + signal.SIGINT)
        and not result["make_error_line"]
        and not survivors
    )
    result["ok"] = ok
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
