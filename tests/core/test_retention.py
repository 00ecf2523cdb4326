"""Per-tenant retention: the daily prune deletes what is older than each setting, keeps the
rest and the tenant's current forecast, and touches no other tenant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.models import AuditLog, Event, Job, RetentionSettings
from core.retention import PRUNERS, retention_prune, retention_settings_get
from core.tasks import prune_retention
from forecasting.models import ForecastRun
from inventory.models import SimulationRun
from tests.factories import ForecastRunFactory

pytestmark = pytest.mark.django_db


def _age(queryset, days: int) -> None:
    queryset.update(created_at=timezone.now() - timedelta(days=days))


def _simulation(**extra) -> SimulationRun:
    return SimulationRun.objects.create(window_days=90, **extra)


def test_every_kind_has_a_pruner():
    assert set(PRUNERS) == {
        "audit_log_days",
        "events_days",
        "jobs_days",
        "forecast_runs_days",
        "simulations_days",
        "uploaded_files_days",
    }


def test_prune_follows_the_tenant_settings():
    limits = retention_settings_get()
    limits.audit_log_days = 30
    limits.jobs_days = 10
    limits.events_days = 5
    limits.simulations_days = 20
    limits.forecast_runs_days = 60
    limits.save()

    old_audit = AuditLog.objects.create(action="action", object_type="x", object_repr="old")
    new_audit = AuditLog.objects.create(action="action", object_type="x", object_repr="new")
    _age(AuditLog.objects.filter(pk=old_audit.pk), 31)
    _age(AuditLog.objects.filter(pk=new_audit.pk), 29)
    old_job = Job.objects.create(kind="demo", status=Job.Status.SUCCEEDED)
    running = Job.objects.create(kind="demo", status=Job.Status.RUNNING)
    _age(Job.objects.filter(pk__in=[old_job.pk, running.pk]), 11)
    event = Event.objects.create(type="import.completed", data={})
    _age(Event.objects.filter(pk=event.pk), 6)
    old_sim = _simulation(status="succeeded")
    _age(SimulationRun.objects.filter(pk=old_sim.pk), 21)
    from forecasting.services import forecast_settings_get

    forecast = forecast_settings_get()
    forecast.keep_runs = 1  # the newest successful run is kept whatever its age
    forecast.save()
    current, older, oldest = (ForecastRunFactory() for _ in range(3))
    ForecastRun.objects.filter(pk=current.pk).update(
        created_at=timezone.now() - timedelta(days=400),
        finished_at=timezone.now() - timedelta(days=1),
    )
    _age(ForecastRun.objects.filter(pk__in=[older.pk, oldest.pk]), 61)
    ForecastRun.objects.filter(pk__in=[older.pk, oldest.pk]).update(
        finished_at=timezone.now() - timedelta(days=61)
    )

    deleted = retention_prune()

    assert not AuditLog.objects.filter(pk=old_audit.pk).exists()
    assert AuditLog.objects.filter(pk=new_audit.pk).exists()
    assert not Job.objects.filter(pk=old_job.pk).exists()
    assert Job.objects.filter(pk=running.pk).exists()  # never an unfinished job
    assert not Event.objects.filter(pk=event.pk).exists()
    assert not SimulationRun.objects.filter(pk=old_sim.pk).exists()
    # The latest successful run stays however old it is: it is the current forecast.
    assert ForecastRun.objects.filter(pk=current.pk).exists()
    assert not ForecastRun.objects.filter(pk__in=[older.pk, oldest.pk]).exists()
    assert deleted["forecast_runs_days"] >= 2 and all(n >= 0 for n in deleted.values())


def test_a_longer_retention_keeps_more(tenant_b):
    limits = retention_settings_get()
    limits.audit_log_days = 1000
    limits.save()
    kept = AuditLog.objects.create(action="action", object_type="x", object_repr="kept")
    _age(AuditLog.objects.filter(pk=kept.pk), 400)  # past the platform default of 365
    prune_retention.apply()
    assert AuditLog.objects.filter(pk=kept.pk).exists()


def test_prune_is_per_tenant(tenant_b):
    limits = retention_settings_get()
    limits.audit_log_days = 1
    limits.save()
    with schema_context(tenant_b.schema_name):
        beta_entry = AuditLog.objects.create(action="action", object_type="x")
        _age(AuditLog.objects.filter(pk=beta_entry.pk), 100)
    retention_prune()
    with schema_context(tenant_b.schema_name):
        assert AuditLog.objects.filter(pk=beta_entry.pk).exists()
        assert RetentionSettings.objects.count() <= 1
