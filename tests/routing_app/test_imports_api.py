"""A delivery-orders file through the imports API: 202, a real worker imports it into the
caller's tenant only."""

from __future__ import annotations

import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from accounts.models import User
from routing.models import DeliveryOrder
from tests.conftest import HOST_A, client_for, delete_users, make_user
from tests.routing_app.test_imports import ORDERS


def test_upload_through_the_imports_api_lands_in_the_callers_tenant(
    live_worker, live_db, tenant_a, tenant_b
):
    with schema_context(tenant_a.schema_name):
        user = make_user(User.Role.PLANNER)
    try:
        client = client_for(HOST_A, user)
        upload = SimpleUploadedFile("orders.csv", ORDERS.encode())
        response = client.post(
            "/api/v1/imports/", {"kind": "delivery-orders", "file": upload}, format="multipart"
        )
        assert response.status_code == 202, response.content
        deadline = time.monotonic() + 30
        while (batch := client.get(response["Location"]).json())["status"] == "pending":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert (batch["status"], batch["inserted"]) == ("imported", 2), batch
        with schema_context(tenant_a.schema_name):
            assert DeliveryOrder.objects.filter(reference__startswith="IO-").count() == 2
        with schema_context(tenant_b.schema_name):
            assert not DeliveryOrder.objects.filter(reference__startswith="IO-").exists()
    finally:
        with schema_context(tenant_a.schema_name):
            DeliveryOrder.objects.filter(reference__startswith="IO-").delete()
        delete_users(tenant_a, user)
