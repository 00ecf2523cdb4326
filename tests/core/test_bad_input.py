"""Bad input gets the documented 4xx with the error envelope and writes nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from core.models import Job, Upload
from tests.conftest import HOST_A, assert_error, client_for

pytestmark = pytest.mark.django_db


def test_malformed_json_is_400(api_planner):
    response = api_planner.generic(
        "POST", "/api/v1/mrp-runs/", b'{"horizon": 3,', content_type="application/json"
    )
    assert_error(response, 400, "parse_error")
    assert not Job.objects.exists()


def test_wrong_types_are_400_with_field_details(api_planner):
    response = api_planner.post("/api/v1/mrp-runs/", {"horizon": "many", "source": []})
    error = assert_error(response, 400, "validation_error")
    assert set(error["details"]) == {"horizon", "source"}
    response = api_planner.post("/api/v1/mrp-runs/", {"horizon": 10_000})
    assert "horizon" in assert_error(response, 400, "validation_error")["details"]
    assert not Job.objects.exists()


def test_wrong_content_type_is_415(api_planner):
    response = api_planner.generic(
        "POST", "/api/v1/mrp-runs/", b"horizon=3", content_type="text/plain"
    )
    assert_error(response, 415, "unsupported_media_type")


def test_the_demo_job_has_no_endpoint(api_planner):
    assert_error(api_planner.post("/api/v1/jobs/demo/", {"steps": 1}), 405)
    assert not Job.objects.exists()


def test_unknown_host_is_404_json():
    response = client_for("nobody.localhost").get("/api/v1/me")
    assert_error(response, 404, "unknown_host")
    response = client_for("evil.example.org").get("/api/v1/me")  # not even an allowed host
    assert_error(response, 404, "unknown_host")


def test_unknown_path_and_id_are_404_json(api_planner):
    assert_error(api_planner.get("/api/v1/nothing-here/"), 404, "not_found")
    assert_error(api_planner.get("/api/v1/jobs/not-a-uuid/"), 404, "not_found")


def test_method_not_allowed_is_405(api_planner):
    assert_error(api_planner.delete("/api/v1/jobs/"), 405, "method_not_allowed")


def _upload(client, name: str, content: bytes):
    return client.post(
        "/api/v1/uploads/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )


def test_csv_upload_is_stored_with_sniffed_kind(api_planner):
    response = _upload(
        api_planner, "sales 2026.csv", b"date,sku,location,quantity\n2026-01-01,A,B,3\n"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "csv"
    assert body["original_name"] == "sales_2026.csv"
    assert len(body["sha256"]) == 64
    assert Upload.objects.get(pk=body["id"]).file.read().startswith(b"date,sku")


def test_xlsx_is_recognised_by_content_not_extension(api_planner):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    response = _upload(api_planner, "data.bin", buffer.getvalue())
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "xlsx"


@override_settings(UPLOAD_MAX_BYTES=2048)
def test_oversize_upload_is_413_and_writes_nothing(api_planner):
    response = _upload(api_planner, "big.csv", b"a,b\n" + b"1,2\n" * 1000)
    error = assert_error(response, 413, "payload_too_large")
    assert error["details"]["limit"] == 2048
    assert not Upload.objects.exists()


def test_binary_with_csv_extension_is_415(api_planner):
    response = _upload(api_planner, "sales.csv", b"\x7fELF\x02\x01\x01\x00" + bytes(200))
    error = assert_error(response, 415, "unsupported_media_type")
    assert error["details"]["allowed"] == ["csv", "json", "xlsx"]
    assert not Upload.objects.exists()


@pytest.mark.parametrize("name", ["../../etc/passwd.csv", "..", "a/b.csv", "..\\win.csv"])
def test_path_traversal_names_are_400(name):
    from core.exceptions import ValidationFailed
    from core.uploads import sanitise_filename

    with pytest.raises(ValidationFailed):
        sanitise_filename(name)


def test_path_traversal_upload_is_400(api_planner):
    # Django's multipart parser strips directories itself; send the raw name through the
    # guard's own check as a second line of defence.
    boundary = "BoUnDaRy"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename=".."\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n\r\n--{boundary}--\r\n'
    ).encode()
    response = api_planner.generic(
        "POST", "/api/v1/uploads/", body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in {"validation_error", "parse_error"}
    assert not Upload.objects.exists()


def test_viewer_cannot_upload(viewer):
    response = _upload(client_for(HOST_A, viewer), "a.csv", b"a,b\n1,2\n")
    assert_error(response, 403)
