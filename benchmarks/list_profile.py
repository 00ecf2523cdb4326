"""One list request profiled: CPU, queries and the hottest functions (issue 17, ADR 37).

    python benchmarks/list_profile.py [--days 365] [--only purchase-orders] [--requests 100]
                                      [--top 25] [--sql] [--cpu] [--keep] [--reuse]

Seeds a throw-away tenant as ``benchmarks/api.py`` does (``--keep`` keeps the database and
writes its name, host and tenant to ``/tmp/list_profile_<db>.json``; ``--reuse`` reads them
back and skips the seeding, so a code change can be profiled again in seconds), then for each
list endpoint through Django's test client with production's tenant and JWT-user caches:
``time.process_time()`` per request over ``--requests`` unprofiled requests, the queries of
one request (``--sql`` prints them), and cProfile's ``--top`` functions by cumulative and by
own time (``--cpu``: timed with the process's CPU clock, so waiting on the database and
Redis is left out). Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _benchdb import bench_database
from api import ENDPOINTS, seed


def _token(host: str) -> tuple[str, int | None]:
    from django_tenants.utils import schema_context

    from accounts.models import User
    from accounts.tokens import TenantTokenObtainPairSerializer
    from tenants.models import Domain

    tenant = Domain.objects.select_related("tenant").get(domain=host).tenant
    with schema_context(tenant.schema_name):
        from manufacturing.models import MrpRun

        admin = User.objects.filter(role="admin", is_active=True).order_by("id").first()
        token = str(TenantTokenObtainPairSerializer.get_token(admin).access_token)
        run_id = MrpRun.objects.order_by("-id").values_list("id", flat=True).first()
    return token, run_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", default="", help="comma-separated substrings of endpoints")
    parser.add_argument("--extra", default="", help="comma-separated further paths")
    parser.add_argument("--sql", action="store_true", help="print one request's queries")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="profile with the process's CPU clock (time waiting for PostgreSQL and Redis "
        "left out) instead of the wall clock",
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    os.environ["CACHE_KEY_PREFIX"] = f"listprofile-{os.getpid()}"
    os.environ["RATE_LIMIT_USER"] = "100000000/m"
    os.environ.setdefault("JWT_ACCESS_MINUTES", "240")
    suffix = "listprof"
    state = Path(tempfile.gettempdir()) / (
        f"list_profile_{os.environ.get('DB_NAME', 'demandplan')}_{args.days}.json"
    )
    if args.reuse and state.exists():
        saved = json.loads(state.read_text())
        os.environ["DATABASE_URL"] = saved["url"]
        os.environ["SECRET_KEY"] = saved["secret"]
        import django

        django.setup()
        host = saved["host"]
        token, run_id = _token(host)
        _run(args, host, token, run_id)
        return
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)
    with bench_database(suffix, keep=args.keep):
        host, token, run_id = seed(args.days, f"listprof{secrets.token_hex(3)}")
        if args.keep:
            state.write_text(
                json.dumps(
                    {"url": os.environ["DATABASE_URL"], "host": host,
                     "secret": os.environ["SECRET_KEY"]}
                )
            )  # fmt: skip
        _run(args, host, token, run_id)


def _run(args, host: str, token: str, run_id: int | None) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    settings.TENANT_LOOKUP_CACHE_SECONDS = 30
    settings.JWT_USER_CACHE_SECONDS = 300
    connection.set_schema_to_public()
    client = Client(HTTP_HOST=host)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    paths = []
    for endpoint in ENDPOINTS:
        if endpoint == "PLANNED_ORDERS":
            if run_id is None:
                continue
            endpoint = f"/api/v1/mrp-runs/{run_id}/planned-orders/?page_size=50"
        paths.append(endpoint)
    paths += [p for p in args.extra.split(",") if p]
    wanted = [s for s in args.only.split(",") if s]
    if wanted:
        paths = [p for p in paths if any(s in p for s in wanted)]
    out: dict = {"days": args.days, "requests": args.requests, "endpoints": {}}
    for path in paths:
        response = client.get(path, **headers)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        for _ in range(5):
            client.get(path, **headers)
        captured: list[tuple[float, str]] = []

        def log(execute, sql, params, many, context, captured=captured):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                captured.append(((time.perf_counter() - started) * 1000, sql))

        with connection.execute_wrapper(log):
            client.get(path, **headers)
        started = time.process_time()
        for _ in range(args.requests):
            client.get(path, **headers)
        cpu_ms = (time.process_time() - started) * 1000 / args.requests
        profiler = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            client.get(path, **headers)
        profiler.disable()
        stats = pstats.Stats(profiler)
        profiled = stats.total_tt * 1000 / args.requests  # type: ignore[attr-defined]
        figures = {
            "cpu_ms_per_request": round(cpu_ms, 2),
            "profiled_ms_per_request": round(profiled, 2),
            "queries": len(captured),
            "bytes": len(response.content),
            "rows": len(response.json().get("results", [])),
        }
        out["endpoints"][path] = figures
        print(f"\n=== {path} {json.dumps(figures)}")
        if args.sql:
            for ms, sql in captured:
                print(f"  [{ms:.2f} ms] {sql[:700]}")
        for order in ("cumulative", "tottime"):
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(args.top)
            body = text.getvalue()
            print(body[body.find("ncalls") :], flush=True)
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
