"""The route-plan page: draws the tenant's own plan, 404s for another tenant's id, needs a
login."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from routing import services
from routing.models import DeliveryOrder, RoutePlan
from tests.conftest import HOST_A, HOST_B, delete_users, make_user
from tests.routing_app.test_route_plans import DAY, _cleanup, _fleet_and_orders


def _page(client: Client, plan_id: int):
    return client.get(f"/app/route-plans/{plan_id}/")


def _drawing(response) -> dict:
    match = re.search(
        r'<script id="route-plan-drawing" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1))


@pytest.mark.django_db
def test_page_draws_the_plan_and_other_tenants_get_404(tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        viewer = make_user(User.Role.VIEWER)
        _fleet_and_orders()
        DeliveryOrder.objects.create(
            reference="RT-DAWN", date=DAY, latitude=48.86, longitude=2.35, demand=1,
            window_start="05:00", window_end="06:00",
        )  # fmt: skip
        plan = services.route_plan_start(date=DAY, time_limit_seconds=0.3, enqueue=False)
        plan = services.route_plan_solve(plan_id=plan.pk)
    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.ADMIN)
        assert not RoutePlan.objects.filter(pk=plan.pk).exists()
    try:
        client = Client(HTTP_HOST=HOST_A)
        login = _page(client, plan.pk)
        assert login.status_code == 302 and "/app/login/" in login["Location"]

        with schema_context(tenant_a.schema_name):  # sessions live in the tenant's schema
            client.force_login(viewer)
        response = _page(client, plan.pk)
        assert response.status_code == 200
        body = response.content.decode()
        assert "VAN-1" in body and "RT-DAWN" in body and "window_unreachable" in body
        drawing = _drawing(response)
        assert len(drawing["paths"]) == plan.statistics["vehicles_used"]
        labels = [p.get("label", "") for p in drawing["points"]]
        assert sum(label.startswith("RT-") and "unserved" not in label for label in labels) == 6
        assert any("unserved" in label for label in labels)
        assert any(label == "Depot RT-DEPOT" for label in labels)
        assert len({p["color"] for p in drawing["paths"]}) == len(drawing["paths"])
        assert _page(client, plan.pk + 1000).status_code == 404

        other = Client(HTTP_HOST=HOST_B)
        with schema_context(tenant_b.schema_name):
            other.force_login(intruder)
        assert _page(other, plan.pk).status_code == 404
    finally:
        with schema_context(tenant_a.schema_name):
            _cleanup()
        delete_users(tenant_a, viewer)
        delete_users(tenant_b, intruder)
