"""Where one API request's time goes: a profile of each read endpoint through the whole stack.

    python benchmarks/api_profile.py [--days 90] [--requests 200]

Seeds a throw-away tenant as ``benchmarks/api.py`` does, then sends ``--requests`` requests to
each endpoint through Django's test client (every middleware, the JWT, the tenant lookup, the
view, the serializer, the renderer; no HTTP server) under cProfile, with production's tenant
and JWT-user caches, and splits the mean time per request into the parts that matter: tenant
lookup (middleware), authentication (JWT → user), throttle, filters, pagination (COUNT and the
page), database (time inside the driver's ``execute``), Redis, serialisation
(``serializer.data``) and rendering (JSON). Also counts queries (driver ``execute`` calls,
``SET search_path`` included) and Redis commands per request. Profiling inflates Python's
share: compare the parts, not the totals with wrk's figures. Prints one JSON object on its
last line.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _benchdb import bench_database
from api import seed

PATHS = (
    "/api/v1/me",
    "/api/v1/inventory/dashboard/",
    "/api/v1/products/?page_size=50",
    "/api/v1/inventory/metrics/?page_size=50",
    "/api/v1/stock-levels/?page_size=50",
    "/api/v1/sales-history/?page_size=50",
)
# part → (file suffix, function name) whose cumulative time is that part.
PARTS = {
    "tenant_lookup": ("tenants/middleware.py", "process_request"),
    "authentication": ("rest_framework/request.py", "_authenticate"),
    "throttle": ("rest_framework/views.py", "check_throttles"),
    "permissions": ("rest_framework/views.py", "check_permissions"),
    "filters": ("rest_framework/generics.py", "filter_queryset"),
    "paginate": ("rest_framework/generics.py", "paginate_queryset"),
    "database": ("psycopg/cursor.py", "execute"),
    "redis": ("redis/client.py", "execute_command"),
    "serializer": ("rest_framework/serializers.py", "data"),
    "render": ("rest_framework/response.py", "rendered_content"),
}


def _cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    total = 0.0
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        if function == name and filename.endswith(suffix):
            total += row[3]
    return total


def _calls(stats: pstats.Stats, suffix: str, name: str) -> int:
    return sum(
        row[1]
        for (filename, _line, function), row in stats.stats.items()  # type: ignore[attr-defined]
        if function == name and filename.endswith(suffix)
    )


def profile(client, path: str, headers: dict[str, str], requests: int) -> dict:
    response = client.get(path, **headers)  # warm: caches, connection, imports
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    started = time.perf_counter()
    for _ in range(requests):
        client.get(path, **headers)
    plain_ms = (time.perf_counter() - started) * 1000 / requests
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path, **headers)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    parts = {
        part: round(_cumulative(stats, *where) * 1000 / requests, 3)
        for part, where in PARTS.items()
    }
    return {
        "ms_per_request": round(plain_ms, 2),
        "profiled_ms_per_request": round(total * 1000 / requests, 2),
        "queries": round(_calls(stats, *PARTS["database"]) / requests, 2),
        "redis_calls": round(_calls(stats, *PARTS["redis"]) / requests, 2),
        "parts_ms_profiled": parts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its name)")
    args = parser.parse_args()
    os.environ["CACHE_KEY_PREFIX"] = f"apiprofile-{os.getpid()}"
    os.environ["RATE_LIMIT_USER"] = "100000000/m"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)
    with bench_database(f"apiprof{os.getpid()}", keep=args.keep) as name:
        host, token, _run_id = seed(args.days, f"apiprof{secrets.token_hex(3)}")
        if args.keep:
            print(f"database {name} host {host} token {token}", file=sys.stderr)
        from django.conf import settings
        from django.db import connection
        from django.test import Client

        # The seeding ran with the test settings; requests get production's caches.
        settings.TENANT_LOOKUP_CACHE_SECONDS = 30
        settings.JWT_USER_CACHE_SECONDS = 300
        connection.set_schema_to_public()
        client = Client(HTTP_HOST=host)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        out = {"days": args.days, "requests": args.requests, "endpoints": {}}
        for path in PATHS:
            figures = profile(client, path, headers, args.requests)
            out["endpoints"][path] = figures
            print(path, json.dumps(figures), flush=True)
        out["load_average"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(out))


if __name__ == "__main__":
    main()
