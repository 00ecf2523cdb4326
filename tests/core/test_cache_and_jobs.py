"""The versioned per-tenant cache and the job lifecycle services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core import services
from core.cache import bump_namespace, cached, entry_key, namespace_version
from core.exceptions import ValidationFailed
from core.jobs import task_for_kind
from core.models import AuditLog, Job

pytestmark = pytest.mark.django_db


def test_cached_computes_once_and_bump_invalidates():
    calls = []

    def compute():
        calls.append(1)
        return {"value": len(calls)}

    bump_namespace("forecasts")
    first = cached("forecasts", "sku-1", 28, compute=compute)
    second = cached("forecasts", "sku-1", 28, compute=compute)
    assert first == second == {"value": 1}
    other_key = cached("forecasts", "sku-2", 28, compute=compute)
    assert other_key == {"value": 2}
    version = namespace_version("forecasts")
    assert bump_namespace("forecasts") == version + 1
    assert cached("forecasts", "sku-1", 28, compute=compute) == {"value": 3}
    assert entry_key("forecasts", "a") != entry_key("inventory", "a")


def test_cached_stores_falsy_values():
    bump_namespace("inventory")
    calls = []
    for _ in range(2):
        cached("inventory", "empty", compute=lambda: calls.append(1) or None)
    assert len(calls) == 1


def test_a_value_computed_across_a_bump_is_not_served_after_it():
    bump_namespace("inventory")
    calls = []

    def compute():
        calls.append(1)
        if len(calls) == 1:
            bump_namespace("inventory")  # the data changed while the first reader computed
        return len(calls)

    assert cached("inventory", "race", compute=compute) == 1
    assert cached("inventory", "race", compute=compute) == 2  # the first value is stale
    assert cached("inventory", "race", compute=compute) == 2


def test_a_cached_read_is_one_round_trip(monkeypatch):
    from django.core.cache import cache

    cached("inventory", "trips", compute=lambda: {"a": 1})
    client = cache.client.get_client(write=False)
    commands: list[str] = []
    real = client.execute_command

    def counting(*args, **options):
        commands.append(str(args[0]))
        return real(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    assert cached("inventory", "trips", compute=lambda: {"a": 2}) == {"a": 1}
    assert commands == ["MGET"]


def test_entries_of_an_earlier_release_are_misses():
    from django.core.cache import cache

    bump_namespace("inventory")
    cache.set(entry_key("inventory", "old"), {"format": "earlier"}, 60)  # no version stored
    assert cached("inventory", "old", compute=lambda: {"format": "now"}) == {"format": "now"}
    assert cached("inventory", "old", compute=lambda: {"format": "later"}) == {"format": "now"}


def test_job_lifecycle(planner):
    job = services.job_create(kind="demo", params={"steps": 2}, user=planner)
    assert job.status == Job.Status.QUEUED
    started = services.job_start(job_id=str(job.id))
    assert started.status == Job.Status.RUNNING and started.attempts == 1
    services.job_succeed(job_id=str(job.id), result={"ok": True})
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.progress == 100
    assert job.duration_seconds is not None and job.duration_seconds >= 0
    # A redelivered message for a finished job does nothing.
    assert services.job_start(job_id=str(job.id)) is None


def test_job_task_records_failures_and_retries_transient_errors(planner, monkeypatch):
    from django.db import OperationalError

    from core import jobs

    outcomes = iter([OperationalError("db went away"), ValueError("bad data")])

    @jobs.job_task("test-flaky", max_retries=3)
    def flaky(job, progress):
        raise next(outcomes)

    job = Job.objects.create(kind="test-flaky")
    retried = flaky.apply(args=[str(job.id)])  # eager: the retry runs at once, then fails
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.attempts == 2
    assert "ValueError: bad data" in job.error
    assert retried.successful()


def test_domain_errors_fail_the_job_with_their_message():
    from core import jobs

    @jobs.job_task("test-domain")
    def refuses(job, progress):
        raise ValidationFailed("Horizon must be positive.")

    job = Job.objects.create(kind="test-domain")
    refuses.apply(args=[str(job.id)])
    job.refresh_from_db()
    assert (job.status, job.error) == (Job.Status.FAILED, "Horizon must be positive.")


def test_unknown_job_kind_is_a_validation_error():
    with pytest.raises(ValidationFailed):
        task_for_kind("no-such-kind")


def test_stale_jobs_are_reaped_and_old_audit_pruned():
    stale = Job.objects.create(kind="demo", status=Job.Status.RUNNING)
    Job.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=2))
    fresh = Job.objects.create(kind="demo")
    assert services.jobs_reap_stale() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == Job.Status.FAILED and fresh.status == Job.Status.QUEUED

    old = AuditLog.objects.create(action="create", object_type="x")
    AuditLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    AuditLog.objects.create(action="create", object_type="y")
    assert services.audit_prune() == 1
    assert list(AuditLog.objects.values_list("object_type", flat=True)) == ["y"]


def test_scheduled_tasks_run_in_the_tenant():
    from core.tasks import prune_audit_log, reap_stale_jobs

    assert reap_stale_jobs.apply().get() == 0
    assert prune_audit_log.apply().get() == 0


def test_tenant_commands_need_a_schema():
    with pytest.raises(CommandError):
        call_command("seed_demo", "--schema", "no_such_schema")
    with pytest.raises(CommandError):
        call_command("seed_demo", "--schema", "public")


@pytest.mark.django_db
def test_tenant_commands_take_the_schema_name_or_the_slug(tenant_a, capsys):
    from catalog.models import Product

    Product.objects.create(sku="BY-SLUG", name="by slug")
    assert tenant_a.schema_name != tenant_a.slug
    for name in (tenant_a.schema_name, tenant_a.slug):
        call_command("export_data", "products", "--schema", name, "--format", "csv")
        assert "BY-SLUG" in capsys.readouterr().out
    with pytest.raises(CommandError, match="schema or slug"):
        call_command("export_data", "products", "--schema", "nobody", "--format", "csv")
