"""Backups in an S3-compatible bucket (ADR 41), against moto's standalone S3 server on loopback:
boto3 speaks HTTP to it as to any S3 endpoint. Nightly export streamed as a multipart upload,
listing, keep-N pruning, download through the staff API, and restore from the bucket."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tenants import backup, backup_store

pytestmark = pytest.mark.django_db

BUCKET = "dp-backups"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, settings):
    import boto3

    settings.BACKUP_TARGET = f"s3://{BUCKET}/nightly"
    settings.BACKUP_S3_ENDPOINT_URL = s3_server
    settings.BACKUP_S3_ACCESS_KEY_ID = KEYS["aws_access_key_id"]
    settings.BACKUP_S3_SECRET_ACCESS_KEY = KEYS["aws_secret_access_key"]
    settings.BACKUP_S3_PART_MB = 5
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **KEYS)
    client.create_bucket(Bucket=BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def big_file_in_alpha():
    """11 MB that do not compress: alpha's archive needs three 5 MB parts."""
    folder = Path(settings.MEDIA_ROOT) / "uploads" / "t_alpha" / "s3-test"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "noise.bin").write_bytes(os.urandom(11 * 1024 * 1024))
    yield
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "uploads" / "alpha_s3", ignore_errors=True)
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "uploads" / "alpha_s3b", ignore_errors=True)


def test_nightly_backup_to_a_bucket_streams_lists_prunes_and_restores(
    bucket, big_file_in_alpha, settings, tenant_a, tenant_b
):
    from tenants import tasks

    settings.TENANT_BACKUP_KEEP = 2
    for stamp in ("20240101T000000Z", "20240102T000000Z", "20240103T000000Z"):
        bucket.put_object(Bucket=BUCKET, Key=f"nightly/alpha/alpha-{stamp}.zip", Body=b"old")
    result = tasks.backup_all()
    assert result == {"exported": result["exported"], "failed": 0} and result["exported"] >= 2

    names = [entry["name"] for entry in backup.backups_list("alpha")]
    assert len(names) == 2, names
    assert names[1] == "alpha-20240103T000000Z.zip"
    assert names[0] > names[1]
    keys = {item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert f"nightly/alpha/{names[0]}" in keys
    assert "nightly/alpha/alpha-20240101T000000Z.zip" not in keys
    # A multipart upload (its ETag ends in -<parts>), nothing left half-uploaded.
    head = bucket.head_object(Bucket=BUCKET, Key=f"nightly/alpha/{names[0]}")
    assert head["ContentLength"] > 11 * 1024 * 1024
    assert head["ETag"].strip('"').endswith("-3")
    assert not bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads")

    # Each tenant lists its own backups only.
    beta = [entry["name"] for entry in backup.backups_list("beta")]
    assert beta and all(name.startswith("beta-") for name in beta)

    # Restore straight from the bucket: an s3:// address, and a backup of the store by name.
    call_command(
        "import_tenant",
        f"s3://{BUCKET}/nightly/alpha/{names[0]}",
        "--schema",
        "alpha_s3",
        "--domain",
        "alpha-s3.localhost",
    )
    call_command(
        "import_tenant",
        f"backup:alpha/{names[0]}",
        "--schema",
        "alpha_s3b",
        "--domain",
        "alpha-s3b.localhost",
    )
    connection.set_schema_to_public()
    original = backup.table_checksums("t_alpha")
    assert backup.table_checksums("alpha_s3") == original
    assert backup.table_checksums("alpha_s3b") == original
    restored = Path(settings.MEDIA_ROOT) / "uploads" / "alpha_s3" / "s3-test" / "noise.bin"
    assert (
        restored.read_bytes()
        == (
            Path(settings.MEDIA_ROOT) / "uploads" / "t_alpha" / "s3-test" / "noise.bin"
        ).read_bytes()
    )

    with pytest.raises(CommandError):
        call_command(
            "import_tenant",
            f"s3://{BUCKET}/nightly/alpha/alpha-20990101T000000Z.zip",
            "--schema",
            "alpha_none",
        )
    with pytest.raises(CommandError):  # beta's store does not hold alpha's backup
        call_command("import_tenant", f"backup:beta/{names[0]}", "--schema", "alpha_none")


def test_staff_download_streams_from_the_bucket_and_stays_per_tenant(bucket, tenant_a):
    from django_tenants.utils import schema_context

    from accounts.models import User
    from tests.conftest import PASSWORD, PUBLIC_HOST, client_for

    name = "alpha-20240105T000000Z.zip"
    bucket.put_object(Bucket=BUCKET, Key=f"nightly/alpha/{name}", Body=b"PK-archive-bytes")
    with schema_context("public"):
        staff = User.objects.create_superuser("s3staff@platform.example", None, PASSWORD)
    client = client_for(PUBLIC_HOST, staff)
    listed = client.get("/api/v1/tenants/alpha/backups/")
    assert [entry["name"] for entry in listed.json()] == [name]
    assert listed.json()[0]["bytes"] == len(b"PK-archive-bytes")
    download = client.get(f"/api/v1/tenants/alpha/backups/{name}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"PK-archive-bytes"
    # The same name asked for under another tenant is not found.
    assert client.get(f"/api/v1/tenants/beta/backups/{name}/").status_code == 404
    assert client.get("/api/v1/tenants/beta/backups/").json() == []


def test_multipart_writer_holds_one_part_and_a_failure_leaves_nothing(bucket):
    part = 5 * 1024 * 1024
    client = backup_store.s3_client()
    sink = backup_store.MultipartWriter(client, BUCKET, "nightly/x/whole.bin", part)
    chunk = os.urandom(1024 * 1024)
    for _ in range(13):
        sink.write(chunk)
    sink.commit()
    sink.close()
    assert len(sink.parts) == 3
    assert sink.peak_buffer < part + len(chunk)
    body = bucket.get_object(Bucket=BUCKET, Key="nightly/x/whole.bin")["Body"].read()
    assert body == chunk * 13

    store = backup_store.store()

    def broken(stream):
        stream.write(os.urandom(6 * 1024 * 1024))
        raise RuntimeError("the export failed")

    with pytest.raises(RuntimeError):
        store.write("alpha", "alpha-20240109T000000Z.zip", broken)
    assert store.list("alpha") == []
    assert not bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads")


def test_backup_target_is_checked_at_start(monkeypatch):
    from config.env import env_storage_target

    for good in ("", "file:///var/backups", "s3://bucket", "s3://bucket/a/b"):
        monkeypatch.setenv("BACKUP_TARGET", good)
        assert env_storage_target("BACKUP_TARGET") == good
    for bad in ("s3:/bucket", "/var/backups", "file://relative/x", "ftp://host/x"):
        monkeypatch.setenv("BACKUP_TARGET", bad)
        with pytest.raises(ImproperlyConfigured):
            env_storage_target("BACKUP_TARGET")
    assert backup_store.parse_target("s3://b/p/q/") == backup_store.Target("s3", "b", "p/q/")
    assert backup_store.parse_target("", "/d") == backup_store.Target("file", "/d")
