"""In-process CPU per request of `/api/v1/me` and `/health` (issue 17, ADR 37).

    python benchmarks/request_cpu.py [REQUESTS] [ROUNDS]

Seeds a throw-away tenant (one day of history), then sends REQUESTS requests per round through
Django's test client with a JWT on the tenant host, production's tenant and JWT-user caches
and the root logger at INFO (to /dev/null, so the access log line is written), and prints
`time.process_time()` per request for each round. Prints one JSON object on its last line.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchdb import bench_database
from api import seed


def main():
    os.environ["CACHE_KEY_PREFIX"] = f"mecpu-{os.getpid()}"
    os.environ["RATE_LIMIT_USER"] = "100000000/m"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with bench_database(f"mecpu{os.getpid()}"):
        host, token, _ = seed(1, f"mecpu{secrets.token_hex(3)}")
        from django.conf import settings
        from django.db import connection
        from django.test import Client

        settings.TENANT_LOOKUP_CACHE_SECONDS = 30
        settings.JWT_USER_CACHE_SECONDS = 300
        connection.set_schema_to_public()
        import logging

        root = logging.getLogger()
        root.setLevel(logging.INFO)  # production: the access log line is written
        for handler in root.handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (for the run)
        c = Client(HTTP_HOST=host)
        h = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        out = {}
        for path, hd in (("/api/v1/me", h), ("/health", {})):
            r = c.get(path, **hd)
            assert r.status_code == 200, (path, r.status_code)
            for _ in range(30):
                c.get(path, **hd)
            vals = []
            for _ in range(rounds):
                t = time.process_time()
                for _ in range(n):
                    c.get(path, **hd)
                vals.append(round((time.process_time() - t) * 1000 / n, 3))
            out[path] = vals
        out["load"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(out))


if __name__ == "__main__":
    main()
