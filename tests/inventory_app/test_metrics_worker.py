"""``POST /inventory/calculate`` end to end: a real worker runs the refresh job."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import DemandHistory, Location, Product
from core.models import AuditLog
from inventory.models import InventoryMetrics
from tests.conftest import HOST_A, client_for, delete_users, make_user, wait_for_job


def test_calculate_runs_on_the_worker(live_worker, live_db, tenant_a):
    with schema_context(tenant_a.schema_name):
        user = make_user(User.Role.PLANNER)
        location = Location.objects.create(code="WK", name="worker")
        product = Product.objects.create(sku="WK1", name="worker")
        today = timezone.localdate()
        DemandHistory.objects.bulk_create(
            DemandHistory(
                product=product, location=location, date=today - timedelta(days=d), quantity=5
            )
            for d in range(30)
        )
    try:
        client = client_for(HOST_A, user)
        response = client.post("/api/v1/inventory/calculate")
        assert response.status_code == 202, response.content
        job = wait_for_job(client, response["Location"])
        assert job["status"] == "succeeded", job
        assert job["result"]["rows"] == 1 and job["result"]["by_status"] == {"critical": 1}
        rows = client.get("/api/v1/inventory/metrics/?sku=WK1").json()["results"]
        assert [row["status"] for row in rows] == ["critical"]
        # 30 days of 5 a day after 60 quiet days of the 90-day look-back: a launch, its level
        # that of its sales (5 a day), not 150 / 90 (ADR 44, launches).
        assert rows[0]["mean_daily_demand"] == 5.0
    finally:
        with schema_context(tenant_a.schema_name):
            InventoryMetrics.objects.all().delete()
            DemandHistory.objects.filter(product=product).delete()
            AuditLog.objects.filter(
                object_type__in=("catalog.product", "catalog.location"),
                object_id__in=(str(product.pk), str(location.pk)),
            ).delete()
            product.delete()
            location.delete()
        delete_users(tenant_a, user)
