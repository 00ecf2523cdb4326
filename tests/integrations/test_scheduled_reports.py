"""Scheduled reports: next runs in the tenant's time zone, generation by the dispatcher with
time controlled (never slept), files in CSV and XLSX, the announcing event and mail, signed
expiring links, retention and tenant isolation."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from accounts.models import User
from core.models import Event
from integrations import reports
from integrations.models import Report, ReportSchedule
from inventory.models import InventoryMetrics
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user
from tests.factories import LocationFactory, ProductFactory

pytestmark = pytest.mark.django_db
# Monday 7 December 2026, 10:00 UTC.
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def zone(tenant_a):
    """Alpha plans in New York (UTC-5 in December) for the test."""
    connection.tenant.time_zone = "America/New_York"
    yield
    connection.tenant.time_zone = "UTC"


def _schedule(**fields) -> ReportSchedule:
    values = {"name": "Daily", "kind": "what_to_order", "frequency": "daily", "hour": 6}
    return ReportSchedule(**(values | fields))


def test_next_runs_are_local_hours_in_the_tenants_time_zone(zone):
    ny = reports.tenant_zone()
    daily = reports.next_run(_schedule(), after=MONDAY, zone=ny)
    # 06:00 New York on Monday is 11:00 UTC, still ahead of 10:00 UTC.
    assert daily == datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    assert reports.next_run(_schedule(), after=daily, zone=ny) == daily + timedelta(days=1)
    weekly = _schedule(frequency="weekly", weekday=4)
    assert reports.next_run(weekly, after=MONDAY, zone=ny) == datetime(
        2026, 12, 11, 11, 0, tzinfo=UTC
    )
    monthly = _schedule(frequency="monthly", day_of_month=3)
    assert reports.next_run(monthly, after=MONDAY, zone=ny) == datetime(
        2027, 1, 3, 11, 0, tzinfo=UTC
    )


def _urgent_item():
    InventoryMetrics.objects.create(
        product=ProductFactory(sku="=HYPERLINK"),
        location=LocationFactory(),
        lead_time_days=7,
        inventory_position=1.0,
        on_hand=1.0,
        reorder_point=5.0,
        status="critical",
        stockout_risk=0.4,
        recommended_order_qty=24,
        abc_class="A",
        xyz_class="X",
        computed_at="2026-01-01T00:00:00Z",
    )


def test_the_dispatcher_makes_due_reports_announces_and_mails_a_working_link(
    planner, zone, mailoutbox, django_capture_on_commit_callbacks
):
    _urgent_item()
    client = client_for(HOST_A, planner)
    created = client.post(
        "/api/v1/report-schedules/",
        {
            "name": "Morning order list",
            "kind": "what_to_order",
            "format": "csv",
            "frequency": "daily",
            "hour": 6,
            "recipients": ["buyer@example.com"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    connection.tenant.time_zone = "America/New_York"  # the request loaded the tenant afresh
    schedule = ReportSchedule.objects.get(pk=created.json()["id"])
    schedule.next_run_at = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    schedule.save()

    assert reports.reports_generate_due(now=MONDAY) == 0  # 10:00 UTC: not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert reports.reports_generate_due(now=MONDAY + timedelta(hours=1)) == 1
    schedule.refresh_from_db()
    assert schedule.next_run_at == datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
    assert reports.reports_generate_due(now=MONDAY + timedelta(hours=1)) == 0

    report = Report.objects.get(schedule=schedule)
    assert report.rows == 1 and report.file_name == "what-to-order-2026-12-07-0600.csv"
    event = Event.objects.get(type="report.generated")
    assert event.data["report_id"] == report.pk and event.data["kind"] == "what_to_order"
    (mail,) = mailoutbox
    assert mail.to == ["buyer@example.com"]
    assert "https://alpha.localhost/api/v1/reports/" in mail.body

    listed = client.get("/api/v1/reports/").json()["results"]
    assert [row["id"] for row in listed] == [report.pk]
    download = client_for(HOST_A).get(listed[0]["download_url"])  # the link is the credential
    assert download.status_code == 200
    text = b"".join(download.streaming_content).decode()
    assert text.splitlines()[0].startswith("sku,product,location,status")
    assert "'=HYPERLINK" in text  # formula cells are escaped


def test_xlsx_and_run_now(planner):
    _urgent_item()
    schedule = reports.report_schedule_save(
        schedule=_schedule(kind="stockout_risks", format="xlsx", frequency="weekly")
    )
    response = client_for(HOST_A, planner).post(f"/api/v1/report-schedules/{schedule.pk}/run/")
    assert response.status_code == 201
    report = Report.objects.get(pk=response.json()["id"])
    with report.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    rows = list(sheet.values)
    assert rows[0][0] == "sku" and rows[1][8] == 0.4


@pytest.mark.parametrize("kind", [k for k, _ in ReportSchedule.Kind.choices])
def test_every_kind_renders(kind):
    columns, rows = reports.BUILDERS[kind]()
    assert columns and isinstance(rows, list)
    assert reports.render(columns, rows, "csv").startswith(columns[0].encode())


def test_an_expired_or_foreign_link_is_refused(planner, tenant_b, monkeypatch, settings):
    schedule = reports.report_schedule_save(schedule=_schedule())
    report = reports.report_generate(schedule=schedule)
    path = reports.download_path(report)
    anon = client_for(HOST_A)
    assert anon.get(path).status_code == 200
    # The clock moves past the link's lifetime (no sleeping).
    later = time.time() + settings.REPORT_LINK_SECONDS + 5
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert_error(anon.get(path), 403, "link_refused")
    monkeypatch.undo()
    assert_error(anon.get(path.replace("token=", "token=x")), 403, "link_refused")
    other = Report.objects.create(
        kind="what_to_order", format="csv", file_name="x.csv", created_at=MONDAY
    )
    assert_error(anon.get(path.replace(f"/{report.pk}/", f"/{other.pk}/")), 403)
    # Alpha's link on beta's host opens nothing, and beta lists none of alpha's reports.
    assert_error(client_for(HOST_B).get(path), 403, "link_refused")
    with schema_context(tenant_b.schema_name):
        beta_user = make_user(User.Role.PLANNER)
    assert client_for(HOST_B, beta_user).get("/api/v1/reports/").json()["count"] == 0


def test_bad_input_and_viewers(viewer, planner):
    client = client_for(HOST_A, planner)
    for bad in (
        {"hour": 24},
        {"day_of_month": 31},
        {"recipients": ["not-an-address"]},
        {"kind": "everything"},
    ):
        body = {"name": "x", "kind": "what_to_order", "frequency": "daily"} | bad
        assert_error(client.post("/api/v1/report-schedules/", body, format="json"), 400)
    assert not ReportSchedule.objects.exists()
    refused = client_for(HOST_A, viewer).post(
        "/api/v1/report-schedules/",
        {"name": "x", "kind": "what_to_order", "frequency": "daily"},
        format="json",
    )
    assert refused.status_code == 403


def test_retention_removes_old_files():
    report = reports.report_generate(schedule=reports.report_schedule_save(schedule=_schedule()))
    storage, name = report.file.storage, report.file.name
    assert storage.exists(name)
    assert reports.reports_prune(now=report.created_at + timedelta(days=30)) == 0
    assert reports.reports_prune(now=report.created_at + timedelta(days=400)) == 1
    assert not Report.objects.exists() and not storage.exists(name)
