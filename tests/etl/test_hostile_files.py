"""Hostile files (issue 16 item 2): every one ends in a row-level report, never a traceback,
a giant allocation or a full parse; the caps hold on the API's jobs and on the command alike.
The files are made here: a workbook from openpyxl, then its zip members rewritten."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django_tenants.utils import schema_context
from openpyxl import Workbook

from accounts.models import User
from catalog.models import Product
from core.models import Job
from etl import importing
from etl.importing import run_import
from etl.models import ImportBatch
from tests.conftest import HOST_A, assert_error, client_for, delete_users, make_user

SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADER_ROW = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
)


def _template() -> dict[str, bytes]:
    """The members of a small valid workbook (openpyxl's own)."""
    workbook = Workbook()
    workbook.active.append(["sku", "name"])
    workbook.active.append(["A", "Apple"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _workbook(
    sheet_parts: Iterable[bytes],
    *,
    replace: dict[str, Iterable[bytes]] | None = None,
    sheet_compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A workbook whose first sheet is ``sheet_parts`` (streamed, so 2 M rows stay cheap) and
    whose other members may be replaced the same way."""
    members = _template()
    streamed = {SHEET: sheet_parts, **(replace or {})}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in members.items():
            if name not in streamed:
                archive.writestr(name, data)
        for name, parts in streamed.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = sheet_compression if name == SHEET else zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                for part in parts:
                    member.write(part)
    return buffer.getvalue()


def _sheet(rows: Iterable[bytes], dimension: bytes | None = None) -> Iterable[bytes]:
    yield SHEET_HEAD
    if dimension:
        yield b'<dimension ref="' + dimension + b'"/>'
    yield b"<sheetData>" + HEADER_ROW
    yield from rows
    yield b"</sheetData></worksheet>"


def _text_row(number: int, sku: str, name: str) -> bytes:
    return (
        f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>{sku}</t></is></c>'
        f'<c r="B{number}" t="inlineStr"><is><t>{name}</t></is></c></row>'
    ).encode()


def _many_rows(count: int) -> Iterable[bytes]:
    """``count`` data rows, yielded in blocks of 10 000."""
    for start in range(2, count + 2, 10_000):
        yield b"".join(
            b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><v>1</v></c></row>' % (n, n, n, n)
            for n in range(start, min(start + 10_000, count + 2))
        )


def load(data: bytes, **options):
    return run_import(kind="products", stream=io.BytesIO(data), size=len(data), **options)


def _only_error(report) -> dict:
    assert report.status == "rejected", report.as_dict()
    assert report.error_count == 1, report.errors
    return report.errors[0]


@pytest.fixture
def cells_read(monkeypatch):
    """How many cells the workbook reader converted (the work a hostile file caused)."""
    calls = {"cells": 0}
    real_cell = importing._cell

    def counting(value):
        calls["cells"] += 1
        return real_cell(value)

    monkeypatch.setattr(importing, "_cell", counting)
    return calls


@pytest.mark.django_db
def test_a_150_mb_shared_string_is_refused_before_parsing(cells_read):
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" '
        b'uniqueCount="3"><si><t>sku</t></si><si><t>name</t></si><si><t>',
        *(b"x" * (1 << 20) for _ in range(150)),
        b"</t></si></sst>",
    )
    rows = [b'<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>2</v></c></row>']
    data = _workbook(_sheet(rows), replace={"xl/sharedStrings.xml": strings})
    assert len(data) < 2 * 1024 * 1024  # what an upload guard lets through

    error = _only_error(load(data))
    assert error["row"] == 1 and "IMPORT_MAX_COMPRESSION_RATIO" in error["why"], error
    assert cells_read["cells"] == 0  # never parsed
    with override_settings(IMPORT_MAX_UNCOMPRESSED_BYTES=100 * 1024 * 1024):
        assert "IMPORT_MAX_UNCOMPRESSED_BYTES" in _only_error(load(data))["why"]
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_a_cell_past_the_length_cap_stops_reading_with_its_row_and_column():
    rows = [_text_row(2, "A", "Apple"), _text_row(3, "B", "y" * 20_000), _text_row(4, "C", "c")]
    error = _only_error(load(_workbook(_sheet(rows))))
    assert (error["row"], error["column"]) == (3, "name"), error
    assert "IMPORT_MAX_CELL_CHARS" in error["why"]
    assert not Product.objects.exists()

    long_csv = ("sku,name\nA,Apple\nB," + "y" * 20_000 + "\n").encode()
    error = _only_error(load(long_csv))
    assert error["row"] == 3 and "IMPORT_MAX_CELL_CHARS" in error["why"], error


@pytest.mark.django_db
def test_a_damaged_numeric_cell_is_reported_on_its_row():
    rows = [
        _text_row(2, "A", "Apple"),
        b'<row r="3"><c r="A3" t="n"><v>abc</v></c><c r="B3" t="inlineStr"><is><t>B</t></is>'
        b"</c></row>",
    ]
    error = _only_error(load(_workbook(_sheet(rows))))
    assert error["row"] == 3 and "ValueError" in error["why"], error
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_broken_xml_and_a_corrupt_zip_member_are_reported_not_raised():
    truncated = _sheet([_text_row(2, "A", "Apple"), b'<row r="3"><c r="A3" t="inlineStr"><is>'])
    error = _only_error(load(_workbook(list(truncated)[:-1])))  # no closing tags
    assert "cannot be read" in error["why"], error

    # A stored (uncompressed) sheet with one byte changed after zipping: its CRC fails.
    data = _workbook(
        _sheet([_text_row(2, "A", "Apple"), _text_row(3, "B", "Banana")]),
        sheet_compression=zipfile.ZIP_STORED,
    )
    assert data.count(b"Banana") == 1
    error = _only_error(load(data.replace(b"Banana", b"Bonana")))
    assert "BadZipFile" in error["why"] or "CRC" in error["why"], error
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_a_workbook_declaring_2_million_rows_is_refused_before_reading_them(cells_read):
    data = _workbook(_sheet([_text_row(2, "A", "Apple")], dimension=b"A1:B2000001"))
    error = _only_error(load(data))
    assert error["row"] == 1 and "more than 1000000 data rows" in error["why"], error
    assert cells_read["cells"] == 0


@pytest.mark.django_db
def test_a_2_million_row_workbook_stops_at_the_row_cap(cells_read):
    # The dimension lies (says 2 rows), so only counting while reading can stop it.
    data = _workbook(_sheet(_many_rows(2_000_000), dimension=b"A1:B2"))
    with override_settings(IMPORT_MAX_ROWS=1000):
        error = _only_error(load(data))
    assert error["row"] == 1002 and "more than 1000 data rows" in error["why"], error
    assert cells_read["cells"] <= 2 * 1002  # the header and 1001 rows: the rest is unread
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_the_command_applies_the_caps_and_max_rows_raises_them(tmp_path, tenant_a, capsys):
    path = tmp_path / "products.xlsx"
    rows = [_text_row(2, "A", "Apple"), b'<row r="3"><c r="A3" t="n"><v>abc</v></c></row>']
    path.write_bytes(_workbook(_sheet(rows)))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_data", "products", str(path), "--schema", "alpha", "--no-progress")
    assert exit_info.value.code == 1
    assert "nothing was written" in capsys.readouterr().err

    path.write_bytes(_workbook(_sheet([_text_row(n, f"S{n}", "n") for n in range(2, 6)])))
    with override_settings(IMPORT_MAX_ROWS=3):
        with pytest.raises(SystemExit):
            call_command("import_data", "products", str(path), "--schema", "alpha")
        assert "more than 3 data rows" in capsys.readouterr().err
        call_command("import_data", "products", str(path), "--schema", "alpha", "--max-rows", "4")
    assert "imported: 4 rows" in capsys.readouterr().out
    assert Product.objects.count() == 4


@pytest.mark.django_db
def test_a_one_column_csv_is_told_which_columns_are_missing(api_planner):
    response = api_planner.post(
        "/api/v1/imports/",
        {"kind": "products", "file": SimpleUploadedFile("p.csv", b"sku\nA\nB\n")},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    report = load(b"sku\nA\nB\n")
    assert report.errors == [
        {"row": 1, "column": "name", "value": "", "why": "required column missing from the header"}
    ]
    plain = SimpleUploadedFile("p.csv", b"just one line without separators")
    response = api_planner.post(
        "/api/v1/imports/", {"kind": "products", "file": plain}, format="multipart"
    )
    assert_error(response, 415)


def _wait(client, url: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] not in {"pending", "queued", "running"}:
            return body
        time.sleep(0.05)
    raise AssertionError(f"{url} still unfinished: {body}")


def test_api_imports_of_hostile_files_end_failed_with_the_report_linked(
    live_worker, live_db, tenant_a, monkeypatch
):
    with schema_context(tenant_a.schema_name):
        user = make_user(User.Role.PLANNER)
    client = client_for(HOST_A, user)
    rows = [_text_row(2, "A", "Apple"), b'<row r="3"><c r="A3" t="n"><v>abc</v></c></row>']
    try:
        response = client.post(
            "/api/v1/imports/",
            {"kind": "products", "file": SimpleUploadedFile("p.xlsx", _workbook(_sheet(rows)))},
            format="multipart",
        )
        assert response.status_code == 202, response.content
        batch = _wait(client, response["Location"])
        assert batch["status"] == "rejected" and batch["errors"][0]["row"] == 3, batch
        job = _wait(client, batch["job_url"])
        assert job["status"] == "failed", job
        assert job["result"]["batch_url"] == f"/api/v1/imports/{batch['id']}/"

        # Whatever else stops the job, the batch does not stay pending.
        def explode(**kwargs):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(importing, "run_import", explode)
        monkeypatch.setattr("etl.services.run_import", explode)
        response = client.post(
            "/api/v1/imports/",
            {"kind": "products", "file": SimpleUploadedFile("p.csv", b"sku,name\nA,Apple\n")},
            format="multipart",
        )
        batch = _wait(client, response["Location"])
        assert batch["status"] == "failed" and "disk on fire" in batch["errors"][0]["why"]
        assert _wait(client, batch["job_url"])["status"] == "failed"
    finally:
        with schema_context(tenant_a.schema_name):
            ImportBatch.objects.all().delete()
            Job.objects.filter(created_by=user).delete()
            Product.objects.all().delete()
        delete_users(tenant_a, user)
