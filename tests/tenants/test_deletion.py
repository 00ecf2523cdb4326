"""Tenant deletion with a grace period: deactivated at once, restorable for the grace period,
then the schema dropped by the beat task with an entry in the platform audit log."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from accounts.models import User
from core.exceptions import Conflict
from tenants import services
from tenants.models import PlatformAuditEntry, Tenant
from tenants.tasks import purge_deleted_tenants
from tests.conftest import PASSWORD, PUBLIC_HOST, assert_error, client_for

# Dropping a schema cannot happen inside a test's transaction: these tests commit (live_db) and
# clean up what they create.


@pytest.fixture
def doomed(django_db_setup, live_db):
    slug = f"gone{uuid.uuid4().hex[:6]}"
    result = services.tenant_provision(slug=slug, name="Doomed Ltd", admin_email=f"a@{slug}.test")
    yield result.tenant
    with schema_context("public"):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is not None:
            tenant.delete(force_drop=True)
    connection.set_schema_to_public()


@pytest.fixture
def staff(django_db_setup, live_db):
    with schema_context("public"):
        user = User.objects.create_superuser(
            f"del-staff-{uuid.uuid4().hex[:6]}@platform.example", None, PASSWORD
        )
    yield user
    with schema_context("public"):
        PlatformAuditEntry.objects.filter(actor_label=user.username).delete()
        # Deleting would cascade into tenant-only tables; a unique, inactive user stays.
        User.objects.filter(pk=user.pk).update(is_active=False)


def _entries(slug):
    with schema_context("public"):
        return list(
            PlatformAuditEntry.objects.filter(tenant_slug=slug)
            .order_by("created_at", "id")
            .values_list("action", flat=True)
        )


def test_deletion_deactivates_at_once_and_restore_brings_it_back(doomed, staff):
    client = client_for(PUBLIC_HOST, staff)
    response = client.post(f"/api/v1/tenants/{doomed.slug}/request-deletion/")
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    assert response.json()["deletion_requested_at"]
    host = f"{doomed.slug}.localhost"
    assert client_for(host).get("/api/v1/me").status_code == 403  # its hosts stop serving
    restored = client.post(f"/api/v1/tenants/{doomed.slug}/restore/")
    assert restored.status_code == 200 and restored.json()["is_active"] is True
    assert restored.json()["deletion_requested_at"] is None
    assert _entries(doomed.slug) == ["deletion_requested", "restored"]
    assert_error(client.post(f"/api/v1/tenants/{doomed.slug}/restore/"), 409)


def test_beat_purges_after_the_grace_period_only(doomed, settings):
    services.tenant_deletion_request(slug=doomed.slug)
    assert services.tenants_purge_due() == []  # within the grace period
    with schema_context("public"):
        assert schema_exists(doomed.schema_name)
        later = timezone.now() + timedelta(days=settings.TENANT_DELETION_GRACE_DAYS, minutes=1)
    assert services.tenants_purge_due(now=later) == [doomed.slug]
    with schema_context("public"):
        assert not Tenant.objects.filter(slug=doomed.slug).exists()
        assert not schema_exists(doomed.schema_name)
        purged = PlatformAuditEntry.objects.get(tenant_slug=doomed.slug, action="purged")
        assert purged.schema_name == doomed.schema_name and purged.details["requested_at"]
    with pytest.raises(Exception):  # noqa: B017  (nothing left to restore)
        services.tenant_restore(slug=doomed.slug)


def test_the_beat_task_runs_the_purge(doomed):
    services.tenant_deletion_request(slug=doomed.slug)
    with schema_context("public"):
        Tenant.objects.filter(slug=doomed.slug).update(
            deletion_requested_at=timezone.now() - timedelta(days=400)
        )
    assert purge_deleted_tenants.apply().get() == [doomed.slug]


def test_other_tenants_are_untouched(doomed, tenant_a):
    connection.set_schema_to_public()
    services.tenant_deletion_request(slug=doomed.slug)
    with schema_context("public"):
        Tenant.objects.filter(slug=doomed.slug).update(
            deletion_requested_at=timezone.now() - timedelta(days=400)
        )
    services.tenants_purge_due()
    with schema_context("public"):
        assert Tenant.objects.get(slug="alpha").is_active
        assert schema_exists(tenant_a.schema_name)


def test_restore_refuses_a_tenant_not_scheduled(doomed):
    with pytest.raises(Conflict):
        services.tenant_restore(slug=doomed.slug)
