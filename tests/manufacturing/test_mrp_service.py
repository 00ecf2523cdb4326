"""MRP through the service, from the database to stored planned orders, on hand-computed
plants (the conventions of manufacturing.mrp.plan)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import InventoryMetrics
from manufacturing.models import MrpException, Peg, PlannedOrder, WorkingOrder
from manufacturing.planning import mrp_run_create, mrp_run_execute
from tests.manufacturing.helpers import TODAY, mps, receive, two_level_plant

pytestmark = pytest.mark.django_db


def _run(source="mps", horizon=30):
    run = mrp_run_create(source=source, horizon_days=horizon)
    return mrp_run_execute(run_id=run.pk, today=TODAY)


def _orders(run):
    return [
        (
            o.product.sku,
            o.get_kind_display(),
            round(o.quantity, 6),
            (o.release_date - TODAY).days,
            (o.due_date - TODAY).days,
        )
        for o in PlannedOrder.objects.filter(run=run)
        .select_related("product")
        .order_by("product__sku", "due_date")
    ]


def test_two_levels_with_on_hand_moq_pack_and_scrap():
    plant = two_level_plant()
    mps(plant["fg"], plant["plant"], 10, "10")
    mps(plant["fg"], plant["plant"], 12, "5")
    run = _run()
    assert run.status == "succeeded"
    assert _orders(run) == [
        # FG: 4 on hand; 10 on day 10 → 6, 5 on day 12 → 5; lead 2.
        ("FG", "make", 6.0, 8, 10),
        ("FG", "make", 5.0, 10, 12),
        # RAW: 3 per SUB: 18 on day 7 → MOQ 50 (2 packs of 25); 32 left cover 30 on day 9.
        ("RAW", "buy", 50.0, 2, 7),
        # RAW2: 1 per FG + 10 % scrap: 6.6 on day 8, 5.5 on day 10; lead 3.
        ("RAW2", "buy", 6.6, 5, 8),
        ("RAW2", "buy", 5.5, 7, 10),
        # SUB: 2 per FG on the FG release days (12 on day 8, 10 on day 10), 6 on hand; lead 1.
        ("SUB", "make", 6.0, 7, 8),
        ("SUB", "make", 10.0, 9, 10),
    ]
    raw2 = PlannedOrder.objects.filter(run=run, product=plant["raw2"])
    assert all(o.exceptions == ["no_supplier"] for o in raw2)
    assert MrpException.objects.filter(run=run, kind="no_supplier").count() == 2
    assert run.summary["planned_orders"] == 7


def test_pegs_point_up_to_the_parent_order_and_the_mps_row():
    plant = two_level_plant()
    row = mps(plant["fg"], plant["plant"], 10, "10")
    run = _run()
    fg_order = PlannedOrder.objects.get(run=run, product=plant["fg"])
    [fg_peg] = Peg.objects.filter(planned_order=fg_order)
    assert (fg_peg.demand_kind, fg_peg.demand_ref, fg_peg.quantity) == (1, row.pk, 6.0)
    sub_order = PlannedOrder.objects.get(run=run, product=plant["sub"])
    [sub_peg] = Peg.objects.filter(planned_order=sub_order)
    assert (sub_peg.demand_kind, sub_peg.demand_ref, sub_peg.quantity) == (2, fg_order.pk, 6.0)


def test_open_working_order_and_safety_stock_and_late():
    plant = two_level_plant()
    mps(plant["fg"], plant["plant"], 10, "10")
    mps(plant["fg"], plant["plant"], 1, "4")  # on hand covers it
    WorkingOrder.objects.create(
        reference="WO-OPEN",
        product=plant["sub"],
        location=plant["plant"],
        quantity=6,
        due_date=TODAY + timedelta(days=8),
        status="released",
    )
    InventoryMetrics.objects.create(
        product=plant["fg"],
        location=plant["plant"],
        safety_stock=3.0,
        lead_time_days=2,
        inventory_position=4,
        status="ok",
        computed_at=timezone.now(),
    )
    run = _run()
    orders = _orders(run)
    # FG: 4 − 4 on day 1 = 0 < 3 → 3 due day 1 (released day −1: late); day 10: 3 − 10 → 10.
    assert orders[0] == ("FG", "make", 3.0, -1, 1)
    assert orders[1] == ("FG", "make", 10.0, 8, 10)
    assert PlannedOrder.objects.get(
        run=run, product=plant["fg"], due_date=TODAY + timedelta(days=1)
    ).exceptions == ["late"]
    # SUB: 6 on hand + 6 open on day 8; needs 6 on day 0 (late FG release, clipped) and 20 on day 8.
    subs = [o for o in orders if o[0] == "SUB"]
    assert subs == [("SUB", "make", 14.0, 7, 8)]


def test_rerun_replaces_unfirmed_and_counts_firmed_orders():
    plant = two_level_plant()
    mps(plant["fg"], plant["plant"], 10, "10")
    first = _run()
    PlannedOrder.objects.filter(run=first, product=plant["raw2"]).update(firmed=True)
    second = _run()
    assert not PlannedOrder.objects.filter(run=first, firmed=False).exists()
    assert PlannedOrder.objects.filter(run=first, firmed=True).count() == 1
    # The firmed RAW2 buy order is open supply: no new RAW2 order.
    assert not PlannedOrder.objects.filter(run=second, product=plant["raw2"]).exists()


def test_forecast_source_uses_the_latest_successful_runs_selected_values():
    from forecasting.models import ForecastRun, ForecastValue

    plant = two_level_plant()
    old = ForecastRun.objects.create(status="succeeded", horizon=28, finished_at=timezone.now())
    latest = ForecastRun.objects.create(status="succeeded", horizon=28, finished_at=timezone.now())
    ForecastRun.objects.create(status="failed", horizon=28, finished_at=timezone.now())

    def value(run, day, forecast, selected=True):
        q = dict(p05=0, p10=0, p50=forecast, p90=forecast, p95=forecast)
        return ForecastValue(
            run=run,
            product=plant["fg"],
            location=plant["plant"],
            date=TODAY + timedelta(days=day),
            method="m",
            selected=selected,
            forecast=forecast,
            **q,
        )

    ForecastValue.objects.bulk_create(
        [
            value(old, 5, 100.0),
            value(latest, -1, 50.0),  # before today: ignored
            value(latest, 5, 3.0),
            value(latest, 6, 4.0),
            value(latest, 6, 40.0, selected=False),
        ]
    )
    run = _run(source="forecast")
    fg = [o for o in _orders(run) if o[0] == "FG"]
    # 4 on hand: day 5 leaves 1, day 6 needs 3 more.
    assert fg == [("FG", "make", 3.0, 4, 6)]
    [peg] = Peg.objects.filter(planned_order__run=run, planned_order__product=plant["fg"])
    assert (peg.demand_kind, peg.demand_date, peg.quantity) == (0, TODAY + timedelta(days=6), 3.0)


def test_released_working_order_is_supply_once_and_lent_to_the_inventory_refresh():
    from inventory.supply import _open_supply_providers
    from manufacturing.services import working_order_create, working_order_release

    plant = two_level_plant()
    mps(plant["fg"], plant["plant"], 10, "16")
    receive(plant["sub"], plant["plant"], "100")
    receive(plant["raw2"], plant["plant"], "100")
    order = working_order_create(
        product=plant["fg"],
        location_id=plant["plant"].pk,
        quantity=6,
        due_date=TODAY + timedelta(days=9),
    )
    working_order_release(order_id=order.pk)
    run = _run()
    # 4 on hand + 6 from the working order (on order too, but counted once): 6 short on day 10.
    [fg] = PlannedOrder.objects.filter(run=run, product=plant["fg"])
    assert (fg.quantity, fg.due_date) == (6.0, TODAY + timedelta(days=10))
    supply = _open_supply_providers["manufacturing"]()
    assert supply.product_id.tolist() == [plant["fg"].pk] and supply.quantity.tolist() == [6.0]


def test_open_purchase_order_lines_are_supply_on_their_dates():
    from decimal import Decimal

    from accounts.models import User
    from purchasing.models import Supplier
    from purchasing.services import (
        OrderLineInput,
        purchase_order_approve,
        purchase_order_create,
    )
    from tests.conftest import make_user

    plant = two_level_plant()
    mps(plant["fg"], plant["plant"], 10, "10")
    supplier = Supplier.objects.create(code="S1", name="S1")
    order = purchase_order_create(
        supplier=supplier,
        location=plant["plant"],
        lines=[
            OrderLineInput(
                product_id=plant["raw2"].pk,
                location_id=plant["plant"].pk,
                quantity=Decimal("4"),
                expected_date=TODAY + timedelta(days=6),
            )
        ],
        today=TODAY,
    )
    purchase_order_approve(order=order, user=make_user(User.Role.ADMIN))
    run = _run()
    raw2 = [o for o in _orders(run) if o[0] == "RAW2"]
    # 6.6 needed on day 8; the open line brings 4 on day 6 (counted once, not also as
    # on-order today): 2.6 left to plan.
    assert raw2 == [("RAW2", "buy", 2.6, 5, 8)]


def test_a_finished_product_without_a_bom_is_bought_and_flagged_no_bom():
    from manufacturing.models import MrpException
    from tests.manufacturing.helpers import product

    plant = two_level_plant()
    loose = product("LOOSE", product_type="finished", lead_time_days=2, supplier_code="S1")
    mps(loose, plant["plant"], 6, "3")
    run = _run()
    [order] = PlannedOrder.objects.filter(run=run, product=loose)
    assert (order.get_kind_display(), order.quantity, order.exceptions) == ("buy", 3.0, ["no_bom"])
    [flag] = MrpException.objects.filter(run=run, product=loose)
    assert flag.kind == "no_bom" and "without an active BOM" in flag.message
