"""Pure units: upload sniffing, validators, configuration checks, the versioned cache."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from config.env import database_from_url, env_bool, env_int, env_list
from core.exceptions import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from core.uploads import guard_upload, sanitise_filename, sniff_kind
from core.validators import (
    BoundedInteger,
    validate_latitude,
    validate_longitude,
    validate_non_negative,
)

ROOT = Path(__file__).resolve().parents[2]


class FakeUpload:
    def __init__(self, name: str, content: bytes):
        self.name = name
        self.size = len(content)
        self.file = io.BytesIO(content)


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"sku,name\nA,Apple\n", "csv"),
        (b"\xef\xbb\xbfsku;name\nA;Apple\n", "csv"),
        (b'[{"sku": "A"}]', "json"),
        (b'  {"a": 1}', "json"),
        ("sku,naïve\n".encode(), "csv"),
        (b"just one line without separators", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00", None),
        (b"sku,name\n\xff\xfe\xfa garbage", None),
    ],
)
def test_sniff_kind(content, kind):
    assert sniff_kind(content, io.BytesIO(content)) == kind


def test_sniff_recognises_xlsx_and_refuses_other_zips():
    assert sniff_kind(_xlsx_bytes()[:8], io.BytesIO(_xlsx_bytes())) == "xlsx"
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("evil.sh", "rm -rf /")
    assert sniff_kind(other.getvalue()[:8], io.BytesIO(other.getvalue())) is None
    assert sniff_kind(b"PK\x03\x04broken", io.BytesIO(b"PK\x03\x04broken")) is None


def test_multibyte_character_cut_at_the_sniff_boundary_is_still_text():
    from core.uploads import SNIFF_BYTES

    content = b"a," + "é".encode() * SNIFF_BYTES
    assert sniff_kind(content[:SNIFF_BYTES], io.BytesIO(content)) == "csv"


def test_guard_upload_limits():
    assert guard_upload(FakeUpload("a.csv", b"a,b\n1,2\n"), allowed={"csv"}).kind == "csv"
    with pytest.raises(PayloadTooLarge):
        guard_upload(FakeUpload("a.csv", b"a,b\n" * 600), allowed={"csv"}, max_bytes=1024)
    with pytest.raises(UnsupportedMediaType):
        guard_upload(FakeUpload("a.csv", b'{"a": 1}'), allowed={"csv"})
    with pytest.raises(ValidationFailed):
        guard_upload(FakeUpload("a.csv", b""), allowed={"csv"})


def test_sanitise_filename():
    assert sanitise_filename("Ventes été 2026.csv") == "Ventes_ete_2026.csv"
    assert sanitise_filename("report.final.xlsx") == "report.final.xlsx"
    for bad in ("", "...", "\x00.csv", "/etc/passwd", "C:\\x.csv"):
        with pytest.raises(ValidationFailed):
            sanitise_filename(bad)


@given(st.floats(min_value=-90, max_value=90))
def test_any_latitude_in_range_is_valid(value):
    validate_latitude(value)


@given(
    st.one_of(
        st.floats(min_value=90.0001, max_value=1e9), st.floats(max_value=-90.0001, min_value=-1e9)
    )
)
def test_any_latitude_out_of_range_is_refused(value):
    with pytest.raises(ValidationError):
        validate_latitude(value)


def test_coordinate_and_quantity_validators():
    validate_longitude(-180)
    validate_longitude(180)
    for bad in (180.0001, -181, None):
        with pytest.raises(ValidationError):
            validate_longitude(bad)
    validate_non_negative(0)
    with pytest.raises(ValidationError):
        validate_non_negative(-0.001)
    bounded = BoundedInteger(1, 365)
    bounded(1)
    bounded(365)
    for bad in (0, 366, True, 3.0, "7"):
        with pytest.raises(ValidationError):
            bounded(bad)
    assert bounded == BoundedInteger(1, 365)
    assert hash(bounded) == hash(BoundedInteger(1, 365))


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    assert env_bool("X_BOOL") is True
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_BOOL")
    monkeypatch.setenv("X_INT", "3")
    assert env_int("X_INT", 1, minimum=1) == 3
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 1, minimum=1)
    monkeypatch.setenv("X_INT", "three")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_LIST", " a.com, ,b.com ")
    assert env_list("X_LIST") == ["a.com", "b.com"]
    db = database_from_url("postgresql://u%40x:p%2Fw@db.internal:6543/plan")
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "u@x",
        "p/w",
        "db.internal",
        "6543",
        "plan",
    )
    with pytest.raises(ImproperlyConfigured):
        database_from_url("mysql://x/y")
    with pytest.raises(ImproperlyConfigured):
        database_from_url("postgresql://host/")


def _import_prod(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings.prod"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_unsafe_configuration():
    good = {"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "plan.example.com"}
    assert _import_prod(**good).returncode == 0
    debug = _import_prod(**good, DEBUG="true")
    assert debug.returncode != 0 and "DEBUG" in debug.stderr
    default_key = _import_prod(ALLOWED_HOSTS="plan.example.com")
    assert default_key.returncode != 0 and "SECRET_KEY" in default_key.stderr
    no_hosts = _import_prod(SECRET_KEY="k" * 50)
    assert no_hosts.returncode != 0 and "ALLOWED_HOSTS" in no_hosts.stderr
