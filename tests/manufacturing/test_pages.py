"""The manufacturing pages render for a signed-in user of the tenant."""

from __future__ import annotations

import pytest
from django.test import Client

from manufacturing.models import Operation, WorkCentre
from manufacturing.planning import mrp_run_create, mrp_run_execute
from tests.conftest import HOST_A
from tests.manufacturing.helpers import TODAY, mps, two_level_plant

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(user)
    return client


def test_pages_show_the_tree_the_mrp_result_and_the_load(viewer):
    client = _client(viewer)
    assert "No successful MRP run" in client.get("/app/mrp/").content.decode()
    plant = two_level_plant()
    centre = WorkCentre.objects.create(code="ASM", name="Assembly")
    Operation.objects.create(
        bom=plant["fg"].boms.get(), sequence=1, work_centre=centre, run_minutes=5
    )
    row = mps(plant["fg"], plant["plant"], 10, "10")
    mrp_run_execute(run_id=mrp_run_create(source="mps", horizon_days=30).pk, today=TODAY)
    tree = client.get(f"/app/boms/{plant['fg'].pk}/").content.decode()
    assert "RAW2" in tree and "SUB" in tree and "RAW" in tree
    mrp = client.get("/app/mrp/").content.decode()
    assert f"mps:{row.pk}" in mrp and "no_supplier" in mrp
    load = client.get(f"/app/capacity/?from={TODAY}").content.decode()
    assert "ASM" in load and "capacity-data" in load
    assert client.get("/app/boms/999999/").status_code == 404
    assert Client(HTTP_HOST=HOST_A).get("/app/mrp/").status_code == 302
