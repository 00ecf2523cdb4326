"""The route-plan page: draws the tenant's own plan on a Leaflet map, lists the stops in
sequence, serves a printable driver sheet per vehicle, 404s for another tenant's id, needs a
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
        assert len(drawing["stops"]) == 6
        assert all(" arrives " in stop["label"] for stop in drawing["stops"])
        assert [u["label"].split(" ·")[0] for u in drawing["unserved"]] == ["RT-DAWN"]
        assert [d["label"] for d in drawing["depots"]] == ["Depot RT-DEPOT"]
        assert all(-90 <= s["at"][0] <= 90 and -180 <= s["at"][1] <= 180 for s in drawing["stops"])
        assert len({p["color"] for p in drawing["paths"]}) == len(drawing["paths"])
        # The base map: Leaflet from static/vendor, no tile URL by default (plain background).
        assert "vendor/leaflet/leaflet.js" in body and 'id="route-map" class="plain"' in body
        assert '"url": ""' in body
        # Stops in sequence with arrival times, and a driver sheet per vehicle.
        with schema_context(tenant_a.schema_name):
            route = plan.routes.select_related("vehicle").prefetch_related("stops").first()
            first = route.stops.order_by("sequence").first()
        sheet_url = f"/app/route-plans/{plan.pk}/driver-sheet/{route.vehicle.code}/"
        assert sheet_url in body and f"{first.arrival:%H:%M}" in body
        sheet = client.get(sheet_url)
        assert sheet.status_code == 200
        text = sheet.content.decode()
        assert "@media print" in text and first.order.reference in text
        assert f"Driver sheet · {route.vehicle.code}" in text
        assert client.get(f"/app/route-plans/{plan.pk}/driver-sheet/NO-SUCH/").status_code == 404
        assert _page(client, plan.pk + 1000).status_code == 404

        other = Client(HTTP_HOST=HOST_B)
        with schema_context(tenant_b.schema_name):
            other.force_login(intruder)
        assert _page(other, plan.pk).status_code == 404
        assert other.get(sheet_url).status_code == 404
    finally:
        with schema_context(tenant_a.schema_name):
            _cleanup()
        delete_users(tenant_a, viewer)
        delete_users(tenant_b, intruder)


@pytest.mark.django_db
def test_tile_url_comes_from_settings(tenant_a, settings):
    settings.MAP_TILE_URL = "https://tiles.example.test/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Example"
    with schema_context(tenant_a.schema_name):
        viewer = make_user(User.Role.VIEWER)
        plan = RoutePlan.objects.create(date=DAY, status="succeeded")
    try:
        client = Client(HTTP_HOST=HOST_A)
        with schema_context(tenant_a.schema_name):
            client.force_login(viewer)
        response = _page(client, plan.pk)
        body = response.content.decode()
        tiles = re.search(r'id="route-plan-tiles" type="application/json">(.*?)</script>', body)
        assert json.loads(tiles.group(1)) == {
            "url": "https://tiles.example.test/{z}/{x}/{y}.png",
            "attribution": "© Example",
        }
        assert "No routes in this plan." in body  # an empty plan: a message, no map
    finally:
        with schema_context(tenant_a.schema_name):
            plan.delete()
        delete_users(tenant_a, viewer)
