"""Throughput and latency of the API's read endpoints behind gunicorn, measured with wrk.

    python benchmarks/api.py [--days 365] [--duration 20] [--connections 50] [--workers 2]
    python benchmarks/api.py --smoke        # a few seconds, tiny data (runs inside make test)

Provisions a throw-away database and tenant, seeds it with ``seed_demo --days N`` (the demo
catalogue, its stock and purchase orders), refreshes the inventory metrics, runs the forecast
(``run_forecast``: forecasts to list, a run in the runs list) and MRP (for the planned
orders), then starts gunicorn with ``--workers`` sync workers and the production
settings (DEBUG off, persistent connections, JSON access log, rate limits on but set far above
the load) and drives each endpoint with ``wrk -t2 -cC -dDs --latency`` and a JWT of the tenant's
admin. ``wrk`` is installed from Debian when missing; without it (or with ``--python-client``)
a small threaded keep-alive client does the driving (slower: only the smoke test relies on it).

Every endpoint is fetched once first (a 200 is required, and the cached reads are warm). Prints
one line per endpoint, then one JSON object on its last line: per endpoint req/s, p50 and p99
in ms, non-2xx responses, the CPU milliseconds gunicorn's workers spent per request (the
figure that a busy shared machine does not distort) and the ratio of its req/s to ``/health``
in the same run (wrk shares the machine's cores with the server, so absolute figures are CPU
ceilings and the ratios are what hold from one run to the next), the load average and the
tool used.

Goals (issue 17): lists of 50 rows ≥ 400 req/s with p99 ≤ 200 ms; cached reads and ``/me``
≥ 1,000 req/s with p99 ≤ 100 ms (2 cores, shared with wrk).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _benchdb import bench_database, migrate_platform  # noqa: E402

ENDPOINTS = (
    "/health",
    "/api/v1/me",
    "/api/v1/inventory/dashboard/",
    "/api/v1/products/?page_size=50",
    "/api/v1/inventory/metrics/?page_size=50",
    "/api/v1/stock-levels/?page_size=50",
    "/api/v1/sales-history/?page_size=50",
    "/api/v1/sales-history/?cursor=&page_size=50",  # keyset pages: no COUNT(*) (ADR 37)
    "/api/v1/forecast-runs/?page_size=50",
    "/api/v1/forecasts/aggregate/?level=product&page_size=50",  # the seed's forecast run
    "/api/v1/purchase-orders/?page_size=50",
    "/api/v1/supplier-products/?page_size=50",
    "/api/v1/order-suggestions/?page_size=50",  # the cart, built by the seed
    "PLANNED_ORDERS",  # /api/v1/mrp-runs/<id>/planned-orders/?page_size=50 once MRP has run
)
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
LATENCY_LINE = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
TOTAL_LINE = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
REQS_LINE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
NON_2XX_LINE = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
TIMEOUTS = re.compile(r"Socket errors:.*timeout (\d+)")


def parse_wrk(output: str) -> dict[str, float]:
    """``wrk --latency`` text → req/s, p50/p99 in ms, non-2xx count."""
    reqs = REQS_LINE.search(output)
    latencies = {
        m.group(1): float(m.group(2)) * UNITS_MS[m.group(3)] for m in LATENCY_LINE.finditer(output)
    }
    if reqs is None or set(latencies) != {"50", "99"}:
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = NON_2XX_LINE.search(output)
    return {
        "rps": round(float(reqs.group(1)), 1),
        "p50_ms": round(latencies["50"], 2),
        "p99_ms": round(latencies["99"], 2),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "timeouts": int(timeouts.group(1)) if (timeouts := TIMEOUTS.search(output)) else 0,
        "requests": int(total.group(1)) if (total := TOTAL_LINE.search(output)) else 0,
    }


def ensure_wrk() -> str | None:
    """The path of wrk, installed with apt when missing (as scripts/browser.sh does Chromium)."""
    found = shutil.which("wrk")
    if found:
        return found
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("api bench: installing wrk with apt", file=sys.stderr, flush=True)
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        if subprocess.run([*prefix, *command], env=env, check=False).returncode:  # noqa: S603
            return None
    return shutil.which("wrk")


def drive_wrk(wrk: str, url: str, headers: dict[str, str], args: argparse.Namespace) -> dict:
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(  # noqa: S603 (our own arguments)
        [*command, url], capture_output=True, text=True, check=True
    )
    return parse_wrk(result.stdout)


def drive_python(port: int, path: str, headers: dict[str, str], args: argparse.Namespace) -> dict:
    """A keep-alive HTTP/1.1 loop on ``--connections`` threads for ``--duration`` seconds."""
    deadline = time.perf_counter() + args.duration
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            bad += response.status >= 400
        conn.close()
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    threads = [threading.Thread(target=loop) for _ in range(args.connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pick(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2)

    return {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": pick(0.50),
        "p99_ms": pick(0.99),
        "non_2xx": failures[0],
        "timeouts": 0,
        "requests": len(latencies),
    }


def server_cpu_seconds(master: int) -> float:
    """User + system CPU seconds of gunicorn's workers so far (Linux /proc). On a shared
    machine req/s and latency follow the load; CPU per request does not."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return 0.0
    total = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def free_port(preferred: int | None) -> int:
    if preferred:
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(days: int, slug: str) -> tuple[str, str, int | None]:
    """Provision, seed, refresh, forecast, build the cart, run MRP; return (host, admin JWT,
    MRP run id)."""
    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from accounts.models import User
    from accounts.tokens import TenantTokenObtainPairSerializer
    from tenants.services import tenant_provision

    started = time.perf_counter()
    migrate_platform()
    print(f"api bench: platform {time.perf_counter() - started:.1f} s", file=sys.stderr)
    tenant = tenant_provision(slug=slug, name="API bench", admin_email=f"admin@{slug}.test").tenant
    host = tenant.domains.first().domain
    quiet = open(os.devnull, "w")  # noqa: SIM115 (closed with the process)
    call_command("seed_demo", schema_name=slug, days=days, stdout=quiet)
    print(f"api bench: seeded {time.perf_counter() - started:.1f} s", file=sys.stderr)
    call_command("refresh_inventory", schema_name=slug, no_progress=True, stdout=quiet)
    print(f"api bench: refreshed {time.perf_counter() - started:.1f} s", file=sys.stderr)
    # The Test Bed with the tenant's default methods and horizon (a short one on the smoke
    # run's few days, so that its backtest folds fit): forecasts to list.
    horizon = None if days >= 180 else max(1, (days - 1) // 4)
    call_command("run_forecast", schema_name=slug, horizon=horizon, no_progress=True, stdout=quiet)
    print(f"api bench: forecast {time.perf_counter() - started:.1f} s", file=sys.stderr)
    run_id = None
    with schema_context(tenant.schema_name):
        from manufacturing.models import MrpRun
        from purchasing.cart_service import cart_build

        cart = cart_build()
        print(f"api bench: cart of {cart.lines} lines", file=sys.stderr)

        try:
            call_command("run_mrp", schema_name=slug, source="mps", no_progress=True, stdout=quiet)
            run_id = MrpRun.objects.order_by("-id").values_list("id", flat=True).first()
        except Exception as exc:
            print(f"api bench: MRP did not run ({exc}); no planned orders", file=sys.stderr)
        admin = User.objects.filter(role="admin", is_active=True).order_by("id").first()
        token = str(TenantTokenObtainPairSerializer.get_token(admin).access_token)
    return host, token, run_id


def start_gunicorn(port: int, workers: int, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "ALLOWED_HOSTS": ".localhost,127.0.0.1",
        "DEBUG": "false",
        "RATE_LIMIT_USER": "100000000/m",
        "RATE_LIMIT_ANON": "100000000/m",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen(  # noqa: S603 (our own arguments)
        [gunicorn, "config.wsgi:application", "--workers", str(workers), "--worker-class",
         "sync", "--bind", f"127.0.0.1:{port}", "--backlog", "2048", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited while starting; see its log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /health within 60 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def warm(port: int, path: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status} {body[:300]!r}")
    return len(body)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365, help="days of demo sales history")
    parser.add_argument("--duration", type=int, default=20, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--smoke", action="store_true", help="tiny data, 2 s per endpoint")
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--only", default="", help="comma-separated substrings of endpoints")
    args = parser.parse_args(argv)
    if args.smoke:
        args.days, args.duration, args.connections = min(args.days, 14), 2, min(args.connections, 8)
    wrk = None if args.python_client else ensure_wrk()
    if wrk is None and not args.smoke and not args.python_client:
        raise SystemExit("wrk is missing and could not be installed (or use --python-client)")
    # A prefix of our own in the shared Redis; tokens outlive the run.
    os.environ["CACHE_KEY_PREFIX"] = f"apibench-{os.getpid()}"
    os.environ.setdefault("JWT_ACCESS_MINUTES", "240")
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)  # signs the JWT gunicorn checks
    slug = f"apibench{secrets.token_hex(3)}"
    results: dict[str, dict] = {}
    with bench_database(f"api{os.getpid()}"):
        seeded = time.perf_counter()
        host, token, run_id = seed(args.days, slug)
        seed_seconds = time.perf_counter() - seeded
        from django.db import connections

        connections.close_all()
        port = free_port(args.port)
        log_path = Path(tempfile.gettempdir()) / f"apibench-{os.getpid()}.log"
        with open(log_path, "w") as log:
            server = start_gunicorn(port, args.workers, log)
            try:
                for endpoint in ENDPOINTS:
                    path = endpoint
                    if endpoint == "PLANNED_ORDERS":
                        if run_id is None:
                            continue
                        path = f"/api/v1/mrp-runs/{run_id}/planned-orders/?page_size=50"
                    wanted = [s for s in args.only.split(",") if s]
                    if wanted and path != "/health" and not any(s in path for s in wanted):
                        continue
                    headers = {"Host": host}
                    if path != "/health":
                        headers["Authorization"] = f"Bearer {token}"
                    size = warm(port, path, headers)
                    cpu_before = server_cpu_seconds(server.pid)
                    if wrk:
                        figures = drive_wrk(wrk, f"http://127.0.0.1:{port}{path}", headers, args)
                    else:
                        figures = drive_python(port, path, headers, args)
                    figures["bytes"] = size
                    cpu = server_cpu_seconds(server.pid) - cpu_before
                    if figures["requests"] and cpu:
                        figures["server_cpu_ms_per_request"] = round(
                            cpu * 1000 / figures["requests"], 3
                        )
                    results[path] = figures
                    print(
                        f"{path:<52} {figures['rps']:>8.1f} req/s  p50 {figures['p50_ms']:>7.2f}"
                        f" ms  p99 {figures['p99_ms']:>7.2f} ms  non-2xx {figures['non_2xx']}"
                        f"  server CPU {figures.get('server_cpu_ms_per_request', 0):.2f} ms/req",
                        flush=True,
                    )
            finally:
                stop(server)
    health = results["/health"]["rps"]
    for figures in results.values():
        figures["ratio_to_health"] = round(figures["rps"] / health, 3) if health else None
    out = {
        "tool": "wrk" if wrk else "python",
        "smoke": args.smoke,
        "days": args.days,
        "duration_s": args.duration,
        "connections": args.connections,
        "workers": args.workers,
        "seed_s": round(seed_seconds, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "endpoints": results,
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
