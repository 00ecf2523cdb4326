"""What the refresh wires into the policy: lead-time spread, the supply-network roll-up, ABC
shares and XYZ cut-offs from the settings, status boundaries, kept classes."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.models import DemandHistory, Location, Product
from catalog.services import StockChange, stock_change
from inventory.metrics import inventory_refresh, inventory_settings_update
from inventory.models import InventoryMetrics, ProductInventorySummary
from inventory.policy.network import pair_keys, roll_up
from inventory.policy.spread import small_sample_factor

pytestmark = pytest.mark.django_db


def _sales(product: Product, location: Location, quantities, days: int = 90) -> None:
    today = timezone.localdate()
    DemandHistory.objects.bulk_create(
        DemandHistory(
            product=product,
            location=location,
            date=today - timedelta(days=day),
            quantity=Decimal(str(quantities[day % len(quantities)])),
        )
        for day in range(days)
    )


def _row(product, location) -> InventoryMetrics:
    return InventoryMetrics.objects.get(product=product, location=location)


def test_lead_time_spread_raises_safety_stock_as_the_formula_says():
    location = Location.objects.create(code="L", name="l")
    product = Product.objects.create(sku="P", name="p", lead_time_days=9)
    _sales(product, location, [30, 50])  # d = 40/day, σ_d = 10
    inventory_refresh()
    steady = _row(product, location)
    assert steady.lead_time_std_days == 0
    Product.objects.filter(pk=product.pk).update(lead_time_std_days=Decimal("3"))
    inventory_refresh()
    spread = _row(product, location)
    assert spread.lead_time_std_days == 3
    # SS = z·sqrt(L·σ_d² + d²·σ_L²) (+ the daily-review undershoot term, same in both);
    # σ_d the sample spread of 90 days, widened by t₈₉ / z at the level (ADR 44, launches).
    variance = (10 * float(small_sample_factor(steady.service_level, 89.0))) ** 2
    undershoot_var = 40**2 / 12 + variance / 2 - variance**2 / (4 * 40**2)
    sigma_before = math.sqrt(9 * variance + undershoot_var)
    sigma_after = math.sqrt(9 * variance + 40**2 * 9 + undershoot_var)
    assert spread.safety_stock / steady.safety_stock == pytest.approx(
        sigma_after / sigma_before, rel=1e-6
    )
    assert spread.reorder_point > steady.reorder_point


def test_a_dc_carries_the_demand_of_the_stores_it_replenishes():
    dc = Location.objects.create(code="DC", name="dc")
    hub = Location.objects.create(code="HUB", name="hub", replenished_from=dc)
    store_a = Location.objects.create(code="SA", name="a", replenished_from=hub)
    store_b = Location.objects.create(code="SB", name="b", replenished_from=dc)
    product = Product.objects.create(sku="P", name="p", unit_price=Decimal("2"))
    _sales(product, store_a, [4, 6])
    _sales(product, store_b, [10])
    _sales(product, hub, [1])
    stock_change(
        changes=[
            StockChange(product.pk, dc.pk, Decimal("5000"), "adjustment"),
            StockChange(product.pk, store_a.pk, Decimal("20"), "adjustment"),
        ]
    )
    inventory_refresh()
    dc_row = _row(product, dc)
    assert dc_row.status != "dead_stock"
    assert dc_row.mean_daily_demand == pytest.approx(5 + 10 + 1)
    # Variances add: 1 (store A) + 0 + 0.
    assert dc_row.demand_std == pytest.approx(1.0)
    assert _row(product, hub).mean_daily_demand == pytest.approx(5 + 1)
    assert _row(product, store_a).mean_daily_demand == pytest.approx(5)
    summary = ProductInventorySummary.objects.get(product=product)
    assert summary.locations == 4 and summary.on_hand == pytest.approx(5020)


def test_a_cycle_in_the_network_does_not_loop_or_double_count():
    one = Location.objects.create(code="ONE", name="one")
    two = Location.objects.create(code="TWO", name="two", replenished_from=one)
    Location.objects.filter(pk=one.pk).update(replenished_from=two)
    product = Product.objects.create(sku="P", name="p")
    _sales(product, one, [3])
    _sales(product, two, [7])
    inventory_refresh()
    assert _row(product, one).mean_daily_demand == pytest.approx(10)
    assert _row(product, two).mean_daily_demand == pytest.approx(10)


@settings(max_examples=60, deadline=None)
@given(
    parents=st.lists(st.integers(-1, 5), min_size=6, max_size=6),
    present=st.lists(st.booleans(), min_size=6, max_size=6),
    values=st.lists(st.floats(0, 100), min_size=6, max_size=6),
)
def test_roll_up_property(parents, present, values):
    """A row gets its own value plus every descendant's (present rows only); in a tree the
    root's value is the sum of all rows below it."""
    location_ids = np.arange(6, dtype=np.int64) + 10
    parent_ids = np.array([-1 if p < 0 else p + 10 for p in parents], dtype=np.int64)
    locations = location_ids[np.array(present)]
    if locations.size == 0:
        return
    keys = np.sort(pair_keys(np.full(locations.size, 1), locations))
    own = np.array([values[int(k & 0xFFFFFFFF) - 10] for k in keys])
    (rolled,), _ = roll_up(keys, location_ids, parent_ids, [own])
    assert (rolled >= own - 1e-9).all()

    def ancestors(location: int) -> set[int]:
        seen, current = set(), location
        while True:
            parent = parent_ids[current - 10]
            if parent < 0 or parent == location or int(parent) in seen:
                return seen
            seen.add(int(parent))
            current = int(parent)

    for i, key in enumerate(keys):
        location = int(key & 0xFFFFFFFF)
        expected = own[i] + sum(
            own[j]
            for j, other in enumerate(keys)
            if j != i and location in ancestors(int(other & 0xFFFFFFFF))
        )
        assert rolled[i] == pytest.approx(expected)


def test_abc_shares_follow_the_settings_per_location():
    location = Location.objects.create(code="L", name="l")
    other = Location.objects.create(code="M", name="m")
    products = [
        Product.objects.create(sku=f"P{i:02}", name="p", unit_price=Decimal("1")) for i in range(20)
    ]
    for i, product in enumerate(products):
        _sales(product, location, [i + 1], days=30)
    _sales(products[0], other, [1], days=30)  # alone at M: A there
    for shares in ((80, 15, 5), (50, 30, 20)):
        inventory_settings_update(
            abc_share_a=shares[0], abc_share_b=shares[1], abc_share_c=shares[2]
        )
        inventory_refresh()
        rows = InventoryMetrics.objects.filter(location=location)
        measure = {r.product_id: r.mean_daily_demand for r in rows}
        total = sum(measure.values())
        in_a = [r.product_id for r in rows if r.abc_class == "A"]
        share_a = sum(measure[p] for p in in_a) / total
        smallest_a = min(measure[p] for p in in_a)
        # Class A holds at least its share, and would hold less without its smallest item.
        assert share_a >= shares[0] / 100 - 1e-9
        assert share_a - smallest_a / total < shares[0] / 100
        in_ab = [r.product_id for r in rows if r.abc_class in "AB"]
        assert sum(measure[p] for p in in_ab) / total >= (shares[0] + shares[1]) / 100 - 1e-9
        assert _row(products[0], other).abc_class == "A"


def test_xyz_cut_offs_and_fill_rate_kind_come_from_the_settings():
    location = Location.objects.create(code="L", name="l")
    product = Product.objects.create(sku="P", name="p")
    _sales(product, location, [0, 0, 0, 0, 0, 20, 30], days=91)  # weekly CV 0
    other = Product.objects.create(sku="Q", name="q")
    _sales(other, location, [5] * 7 + [40] * 7, days=91)  # weekly CV ≈ 0.78
    inventory_refresh()
    assert (_row(product, location).xyz_class, _row(other, location).xyz_class) == ("X", "Y")
    inventory_settings_update(xyz_x_limit=Decimal("0.9"), xyz_y_limit=Decimal("2"))
    inventory_refresh()
    assert _row(other, location).xyz_class == "X"
    cycle = _row(other, location).safety_stock
    inventory_settings_update(service_level_kind="fill_rate")
    inventory_refresh()
    assert _row(other, location).safety_stock != pytest.approx(cycle)


def test_hourly_refresh_keeps_the_daily_classes():
    location = Location.objects.create(code="L", name="l")
    small = Product.objects.create(sku="SMALL", name="s", unit_price=Decimal("1"))
    big = Product.objects.create(sku="BIG", name="b", unit_price=Decimal("1"))
    _sales(small, location, [1])
    _sales(big, location, [50])
    inventory_refresh()
    assert (_row(small, location).abc_class, _row(big, location).abc_class) == ("C", "A")
    DemandHistory.objects.filter(product=small).update(quantity=Decimal(500))
    inventory_refresh(reclassify=False)
    assert _row(small, location).abc_class == "C"  # kept until the daily re-evaluation
    assert _row(small, location).mean_daily_demand == pytest.approx(500)  # demand is fresh
    inventory_refresh(reclassify=True)
    assert (_row(small, location).abc_class, _row(big, location).abc_class) == ("A", "B")


def test_status_boundaries():
    """critical below d·L; reorder_now up to the reorder point; ok above it; overstock above
    1.25 × the order-up-to level."""
    location = Location.objects.create(code="L", name="l")
    product = Product.objects.create(sku="P", name="p", lead_time_days=10)
    _sales(product, location, [20])  # d = 20/day exactly, σ_d = 0
    inventory_refresh()
    row = _row(product, location)
    lead_time_demand, reorder_point, up_to = 200, row.reorder_point, row.order_up_to
    assert reorder_point >= lead_time_demand

    def status_at(stock: float) -> str:
        level = product.stock_levels.filter(location=location).first()
        current = level.on_hand if level else Decimal(0)
        stock_change(
            changes=[
                StockChange(product.pk, location.pk, Decimal(str(stock)) - current, "adjustment")
            ]
        )
        inventory_refresh()
        return _row(product, location).status

    assert status_at(lead_time_demand - 1) == "critical"
    assert status_at(lead_time_demand) == "reorder_now"
    assert status_at(math.floor(reorder_point)) == "reorder_now"
    assert status_at(math.floor(reorder_point) + 1) == "ok"
    assert status_at(math.floor(up_to * 1.25)) == "ok"
    assert status_at(math.floor(up_to * 1.25) + 1) == "overstock"


def test_unchanged_rows_are_not_rewritten_and_the_refresh_time_is_kept():
    from inventory.metrics import inventory_settings_get

    location = Location.objects.create(code="L", name="l")
    steady = Product.objects.create(sku="STEADY", name="s")
    moving = Product.objects.create(sku="MOVING", name="m")
    _sales(steady, location, [3])
    _sales(moving, location, [3])
    inventory_refresh()
    first = {r.product_id: r.computed_at for r in InventoryMetrics.objects.all()}
    refreshed = inventory_settings_get().metrics_refreshed_at
    stock_change(changes=[StockChange(moving.pk, location.pk, Decimal(7), "receipt")])
    inventory_refresh()
    second = {r.product_id: r.computed_at for r in InventoryMetrics.objects.all()}
    assert second[steady.pk] == first[steady.pk]
    assert second[moving.pk] > first[moving.pk]
    assert _row(moving, location).on_hand == 7
    assert inventory_settings_get().metrics_refreshed_at > refreshed


def test_binary_copy_round_trip_keeps_nan_nat_and_labels():
    from django.db import connection, transaction

    from core.pgcopy import copy_from_query, copy_to_table

    columns = {
        "a": ("int8", np.array([1, 2**40, -3])),
        "b": ("int4", np.array([7, 0, -1], dtype=np.int32)),
        "c": ("float8", np.array([1.5, np.nan, -np.inf])),
        "d": ("date", np.array(["2026-01-31", "NaT", "1999-12-31"], dtype="datetime64[D]")),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE copy_probe (a int8, b int4, c float8, d date)")
        assert copy_to_table(cursor, "copy_probe", columns) == 3
        cursor.execute(
            "SELECT a, b, c, NULLIF(d, 'infinity'::date) FROM copy_probe ORDER BY b DESC"
        )
        rows = cursor.fetchall()
        assert rows[1][3] is None  # NaT travels as infinity
        assert [row[:2] for row in rows] == [(1, 7), (2**40, 0), (-3, -1)]
        assert rows[0][2] == 1.5 and math.isnan(rows[1][2]) and rows[2][2] == -math.inf
        assert str(rows[0][3]) == "2026-01-31" and str(rows[2][3]) == "1999-12-31"
        back = copy_from_query(
            cursor,
            "SELECT a, b, COALESCE(c, 0), (d - DATE '2000-01-01')::int4 FROM copy_probe "
            "WHERE d <> 'infinity' ORDER BY b DESC",
            {},
            [("a", "int8"), ("b", "int4"), ("c", "float8"), ("days", "int4")],
        )
        assert back["a"].tolist() == [1, -3] and back["days"].tolist() == [9527, -1]
        cursor.execute("DROP TABLE copy_probe")
        with pytest.raises(ValueError, match="NULL"):
            copy_from_query(cursor, "SELECT NULL::int4", {}, [("x", "int4")])


def test_in_the_demo_the_dc_is_not_dead_stock(tenant_a):
    from django.core.management import call_command

    from demo.catalogue import DC_CODE

    call_command("seed_demo", "--schema", tenant_a.schema_name, "--days", "60")
    inventory_refresh()
    dc_rows = InventoryMetrics.objects.filter(
        location__code=DC_CODE, product__product_type="finished"
    )
    assert dc_rows.exists()
    assert not dc_rows.filter(status="dead_stock").exists()
    assert dc_rows.filter(mean_daily_demand__gt=0).count() == dc_rows.count()


def test_refresh_runs_under_query_capture_with_a_fixed_query_count():
    """The debug cursor (DEBUG, query capture) must not break the COPY paths, and the
    refresh costs the same number of statements for any number of rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    location = Location.objects.create(code="L", name="l")
    first = Product.objects.create(sku="P0", name="p")
    _sales(first, location, [3])
    inventory_refresh()  # creates the settings row

    def statements(captured) -> list[str]:
        # An inventory.stock_low event is written only when items cross into reorder now or
        # critical: one data-dependent insert, not a per-row cost.
        return [
            q["sql"]
            for q in captured.captured_queries
            if not q["sql"].startswith("SET ") and "core_event" not in q["sql"]
        ]

    counts = {}
    for reclassify in (True, False):
        with CaptureQueriesContext(connection) as small:
            inventory_refresh(reclassify=reclassify)
        counts[reclassify] = len(statements(small))
    more = Product.objects.bulk_create(Product(sku=f"Q{i}", name="q") for i in range(30))
    for product in more:
        _sales(product, location, [2], days=5)
    for reclassify in (True, False):
        with CaptureQueriesContext(connection) as large:
            result = inventory_refresh(reclassify=reclassify)
        assert result.rows == 31
        assert len(statements(large)) == counts[reclassify]


def _pair() -> tuple[Product, Location]:
    return (
        Product.objects.create(sku="NEW", name="new", lead_time_days=7),
        Location.objects.create(code="L", name="l"),
    )


def _launch(product: Product, location: Location, days: int) -> None:
    """Sales only in the last ``days`` days, ramping up by one unit a day (1 … days)."""
    today = timezone.localdate()
    DemandHistory.objects.bulk_create(
        DemandHistory(
            product=product,
            location=location,
            date=today - timedelta(days=days - 1 - k),
            quantity=Decimal(k + 1),
        )
        for k in range(days)
    )


def test_a_launch_takes_the_level_of_its_ramp_not_the_look_back_mean():
    product, location = _pair()
    # 20 days of sales (1 … 20) after 70 quiet days of the 90-day look-back: the look-back
    # mean is 210 / 90 = 2.3 a day; the line through the sales is y = k + 1 exactly, read
    # at the middle of the protection period ahead (lead time 7 + review 1: 4.5 days after
    # the last day): 14 days' window (7 … 20) → 20 + 4.5 = 24.5 a day (ADR 44, launches).
    _launch(product, location, 20)
    inventory_refresh()
    row = _row(product, location)
    lead = float(row.lead_time_days)
    assert row.mean_daily_demand == pytest.approx(20 + (lead + 1 + 1) / 2)
    assert row.reorder_point > row.mean_daily_demand * lead


def test_a_product_selling_from_the_first_day_of_the_look_back_is_no_launch():
    product, location = _pair()
    _sales(product, location, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    inventory_refresh()
    assert _row(product, location).mean_daily_demand == pytest.approx(
        sum(range(1, 15)) * (90 / 14) / 90, rel=0.05
    )


def test_sales_moments_get_the_t_widening_of_their_days():
    product, location = _pair()
    # No forecast run: the spread is the sample spread of the days since the first sale,
    # ν = m − 1 (ADR 44, launches addendum). A young product (10 days) gets a wider quantile
    # than the same spread from a whole look-back would.
    from inventory.policy import PolicyInputs, PolicySettings, calculate_policy

    _launch(product, location, 10)
    inventory_refresh()
    row = _row(product, location)

    def safety_stock(observations):
        return calculate_policy(
            PolicyInputs(
                mean_daily_demand=np.array([row.mean_daily_demand]),
                demand_std_daily=np.array([row.demand_std]),
                lead_time_days=np.array([float(row.lead_time_days)]),
                lead_time_std_days=np.array([float(row.lead_time_std_days)]),
                on_hand=np.array([0.0]),
                service_level=np.array([row.service_level]),
                unit_cost=np.array([np.nan]),
                error_observations=observations,
            ),
            PolicySettings(service_level_allocation="item"),
        ).safety_stock[0]

    assert row.safety_stock == pytest.approx(safety_stock(np.array([9.0])), rel=1e-9)
    assert row.safety_stock > 1.05 * safety_stock(None)
