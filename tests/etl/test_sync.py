"""Data sources against real second databases (PostgreSQL and MariaDB) and a file drop:
incremental sync by watermark, failures that leave data intact, encrypted credentials."""

from __future__ import annotations

import uuid
from decimal import Decimal

import psycopg
import pymysql
import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from catalog.models import DemandHistory, Location, Product
from etl import services
from etl.connectors import SourceUnavailable
from etl.models import DataSource, SyncRun
from tests.conftest import HOST_A, HOST_B, assert_error, client_for

pytestmark = pytest.mark.django_db

QUERY = "SELECT sold_on AS date, item AS sku, shop AS location, qty AS quantity FROM shop_sales"


def _pg_server_url(database: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"


@pytest.fixture
def pg_source():
    """A real, separate PostgreSQL database playing the tenant's ERP."""
    name = f"erp_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(_pg_server_url("postgres"), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = _pg_server_url(name)
    with psycopg.connect(url, autocommit=True) as erp:
        erp.execute("CREATE TABLE shop_sales (sold_on date, item text, shop text, qty numeric)")
        erp.execute(
            "INSERT INTO shop_sales VALUES ('2026-01-01', 'A', 'S1', 3), "
            "('2026-01-02', 'A', 'S1', 4), ('2026-01-02', 'B', 'S1', 1)"
        )
    yield url
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def mysql_source():
    """A real MariaDB database (the server runs on this machine; skipped nowhere)."""
    name = f"erp_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
        cursor.execute(
            f"CREATE TABLE {name}.shop_sales (sold_on date, item varchar(20), "
            "shop varchar(20), qty decimal(10,3))"
        )
        cursor.execute(
            f"INSERT INTO {name}.shop_sales VALUES ('2026-02-01','A','S1',2.5),"  # noqa: S608
            "('2026-02-03','B','S1',1)"
        )
    yield f"mysql://root@127.0.0.1:3306/{name}", name, admin
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE {name}")
    admin.close()


def _source(url: str, kind: str = "postgresql", **extra) -> DataSource:
    return services.data_source_save(
        url=url,
        name=f"erp-{uuid.uuid4().hex[:6]}",
        kind=kind,
        dataset="sales",
        query=QUERY,
        watermark_column="date",
        create_missing=True,
        **extra,
    )


def test_postgresql_source_syncs_incrementally(pg_source):
    source = _source(pg_source)
    assert "postgres" not in source.url_encrypted  # encrypted at rest
    first = services.sync_run_execute(source_id=source.pk)
    assert (first.status, first.rows_read, first.inserted) == ("succeeded", 3, 3), first.error
    source.refresh_from_db()
    assert source.watermark == "2026-01-02"
    with psycopg.connect(pg_source, autocommit=True) as erp:
        erp.execute("INSERT INTO shop_sales VALUES ('2026-01-03', 'A', 'S1', 9)")
    second = services.sync_run_execute(source_id=source.pk)
    assert (second.rows_read, second.inserted, second.updated) == (1, 1, 0)
    assert DemandHistory.objects.count() == 4
    nothing_new = services.sync_run_execute(source_id=source.pk)
    assert (nothing_new.status, nothing_new.rows_read) == ("succeeded", 0)


def test_mysql_source_syncs(mysql_source):
    url, _name, _admin = mysql_source
    source = _source(url, kind="mysql")
    run = services.sync_run_execute(source_id=source.pk)
    assert (run.status, run.inserted) == ("succeeded", 2), run.error
    assert DemandHistory.objects.get(date="2026-02-01").quantity == Decimal("2.5")


def test_a_failing_source_marks_the_run_failed_and_keeps_earlier_data(pg_source):
    source = _source(pg_source)
    services.sync_run_execute(source_id=source.pk)
    before = DemandHistory.objects.count()
    services.data_source_save(source=source, url=pg_source.replace("/erp_", "/missing_"))
    with pytest.raises(SourceUnavailable):
        services.sync_run_execute(source_id=source.pk)
    run = SyncRun.objects.filter(source=source).first()
    assert run.status == "failed" and "PostgreSQL source" in run.error
    assert DemandHistory.objects.count() == before
    source.refresh_from_db()
    assert source.watermark == "2026-01-02"  # unchanged by the failure


def test_rows_the_import_rejects_fail_the_run_and_write_nothing(pg_source):
    with psycopg.connect(pg_source, autocommit=True) as erp:
        erp.execute("INSERT INTO shop_sales VALUES ('2026-01-05', 'C', 'S1', -2)")
    source = _source(pg_source)
    run = services.sync_run_execute(source_id=source.pk)
    assert run.status == "failed" and "must not be negative" in run.error
    assert not DemandHistory.objects.exists() and not Product.objects.exists()
    source.refresh_from_db()
    assert source.watermark == ""


def test_source_validation():
    from core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.data_source_save(
            name="x", kind="postgresql", dataset="sales", query=QUERY, url="http://nope"
        )
    with pytest.raises(ValidationFailed):
        services.data_source_save(
            name="x",
            kind="postgresql",
            dataset="sales",
            query="DELETE FROM shop_sales",
            url="postgresql://h/db",
        )
    with pytest.raises(ValidationFailed):
        services.data_source_save(
            name="x", kind="postgresql", dataset="teleport", query=QUERY, url="postgresql://h/db"
        )
    with pytest.raises(ValidationFailed):
        services.data_source_save(
            name="x", kind="csv_drop", dataset="sales", path="../../etc/passwd"
        )
    assert not DataSource.objects.exists()


def test_csv_drop_reads_only_from_the_tenant_folder(tmp_path):
    with override_settings(ETL_DROP_ROOT=tmp_path):
        folder = tmp_path / connection.schema_name
        folder.mkdir()
        (folder / "daily.csv").write_text("date,sku,location,quantity\n2026-03-01,A,S1,2\n")
        source = services.data_source_save(
            name="drop", kind="csv_drop", dataset="sales", path="daily.csv", create_missing=True
        )
        run = services.sync_run_execute(source_id=source.pk)
        assert (run.status, run.inserted) == ("succeeded", 1), run.error


def test_sync_api_status_and_trigger_are_admin_only_and_hide_the_url(
    pg_source, tenant_admin, planner, tenant_b
):
    admin_client = client_for(HOST_A, tenant_admin)
    created = admin_client.post(
        "/api/v1/etl/sources/",
        {
            "name": "erp",
            "kind": "postgresql",
            "dataset": "sales",
            "query": QUERY,
            "watermark_column": "date",
            "url": pg_source,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert "url" not in body and body["has_credentials"] is True
    assert pg_source not in created.content.decode()
    status_body = client_for(HOST_A, planner).get("/api/v1/etl/sync/status").json()
    assert [s["name"] for s in status_body["sources"]] == ["erp"]
    assert pg_source not in str(status_body)
    assert_error(client_for(HOST_A, planner).post("/api/v1/etl/sync/trigger", {}), 403)
    triggered = admin_client.post("/api/v1/etl/sync/trigger", {"source": body["id"]})
    assert triggered.status_code == 202
    assert triggered.json()[0]["kind"] == "sync"
    assert_error(admin_client.post("/api/v1/etl/sync/trigger", {"source": 999999}), 404)
    from django_tenants.utils import schema_context

    from tests.conftest import make_user

    with schema_context(tenant_b.schema_name):
        other_admin = make_user("admin")
    other = client_for(HOST_B, other_admin)
    assert other.get("/api/v1/etl/sync/status").json()["sources"] == []
    assert_error(other.get(f"/api/v1/etl/sources/{body['id']}/"), 404)
    assert_error(other.post("/api/v1/etl/sync/trigger", {"source": body["id"]}), 404)


def test_daily_beat_task_queues_one_job_per_active_source(pg_source):
    from core.models import Job
    from etl.tasks import sync_all_sources

    _source(pg_source)
    _source(pg_source, is_active=False)
    assert sync_all_sources.apply().get() == 1
    assert Job.objects.filter(kind="sync").count() == 1
    assert Location.objects.count() == 0  # queued, not yet run
