"""Backup and restore of one tenant: the round trip is exact table by table, the source is
untouched, the restored tenant serves its users; bad archives leave nothing behind."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists
from rest_framework.test import APIClient

from core.models import Upload
from tenants import backup, services
from tenants.exceptions import BackupRefused
from tenants.models import Domain, Tenant
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ADMIN = "boss@source.example"


@pytest.fixture(autouse=True)
def _no_stray_files():
    """The database rolls back after each test; uploaded files do not: remove them."""
    uploads = Path(settings.MEDIA_ROOT) / "uploads"
    schemas = ("t_source", "restored_src", "t_tamper", "t_future", "t_older")
    for schema in schemas:
        shutil.rmtree(uploads / schema, ignore_errors=True)
    yield
    for schema in schemas:
        shutil.rmtree(uploads / schema, ignore_errors=True)


def _source(slug: str = "source", days: int = 30) -> Tenant:
    tenant = services.tenant_provision(
        slug=slug, name="Source Ltd", admin_email=ADMIN, admin_password=PASSWORD
    ).tenant
    call_command("seed_demo", "--schema", tenant.schema_name, "--days", str(days))
    with schema_context(tenant.schema_name):
        Upload.objects.create(
            file=ContentFile(b"date,sku,location,quantity\n", name="sales.csv"),
            original_name="sales.csv",
            kind="csv",
            size=27,
            sha256="0" * 64,
        )
    connection.set_schema_to_public()
    return tenant


def _export(tenant: Tenant, path: Path) -> dict:
    call_command("export_tenant", "--schema", tenant.slug, "-o", str(path))
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def _rewrite(path: Path, target: Path, **replace) -> None:
    """A copy of the archive with some members' bytes replaced (``name=function(bytes)``)."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as sink:
        for item in source.infolist():
            data = source.read(item.filename)
            change = replace.get(item.filename)
            sink.writestr(item.filename, change(data) if change else data)


def _nothing_left(schema: str, domain: str) -> None:
    connection.set_schema_to_public()
    assert not Tenant.objects.filter(schema_name=schema).exists()
    assert not Domain.objects.filter(domain=domain).exists()
    assert not schema_exists(schema)
    assert not (Path(settings.MEDIA_ROOT) / "uploads" / schema).exists()


def test_round_trip_is_exact_and_the_restored_tenant_works(tmp_path):
    source = _source()
    before = backup.table_checksums(source.schema_name)
    assert before["inventory_demandhistory"]["rows"] > 100
    archive = tmp_path / "source.zip"
    manifest = _export(source, archive)
    assert manifest["source"]["slug"] == "source"
    assert ["core", "0001_initial"] in manifest["migrations"]
    assert {name: (t["rows"], t["sha256"]) for name, t in manifest["tables"].items()} == {
        name: (t["rows"], t["sha256"]) for name, t in before.items()
    }
    assert len(manifest["files"]) == 1

    call_command(
        "import_tenant", str(archive), "--schema", "restored_src", "--domain", "restored.localhost"
    )
    restored = Tenant.objects.get(schema_name="restored_src")
    assert restored.slug == "restored-src"
    after = backup.table_checksums("restored_src")
    # Uploaded files move to the new schema's directory, so their paths differ.
    upload_before = before.pop("core_upload")
    upload_after = after.pop("core_upload")
    assert after == before
    assert upload_after["rows"] == upload_before["rows"] == 1
    assert backup.table_checksums(source.schema_name) == {**before, "core_upload": upload_before}

    with schema_context("restored_src"):
        upload = Upload.objects.get()
        assert upload.file.name.startswith("uploads/restored_src/")
        assert upload.file.read() == b"date,sku,location,quantity\n"
        # Sequences moved past the restored rows: a new row gets a fresh id.
        from catalog.models import Category

        category = Category.objects.create(name="After restore")
        others = Category.objects.exclude(id=category.id).values_list("id", flat=True)
        assert category.id > max(others)
    connection.set_schema_to_public()

    client = APIClient(HTTP_HOST="restored.localhost")
    response = client.post(
        "/api/v1/auth/token", {"username": ADMIN, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    products = client.get("/api/v1/products/")
    assert products.status_code == 200
    assert products.json()["count"] > 0

    # The restored tenant forecasts: the admin asks for a run through the API, a worker
    # executes the queued run (its task's body, here), the API then shows it succeeded.
    started = client.post(
        "/api/v1/forecast-runs/", {"horizon": 7, "methods": ["naive", "ses"]}, format="json"
    )
    assert started.status_code == 202, started.content
    run_id = started.json()["id"]
    from forecasting.models import ForecastRun, ForecastValue
    from forecasting.services import forecast_run_execute

    with schema_context("restored_src"):
        forecast_run_execute(run_id=run_id)
        assert ForecastValue.objects.filter(run_id=run_id).count() > 0
        assert ForecastRun.objects.filter(pk=run_id).count() == 1
    with schema_context(source.schema_name):  # the run is the restored tenant's alone
        assert not ForecastRun.objects.filter(pk=run_id).exists()
    connection.set_schema_to_public()
    done = client.get(f"/api/v1/forecast-runs/{run_id}/").json()
    assert done["status"] == "succeeded", done
    assert done["series_count"] > 0


def test_tampered_archive_is_refused_and_leaves_nothing(tmp_path):
    source = _source(slug="tamper", days=5)
    archive = tmp_path / "tamper.zip"
    _export(source, archive)
    tampered = tmp_path / "tampered.zip"
    _rewrite(
        archive,
        tampered,
        **{"tables/accounts_user.copy": lambda data: data.replace(b"boss@", b"evil@")},
    )
    with pytest.raises(BackupRefused, match="checksum"), tampered.open("rb") as stream:
        backup.import_tenant(stream, schema="tampered", domain="tampered.localhost")
    _nothing_left("tampered", "tampered.localhost")
    # A damaged byte stream (not valid COPY any more) is refused the same way.
    broken = tmp_path / "broken.zip"
    _rewrite(archive, broken, **{"tables/inventory_product.copy": lambda data: data[:-7]})
    with pytest.raises(CommandError, match="checksum"):
        call_command("import_tenant", str(broken), "--schema", "broken")
    _nothing_left("broken", "broken.localhost")


def test_archive_from_newer_code_is_refused(tmp_path):
    source = _source(slug="future", days=5)
    archive = tmp_path / "future.zip"
    _export(source, archive)

    def add_migration(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest["migrations"].append(["catalog", "9999_from_the_future"])
        return json.dumps(manifest).encode()

    newer = tmp_path / "newer.zip"
    _rewrite(archive, newer, **{"manifest.json": add_migration})
    with pytest.raises(BackupRefused, match="newer code") as refused:
        backup.import_tenant(str(newer), schema="from_future", domain="future2.localhost")
    assert refused.value.details == {"migrations": ["catalog.9999_from_the_future"]}
    _nothing_left("from_future", "future2.localhost")


def test_older_archive_is_migrated_forward(tmp_path):
    from django.db.migrations.executor import MigrationExecutor

    source = services.tenant_provision(slug="older", name="Older").tenant
    connection.set_schema(source.schema_name, include_public=False)
    MigrationExecutor(connection).migrate([("etl", "0001_initial")])
    connection.set_schema_to_public()
    archive = tmp_path / "older.zip"
    manifest = _export(source, archive)
    assert ["etl", "0002_datasource_syncrun"] not in manifest["migrations"]
    assert "etl_datasource" not in manifest["tables"]

    result = backup.import_tenant(str(archive), schema="older_restored")
    assert result.migrated_forward[0] == "etl.0002_datasource_syncrun"
    assert all(name.startswith("etl.") for name in result.migrated_forward)
    with connection.cursor() as cursor:
        template = backup._applied_migrations(cursor, settings.TENANT_BASE_SCHEMA)
        assert backup._applied_migrations(cursor, "older_restored") == template
    assert "etl_datasource" in backup.table_checksums("older_restored")


def test_import_refuses_bad_input(tmp_path):
    with pytest.raises(BackupRefused, match="zip"):
        backup.import_tenant(io.BytesIO(b"not a zip"), schema="x_bad")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": "other"}))
    with pytest.raises(BackupRefused, match="Not a tenant archive"):
        backup.import_tenant(str(empty), schema="x_bad")
    with pytest.raises(Exception, match="schema name"):
        backup.import_tenant(str(empty), schema="Bad-Name")
    with pytest.raises(Exception, match="schema name"):
        backup.import_tenant(str(empty), schema=settings.TENANT_BASE_SCHEMA)


@pytest.fixture
def staff():
    from accounts.models import User

    with schema_context("public"):
        return User.objects.create_superuser(
            "staff@platform.example", "staff@platform.example", PASSWORD
        )


@pytest.fixture
def backup_dir(tmp_path, settings):
    settings.TENANT_BACKUP_DIR = tmp_path / "backups"
    return settings.TENANT_BACKUP_DIR


def _run_now(monkeypatch):
    """Celery's ``delay`` runs the task here and now."""
    from tenants import tasks

    class Done:
        id = "task-1"

    def run(*args):
        tasks.backup_tenant.run(*args)
        return Done()

    monkeypatch.setattr(tasks.backup_tenant, "delay", run)


def test_staff_api_exports_lists_downloads_and_imports(staff, backup_dir, monkeypatch, tenant_a):
    from tests.conftest import PUBLIC_HOST, client_for

    _run_now(monkeypatch)
    client = client_for(PUBLIC_HOST, staff)
    response = client.post("/api/v1/tenants/alpha/export/")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["job"] == "task-1"
    assert body["name"].startswith("alpha-") and body["download_url"].endswith(
        f"/api/v1/tenants/alpha/backups/{body['name']}/"
    )
    listed = client.get("/api/v1/tenants/alpha/backups/").json()
    assert [entry["name"] for entry in listed] == [body["name"]]
    download = client.get(f"/api/v1/tenants/alpha/backups/{body['name']}/")
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    assert client.get("/api/v1/tenants/alpha/backups/alpha-nope.zip/").status_code == 404

    imported = client.post(
        "/api/v1/tenants/import/",
        {"file": io.BytesIO(data), "schema": "alpha_copy", "domain": "alpha-copy.localhost"},
        format="multipart",
    )
    assert imported.status_code == 201, imported.content
    assert imported.json()["schema_name"] == "alpha_copy"
    assert imported.json()["domains"] == ["alpha-copy.localhost"]
    connection.set_schema_to_public()
    assert backup.table_checksums("alpha_copy") == backup.table_checksums("t_alpha")
    refused = client.post(
        "/api/v1/tenants/import/",
        {"file": io.BytesIO(b"junk"), "schema": "alpha_junk"},
        format="multipart",
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "backup_refused"
    anonymous = client_for(PUBLIC_HOST).post("/api/v1/tenants/alpha/export/")
    assert anonymous.status_code in (401, 403)


def test_nightly_backup_exports_every_active_tenant_and_keeps_n(backup_dir, settings, tenant_a):
    from tenants import tasks

    settings.TENANT_BACKUP_KEEP = 2
    for stamp in ("20240101T000000Z", "20240102T000000Z", "20240103T000000Z"):
        old = backup_dir / "alpha" / f"alpha-{stamp}.zip"
        old.parent.mkdir(parents=True, exist_ok=True)
        old.write_bytes(b"old")
    result = tasks.backup_all()
    assert result["failed"] == 0 and result["exported"] >= 2
    names = [entry["name"] for entry in backup.backups_list("alpha")]
    assert len(names) == 2
    assert names[1] == "alpha-20240103T000000Z.zip"
    assert backup.backups_list("beta")


def test_admin_action_queues_an_export(staff, backup_dir, monkeypatch, tenant_a):
    from django.test import Client

    _run_now(monkeypatch)
    client = Client(HTTP_HOST="localhost")
    connection.set_schema_to_public()
    client.force_login(staff)
    response = client.post(
        "/admin/tenants/tenant/",
        {"action": "export_backup", "_selected_action": [tenant_a.pk]},
    )
    assert response.status_code == 302
    assert backup.backups_list("alpha")
