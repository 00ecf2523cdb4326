"""The read-replica router: with DATABASE_REPLICA_URL set, reads inside ``replica_reads`` (and
the views that opt in) go to the replica, in the tenant's schema; everything else and every
write stays on the primary."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection

from core.db_routing import ReplicaReadRouter, replica_configured, replica_reads

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh process, so the settings read DATABASE_REPLICA_URL at start as in production.
SCRIPT = textwrap.dedent(
    """
    import django
    django.setup()
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext
    from catalog.models import Product
    from core.db_routing import replica_reads
    from tenants.models import Tenant

    assert connections["replica"] is not connection
    connection.set_tenant(Tenant.objects.get(slug="alpha"))
    with CaptureQueriesContext(connections["replica"]) as replica, \\
            CaptureQueriesContext(connection) as primary:
        with replica_reads():
            on_replica = Product.objects.filter(sku="replica-probe").count()
        on_primary = Product.objects.filter(sku="primary-probe").count()
    replica_sql = " ".join(q["sql"] for q in replica.captured_queries)
    primary_sql = " ".join(q["sql"] for q in primary.captured_queries)
    assert "replica-probe" in replica_sql and "replica-probe" not in primary_sql, replica_sql
    assert "primary-probe" in primary_sql and "primary-probe" not in replica_sql, primary_sql
    # The replica connection reads the tenant's schema (public has no catalogue tables).
    with connections["replica"].cursor() as cursor:
        cursor.execute("SHOW search_path")
        assert cursor.fetchone()[0].startswith("t_alpha"), "replica not in the tenant schema"
    print("ROUTED", on_replica, on_primary)
    """
)


def _url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_reads_go_to_the_replica_when_one_is_configured():
    env = {
        **os.environ,
        "DATABASE_URL": _url(),
        "DATABASE_REPLICA_URL": _url(),  # the test database stands in for a replica
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ROUTED 0 0" in result.stdout


def test_without_a_replica_everything_reads_the_primary():
    assert not replica_configured()
    router = ReplicaReadRouter()
    with replica_reads():
        assert router.db_for_read(None) is None
    assert router.db_for_write(None) is None
    assert router.allow_migrate("replica", "catalog") is False
    assert router.allow_migrate("default", "catalog") is None
