"""Beat dispatchers fan a task out to every active tenant, each in its own schema."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django_tenants.utils import schema_context

from core.models import Job
from tenants.services import tenant_set_active
from tenants.tasks import fan_out


def test_beat_schedule_is_in_code_and_dispatches_through_fan_out():
    """Per-tenant work goes through fan_out; platform-wide entries (backups) run once."""
    assert settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if name in settings.PLATFORM_BEAT_SCHEDULE:
            assert entry == settings.PLATFORM_BEAT_SCHEDULE[name]
            continue
        assert entry["task"] == "tenants.tasks.fan_out"
        assert entry["kwargs"]["task_name"] in {
            item["task"] for item in settings.TENANT_BEAT_SCHEDULE.values()
        }


def test_fan_out_reaches_each_active_tenant_in_its_schema(live_worker, live_db, tenant_a, tenant_b):
    from datetime import timedelta

    from django.utils import timezone

    stale_ids = {}
    for tenant in (tenant_a, tenant_b):
        with schema_context(tenant.schema_name):
            job = Job.objects.create(kind="demo", status=Job.Status.RUNNING)
            Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=3))
            stale_ids[tenant.schema_name] = job.pk
    tenant_set_active(slug="beta", active=False)
    try:
        sent = fan_out.apply(
            kwargs={"task_name": "core.tasks.reap_stale_jobs", "jitter_seconds": 0}
        ).get()
        assert sent >= 1
        import time

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with schema_context("t_alpha"):
                if Job.objects.get(pk=stale_ids["t_alpha"]).status == Job.Status.FAILED:
                    break
            time.sleep(0.1)
        with schema_context("t_alpha"):
            assert Job.objects.get(pk=stale_ids["t_alpha"]).status == Job.Status.FAILED
        time.sleep(0.5)  # give a wrongly dispatched beta task time to show itself
        with schema_context("t_beta"):
            # Deactivated tenants get no scheduled work.
            assert Job.objects.get(pk=stale_ids["t_beta"]).status == Job.Status.RUNNING
    finally:
        tenant_set_active(slug="beta", active=True)
        for schema, pk in stale_ids.items():
            with schema_context(schema):
                Job.objects.filter(pk=pk).delete()


def test_run_demo_job_command_follows_progress(live_worker, live_db, tenant_a, capsys):
    call_command("run_demo_job", "--schema", tenant_a.schema_name, "--steps", "2")
    out = capsys.readouterr().out
    assert "status=succeeded" in out
    assert "'schema': 't_alpha'" in out
    with schema_context(tenant_a.schema_name):
        Job.objects.filter(kind="demo", created_by__isnull=True).delete()


@pytest.mark.django_db
def test_bootstrap_platform_is_idempotent(capsys):
    call_command("bootstrap_platform")
    call_command("bootstrap_platform")
    assert "Platform ready" in capsys.readouterr().out
