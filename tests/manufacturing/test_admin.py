"""The back office: BOM pages with inlines and cost, cycle refused in the inline, working-order
actions through the services."""

from __future__ import annotations

import pytest
from django.test import Client

from manufacturing.models import WorkingOrder
from manufacturing.services import working_order_create
from tests.conftest import HOST_A
from tests.manufacturing.helpers import TODAY, two_level_plant

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(tenant_admin):
    tenant_admin.is_staff = tenant_admin.is_superuser = True
    tenant_admin.save()
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(tenant_admin)
    return client


def test_bom_admin_lists_cost_and_refuses_a_cycle_inline(staff):
    plant = two_level_plant()
    assert staff.get("/admin/manufacturing/billofmaterials/").status_code == 200
    sub_bom = plant["sub"].boms.get()
    page = staff.get(f"/admin/manufacturing/billofmaterials/{sub_bom.pk}/change/")
    assert page.status_code == 200
    line = sub_bom.lines.get()
    response = staff.post(
        f"/admin/manufacturing/billofmaterials/{sub_bom.pk}/change/",
        {
            "product": plant["sub"].pk,
            "version": 1,
            "is_active": "on",
            "lines-TOTAL_FORMS": 2,
            "lines-INITIAL_FORMS": 1,
            "lines-0-id": line.pk,
            "lines-0-bom": sub_bom.pk,
            "lines-0-component": plant["raw"].pk,
            "lines-0-quantity": "3",
            "lines-0-scrap_pct": "0",
            "lines-0-factor": "1",
            "lines-1-bom": sub_bom.pk,
            "lines-1-component": plant["fg"].pk,
            "lines-1-quantity": "1",
            "lines-1-scrap_pct": "0",
            "lines-1-factor": "1",
            "operations-TOTAL_FORMS": 0,
            "operations-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "FG → SUB → FG" in response.content.decode()
    assert sub_bom.lines.count() == 1


def test_working_order_admin_actions_call_the_services(staff):
    plant = two_level_plant()
    order = working_order_create(
        product=plant["sub"], location_id=plant["plant"].pk, quantity=1, due_date=TODAY
    )
    staff.post(
        "/admin/manufacturing/workingorder/",
        {"action": "working_order_cancel", "_selected_action": [order.pk]},
    )
    assert WorkingOrder.objects.get(pk=order.pk).status == "cancelled"
    staff.post(
        "/admin/manufacturing/workingorder/",
        {"action": "working_order_release", "_selected_action": [order.pk]},
    )
    assert WorkingOrder.objects.get(pk=order.pk).status == "cancelled"  # refused, reported
    for url in (
        "/admin/manufacturing/mrprun/",
        "/admin/manufacturing/plannedorder/",
        "/admin/manufacturing/workcentre/",
        "/admin/manufacturing/mrpexception/",
        "/admin/manufacturing/masterproductionschedule/",
    ):
        assert staff.get(url).status_code == 200, url
