"""Scheduled reports: what each kind contains, when a schedule is next due (in the tenant's
time zone), generating the due ones (a kept file, a ``report.generated`` event, mail with a
signed link), the signed expiring download links and retention. See
docs/adr/0033-audit-notifications-reports.md."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from core import quotas
from core.events import emit_event
from core.exceptions import ValidationFailed
from core.exports import csv_stream, safe_cell
from core.logging import get_logger
from forecasting.models import BacktestScore, ForecastRun
from integrations.models import Report, ReportSchedule
from inventory.models import InventoryMetrics, SimulationItemResult, SimulationRun
from purchasing.models import PurchaseOrderLine

log = get_logger("reports")
Kind = ReportSchedule.Kind
SIGNING_SALT = "integrations.reports.download"
Table = tuple[list[str], list[tuple[Any, ...]]]


# --- What each report holds (one query each) ---------------------------------------------------


def _schema() -> str:
    """The active tenant schema (django-tenants adds it to the connection; no stubs)."""
    return str(getattr(connection, "schema_name", ""))


def _metrics_rows(queryset: QuerySet[Any], order: tuple[str, ...]) -> list[tuple[Any, ...]]:
    return list(
        queryset.order_by(*order).values_list(
            "product__sku",
            "product__name",
            "location__code",
            "status",
            "on_hand",
            "safety_stock",
            "reorder_point",
            "days_of_cover",
            "stockout_risk",
            "recommended_order_qty",
            "latest_order_date",
        )
    )


METRICS_COLUMNS = [
    "sku",
    "product",
    "location",
    "status",
    "on_hand",
    "safety_stock",
    "reorder_point",
    "days_of_cover",
    "stockout_risk",
    "recommended_order_qty",
    "latest_order_date",
]


def inventory_status() -> Table:
    return METRICS_COLUMNS, _metrics_rows(
        InventoryMetrics.objects.all(), ("product__sku", "location__code")
    )


def what_to_order() -> Table:
    urgent = InventoryMetrics.objects.filter(
        status__in=(InventoryMetrics.Status.CRITICAL, InventoryMetrics.Status.REORDER_NOW)
    )
    return METRICS_COLUMNS, _metrics_rows(urgent, ("latest_order_date", "product__sku"))


def stockout_risks() -> Table:
    """Items with a stockout risk of 5 % or more, the riskiest first (risk is 0–1)."""
    risky = InventoryMetrics.objects.filter(stockout_risk__gte=0.05)
    return METRICS_COLUMNS, _metrics_rows(risky, ("-stockout_risk", "product__sku"))


def forecast_accuracy() -> Table:
    """Per method, averaged over the series of the latest successful run's backtest."""
    run = (
        ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED)
        .order_by("-created_at", "-id")
        .first()
    )
    columns = ["run", "method", "series", "wins", "mean_wape", "mean_mase", "mean_bias"]
    if run is None:
        return columns, []
    rows = (
        BacktestScore.objects.filter(run=run)
        .values("method")
        .annotate(
            series=Count("id"),
            wins=Count("id", filter=Q(rank=1)),
            mean_wape=Avg("wape"),
            mean_mase=Avg("mase"),
            mean_bias=Avg("bias"),
        )
        .order_by("mean_wape")
    )
    return columns, [
        (
            run.pk,
            r["method"],
            r["series"],
            r["wins"],
            r["mean_wape"],
            r["mean_mase"],
            r["mean_bias"],
        )
        for r in rows
    ]


def simulation_results() -> Table:
    run = (
        SimulationRun.objects.filter(status=SimulationRun.Status.SUCCEEDED)
        .order_by("-created_at", "-id")
        .first()
    )
    columns = [
        "run",
        "sku",
        "location",
        "abc_class",
        "service_level_target",
        "policy_fill_rate",
        "baseline_fill_rate",
        "policy_stockout_days",
        "baseline_stockout_days",
        "policy_average_inventory_value",
    ]
    if run is None:
        return columns, []
    rows = (
        SimulationItemResult.objects.filter(run=run)
        .order_by("product__sku", "location__code")
        .values_list(
            "product__sku",
            "location__code",
            "abc_class",
            "service_level_target",
            "policy_fill_rate",
            "baseline_fill_rate",
            "policy_stockout_days",
            "baseline_stockout_days",
            "policy_average_inventory_value",
        )
    )
    return columns, [(run.pk, *row) for row in rows]


OPEN_ORDER_STATUSES = ("draft", "approved", "sent", "partially_received")


def open_purchase_orders() -> Table:
    columns = [
        "reference",
        "status",
        "supplier",
        "location",
        "sku",
        "quantity",
        "received_quantity",
        "unit_price",
        "currency",
        "expected_date",
    ]
    rows = (
        PurchaseOrderLine.objects.filter(order__status__in=OPEN_ORDER_STATUSES)
        .order_by("order__reference", "product__sku")
        .values_list(
            "order__reference",
            "order__status",
            "order__supplier__code",
            "order__location__code",
            "product__sku",
            "quantity",
            "received_quantity",
            "unit_price",
            "order__currency",
            "expected_date",
        )
    )
    return columns, list(rows)


BUILDERS: dict[str, Callable[[], Table]] = {
    Kind.INVENTORY_STATUS: inventory_status,
    Kind.WHAT_TO_ORDER: what_to_order,
    Kind.STOCKOUT_RISKS: stockout_risks,
    Kind.FORECAST_ACCURACY: forecast_accuracy,
    Kind.SIMULATION_RESULTS: simulation_results,
    Kind.OPEN_PURCHASE_ORDERS: open_purchase_orders,
}


def render(columns: list[str], rows: Iterable[tuple[Any, ...]], file_format: str) -> bytes:
    """CSV (UTF-8) or XLSX bytes; text cells that a spreadsheet would run are escaped."""
    if file_format == "csv":
        return b"".join(csv_stream(columns, rows))
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("report")
    sheet.append(columns)
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- When ---------------------------------------------------------------------------------------


def tenant_zone() -> ZoneInfo:
    name = getattr(getattr(connection, "tenant", None), "time_zone", "") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_run(schedule: ReportSchedule, *, after: datetime, zone: ZoneInfo) -> datetime:
    """The first run time strictly after ``after``: ``hour``:00 local on the schedule's day
    (every day, its weekday, or its day of the month), as an aware UTC datetime."""
    local = after.astimezone(zone)
    day = local.date()
    for _ in range(400):
        if (
            schedule.frequency == ReportSchedule.Frequency.DAILY
            or (
                schedule.frequency == ReportSchedule.Frequency.WEEKLY
                and day.weekday() == schedule.weekday
            )
            or (
                schedule.frequency == ReportSchedule.Frequency.MONTHLY
                and day.day == schedule.day_of_month
            )
        ):
            candidate = datetime(day.year, day.month, day.day, schedule.hour, tzinfo=zone)
            if candidate > local:
                return candidate.astimezone(ZoneInfo("UTC"))
        day += timedelta(days=1)
    raise ValueError("no run within 400 days")  # unreachable for valid schedules


# --- Writes -------------------------------------------------------------------------------------


def _check(schedule: ReportSchedule) -> None:
    errors = {}
    if not 0 <= schedule.hour <= 23:
        errors["hour"] = "0 to 23 (the tenant's local time)."
    if not 0 <= schedule.weekday <= 6:
        errors["weekday"] = "0 (Monday) to 6 (Sunday)."
    if not 1 <= schedule.day_of_month <= 28:
        errors["day_of_month"] = "1 to 28 (a day every month has)."
    if not isinstance(schedule.recipients, list) or not all(
        isinstance(r, str) and "@" in r for r in schedule.recipients
    ):
        errors["recipients"] = "A list of e-mail addresses."
    if errors:
        raise ValidationFailed("Invalid schedule.", details=errors)


def report_schedule_save(
    *, schedule: ReportSchedule, now: datetime | None = None
) -> ReportSchedule:
    """Validate and save; the next run is computed from now in the tenant's time zone."""
    _check(schedule)
    schedule.next_run_at = (
        next_run(schedule, after=now or timezone.now(), zone=tenant_zone())
        if schedule.is_active
        else None
    )
    schedule.save()
    return schedule


def report_generate(*, schedule: ReportSchedule, now: datetime | None = None) -> Report:
    """Build one report now, keep its file and announce it (``report.generated``, which
    webhooks and notifications pick up); mail recipients after commit."""
    now = now or timezone.now()
    columns, rows = BUILDERS[schedule.kind]()
    content = render(columns, rows, schedule.format)
    local = now.astimezone(tenant_zone())
    file_name = f"{schedule.kind.replace('_', '-')}-{local:%Y-%m-%d-%H%M}.{schedule.format}"
    quotas.storage_enforce(adding_bytes=len(content))  # 403 over the plan's storage
    with transaction.atomic():
        report = Report(
            schedule=schedule,
            kind=schedule.kind,
            format=schedule.format,
            file_name=file_name,
            size=len(content),
            rows=len(rows),
            created_at=now,
        )
        report.file.save(f"{uuid.uuid4().hex}-{file_name}", ContentFile(content), save=False)
        report.save()
        emit_event(
            "report.generated",
            {
                "report_id": report.pk,
                "schedule_id": schedule.pk,
                "kind": schedule.kind,
                "format": schedule.format,
                "rows": report.rows,
            },
        )
        if schedule.recipients:
            report_id, to = report.pk, list(schedule.recipients)
            transaction.on_commit(lambda: _mail(report_id=report_id, to=to))
    return report


def reports_generate_due(*, now: datetime | None = None) -> int:
    """Generate every active schedule due by ``now`` (beat's dispatcher, every few minutes)
    and move each to its next run; concurrent dispatchers skip each other's schedules.
    Returns how many reports were made."""
    now = now or timezone.now()
    zone = tenant_zone()
    made = 0
    while True:
        with transaction.atomic():
            schedule = (
                ReportSchedule.objects.select_for_update(skip_locked=True)
                .filter(is_active=True, next_run_at__lte=now)
                .order_by("next_run_at", "id")
                .first()
            )
            if schedule is None:
                return made
            try:
                report_generate(schedule=schedule, now=now)
            except quotas.QuotaExceeded as exc:
                # Over the plan's storage: this one is skipped (not retried every 5 minutes).
                log.warning("report_skipped_quota", schedule=schedule.pk, details=exc.details)
                made -= 1
            schedule.last_run_at = now
            # A dispatcher that was down does not make every missed report: the next one.
            schedule.next_run_at = next_run(schedule, after=now, zone=zone)
            schedule.save(update_fields=["last_run_at", "next_run_at", "updated_at"])
            made += 1


def reports_prune(*, older_than_days: int | None = None, now: datetime | None = None) -> int:
    """Delete reports (rows and files) older than ``REPORT_RETENTION_DAYS``."""
    days = older_than_days or settings.REPORT_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = list(Report.objects.filter(created_at__lt=cutoff))
    for report in old:
        report.file.delete(save=False)
    Report.objects.filter(pk__in=[r.pk for r in old]).delete()
    return len(old)


# --- Signed links ---------------------------------------------------------------------------


def download_token(report: Report) -> str:
    """A token naming this tenant and report, valid ``REPORT_LINK_SECONDS`` (signed with the
    secret key; checked by ``download_check``)."""
    return signing.dumps({"s": _schema(), "r": report.pk}, salt=SIGNING_SALT)


def download_path(report: Report) -> str:
    return f"/api/v1/reports/{report.pk}/download/?token={download_token(report)}"


def download_check(*, report_id: Any, token: str) -> Report | None:
    """The report a token opens, or None: a bad or expired token, another tenant's or
    another report's token all open nothing."""
    try:
        claim = signing.loads(token, salt=SIGNING_SALT, max_age=settings.REPORT_LINK_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if claim.get("s") != _schema() or str(claim.get("r")) != str(report_id):
        return None
    return Report.objects.filter(pk=claim["r"]).first()


def _link(report: Report) -> str:
    tenant = getattr(connection, "tenant", None)
    domain = tenant.get_primary_domain() if tenant is not None else None
    host = domain.domain if domain is not None else "localhost"
    return f"{settings.REPORT_LINK_SCHEME}://{host}{download_path(report)}"


def _mail(*, report_id: int, to: list[str]) -> None:
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        return
    hours = settings.REPORT_LINK_SECONDS // 3600
    message = EmailMessage(
        subject=f"Report: {report.get_kind_display()} ({report.rows} rows)",
        body=(
            f"Your scheduled report {report.file_name} is ready.\n"
            f"Download it within {hours} h: {_link(report)}"
        ),
        to=to,
    )
    message.send()
