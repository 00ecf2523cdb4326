"""Real processes a fault test starts and kills: a private Redis (never the shared one) and
Celery workers and beat with the project's own ``celery -A config`` on it."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def start_redis(directory: Path, port: int | None = None) -> tuple[subprocess.Popen, int] | None:
    """A private Redis on loopback (a free port unless ``port`` is given, to start one again
    where a stopped one was), persisting nothing; None without the binary."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = port or free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return process, port


def database_url() -> str:
    """The URL of the database this test run uses (the test database), for child processes."""
    from django.db import connection

    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class CeleryProcess:
    """``celery -A config <command>`` in a session of its own (so ``kill`` reaches the main
    process and every pool process it forked), its output in ``log``."""

    def __init__(self, command: list[str], *, env: dict[str, str], log: Path):
        self.log = log
        self._out = log.open("ab")
        celery = str(Path(sys.executable).with_name("celery"))
        self.process = subprocess.Popen(
            [celery, "-A", "config", *command],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_for_output(self, text: str, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not seen in {self.log.name}:\n{self.tail()}")

    def children(self) -> list[int]:
        """Pids of the processes in this one's session other than the main one."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == self.process.pid:
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == self.process.pid:  # fields after the name: state ppid pgrp sid
                pids.append(int(entry.name))
        return pids

    def kill(self) -> None:
        """SIGKILL to the main process and its whole process group, at once: no shutdown,
        no acknowledgement, no message handed back to the broker."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._out.close()

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
