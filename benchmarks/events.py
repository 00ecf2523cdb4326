"""Events out, end to end, as the system runs: N events (default 10,000) emitted in their own
transactions, fanned out to E webhook endpoints (default 5) on a loopback receiver by a real
Celery worker with 2 processes, the dispatcher sent every 5 s exactly as beat sends it
(``tenants.tasks.fan_out``, no jitter). The receiver (its own process, HTTP/1.1 keep-alive)
checks every signature and counts each (event, endpoint) once.

Prints one JSON object on the last line: the emit cost per transaction (ms), the delivery
time, deliveries per second, and whether every delivery arrived with a valid signature.

    .venv/bin/python benchmarks/events.py [--events 10000] [--endpoints 5] [--workers 2]
    .venv/bin/python benchmarks/events.py --smoke       # 50 events, 2 endpoints (the test)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The worker and this process must share settings and a queue nobody else consumes.
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
os.environ["CELERY_QUEUE"] = f"bench-events-{uuid.uuid4().hex[:8]}"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory: not how production runs
os.environ["WEBHOOK_ALLOW_PRIVATE"] = "1"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
sys.path.insert(0, str(ROOT / "benchmarks"))

from _benchdb import bench_database, migrate_platform  # noqa: E402

BEAT_SECONDS = 5.0


# --- The receiver (its own process) ------------------------------------------------------------


def _receiver(port_out, secrets: dict[str, str], received, bad, ready) -> None:
    seen: set[tuple[str, str]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                secret = secrets.get(path, "")
                expected = hmac.new(
                    secret.encode(),
                    headers.get("x-webhook-timestamp", "").encode() + b"." + body,
                    hashlib.sha256,
                ).hexdigest()
                if hmac.compare_digest(
                    f"sha256={expected}", headers.get("x-webhook-signature", "")
                ):
                    key = (path, headers.get("x-webhook-id", ""))
                    if key not in seen:  # at least once: a resend counts once
                        seen.add(key)
                        received.value = len(seen)
                else:
                    bad.value += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=256)
        port_out.value = server.sockets[0].getsockname()[1]
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- The run -----------------------------------------------------------------------------------


def _emit(count: int) -> dict[str, float]:
    """Emit ``count`` events, each in its own transaction beside a one-row write, and a
    baseline of the same transactions without the event: the difference is what emitting
    adds to a transaction."""
    from django.db import connection, transaction

    from core.events import emit_event

    def touch(cursor) -> None:
        cursor.execute("UPDATE bench_touch SET n = n + 1 WHERE id = 1")

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_touch (id int PRIMARY KEY, n int)")
        cursor.execute("INSERT INTO bench_touch VALUES (1, 0) ON CONFLICT DO NOTHING")
    baseline_n = min(count, 2000)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        for _ in range(baseline_n):
            with transaction.atomic():
                touch(cursor)
        baseline = (time.perf_counter() - started) / baseline_n
        emit_times = []
        started = time.perf_counter()
        for index in range(count):
            with transaction.atomic():
                touch(cursor)
                before = time.perf_counter()
                emit_event("route_plan.completed", {"route_plan_id": index, "routes": 3})
                emit_times.append(time.perf_counter() - before)
        with_event = (time.perf_counter() - started) / count
    emit_times.sort()
    return {
        "transaction_ms": round(baseline * 1000, 3),
        "transaction_with_event_ms": round(with_event * 1000, 3),
        "emit_adds_ms": round((with_event - baseline) * 1000, 3),
        "emit_call_ms_median": round(statistics.median(emit_times) * 1000, 3),
        "emit_call_ms_p99": round(emit_times[int(len(emit_times) * 0.99) - 1] * 1000, 3),
    }


def _start_worker(workers: int, log) -> subprocess.Popen:
    """The worker's output goes to a file: a pipe nobody reads fills and blocks it."""
    queue = os.environ["CELERY_QUEUE"]
    return subprocess.Popen(  # noqa: S603 (our own executable and arguments)
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "-c",
            str(workers),
            "-P",
            "prefork",
            "-Q",
            queue,
            "-l",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--smoke", action="store_true", help="50 events, 2 endpoints")
    args = parser.parse_args()
    if args.smoke:
        args.events, args.endpoints, args.timeout = 50, 2, 120.0
    expected = args.events * args.endpoints

    with bench_database("events") as database:
        from django.db import connection
        from django_tenants.utils import schema_context

        from config.celery import app
        from integrations.models import WebhookDelivery
        from integrations.services import webhook_endpoint_create
        from tenants.services import tenant_provision

        migrate_platform()
        tenant = tenant_provision(slug="eventsbench", name="Events bench").tenant
        schema = tenant.schema_name

        manager = multiprocessing.Manager()
        secrets = manager.dict()
        port = multiprocessing.Value("i", 0)
        received = multiprocessing.Value("i", 0)
        bad = multiprocessing.Value("i", 0)
        ready = multiprocessing.Event()
        with schema_context(schema):
            # Endpoints first (their URLs need the port): the receiver reads secrets by path.
            receiver = multiprocessing.Process(
                target=_receiver, args=(port, secrets, received, bad, ready), daemon=True
            )
            receiver.start()
            ready.wait(10)
            for number in range(args.endpoints):
                path = f"/hooks/{number}"
                endpoint = webhook_endpoint_create(
                    url=f"http://127.0.0.1:{port.value}{path}", events=["*"]
                )
                secrets[path] = endpoint.secret
            emit = _emit(args.events)
        connection.close()

        worker_log = tempfile.TemporaryFile()  # noqa: SIM115 (closed after the run)
        worker = _start_worker(args.workers, worker_log)
        try:
            # The system runs with its worker up: the clock starts once it answers a ping.
            boot = time.perf_counter()
            while not app.control.ping(timeout=1.0) and time.perf_counter() - boot < 120:
                pass
            worker_boot_seconds = time.perf_counter() - boot
            started = time.perf_counter()
            next_beat = started
            while received.value < expected and time.perf_counter() - started < args.timeout:
                if time.perf_counter() >= next_beat:
                    # What beat sends every 5 s: the dispatcher, fanned out to each tenant.
                    app.send_task(
                        "tenants.tasks.fan_out",
                        kwargs={
                            "task_name": "integrations.tasks.dispatch_webhooks",
                            "jitter_seconds": 0,
                        },
                    )
                    next_beat += BEAT_SECONDS
                time.sleep(0.05)
            seconds = time.perf_counter() - started
            deadline = time.perf_counter() + 30
            with schema_context(schema):
                while time.perf_counter() < deadline:
                    recorded = WebhookDelivery.objects.filter(status="succeeded").count()
                    if recorded >= expected:
                        break
                    time.sleep(0.2)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
            receiver.terminate()
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(os.environ["CELERY_QUEUE"])
            connection.close()
        worker_log.seek(0)
        errors = worker_log.read().decode(errors="replace")
        worker_log.close()

    delivered = received.value
    result = {
        "benchmark": "events",
        "database": database,
        "events": args.events,
        "endpoints": args.endpoints,
        "workers": args.workers,
        "deliveries_expected": expected,
        "deliveries_received": delivered,
        "deliveries_recorded_succeeded": recorded,
        "bad_signatures": bad.value,
        "worker_boot_seconds": round(worker_boot_seconds, 1),
        "delivery_seconds": round(seconds, 2),
        "deliveries_per_second": round(delivered / seconds, 1) if seconds else None,
        **emit,
        "ok": delivered == expected and bad.value == 0 and recorded == expected,
        "worker_errors": errors.strip().splitlines()[-3:] if "Traceback" in errors else [],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
