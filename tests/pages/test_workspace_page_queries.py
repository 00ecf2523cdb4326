"""Query-count baselines of the purchasing, manufacturing, notification, user and sign-in pages
and of the Test Bed (NetBox's pattern, like tests/workspace/test_pages.py): with rows the
count is the same for few and for many rows, and it equals a fixed baseline; on an empty
tenant it equals another. Counts exclude django-tenants' ``SET search_path``; they include
the session, the user and the navigation's own queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.core.cache import cache
from django.test import Client

from catalog.models import Location, Product
from core.models import Event
from integrations.models import Notification
from purchasing.models import OrderSuggestion, PurchaseOrder, Supplier
from purchasing.services import OrderLineInput, purchase_order_create
from tests.conftest import HOST_A, make_user
from tests.workspace.seed import page_queries

pytestmark = pytest.mark.django_db

_serial = count()


def _client(user) -> Client:
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(user)
    return client


def _products(n: int, **fields) -> list[Product]:
    tag = next(_serial)
    return [
        Product.objects.create(sku=f"Q{tag}-{i:03d}", name=f"Item {i}", **fields) for i in range(n)
    ]


def _location(code: str, kind: str = "warehouse") -> Location:
    return Location.objects.get_or_create(code=code, defaults={"name": code, "kind": kind})[0]


def _supplier() -> Supplier:
    tag = next(_serial)
    return Supplier.objects.create(code=f"S{tag}", name=f"Supplier {tag}", lead_time_days=5)


# --- makers: each adds ``n`` rows of what the page shows and returns the page's URL ---------


def _cart(n: int, user) -> str:
    dc, store = _location("QDC"), _location("QST", "store")
    lines = []
    for i, product in enumerate(_products(n, unit_cost=Decimal("2"))):
        transfer = i % 3 == 0
        lines.append(
            OrderSuggestion(
                product=product,
                location=store if transfer else dc,
                supplier=None if transfer else _supplier(),
                source_location=dc if transfer else None,
                quantity=Decimal(10 + i),
                unit_price=Decimal("2"),
                value=Decimal(20 + 2 * i),
            )
        )
    OrderSuggestion.objects.bulk_create(lines)
    return "/app/cart/"


def _order(lines: int) -> PurchaseOrder:
    dc = _location("QDC")
    return purchase_order_create(
        supplier=_supplier(),
        location=dc,
        lines=[OrderLineInput(p.pk, Decimal(5)) for p in _products(lines)],
    )


def _order_list(n: int, user) -> str:
    for _ in range(n):
        _order(2)
    return "/app/purchase-orders/"


def _order_detail(n: int, user) -> str:
    from purchasing.services import purchase_order_approve

    order = _order(n)
    purchase_order_approve(order=order, user=user)  # a timeline entry
    return f"/app/purchase-orders/{order.pk}/"


def _mrp_plant(n: int) -> None:
    """``n`` made products (one bought component each), demand in the MPS, one work centre
    per made product, and a run of MRP."""
    from manufacturing.models import MasterProductionSchedule, Operation, WorkCentre
    from manufacturing.planning import mrp_run_create, mrp_run_execute
    from manufacturing.services import BomLineInput, bom_save
    from tests.manufacturing.helpers import TODAY

    plant = _location("QPLANT", "plant")
    made = _products(n, product_type="finished", lead_time_days=2)
    parts = _products(n, product_type="raw", lead_time_days=3, supplier_code="S1")
    for i, (item, part) in enumerate(zip(made, parts, strict=True)):
        bom = bom_save(product=item, lines=[BomLineInput(part.pk, Decimal(2), Decimal(0), "")])
        centre = WorkCentre.objects.create(code=f"WC-{item.sku}", name=f"Centre {i}")
        Operation.objects.create(bom=bom, sequence=1, work_centre=centre, run_minutes=5)
        MasterProductionSchedule.objects.create(
            product=item, location=plant, date=TODAY + timedelta(days=5 + i), quantity=10
        )
    mrp_run_execute(run_id=mrp_run_create(source="mps", horizon_days=30).pk, today=TODAY)


def _mrp(n: int, user) -> str:
    _mrp_plant(n)
    return "/app/mrp/"


def _capacity(n: int, user) -> str:
    from tests.manufacturing.helpers import TODAY

    _mrp_plant(n)
    return f"/app/capacity/?from={TODAY}"


def _bom_tree(n: int, user) -> str:
    """A product of ``n`` sub-assemblies, each of two bought parts."""
    from manufacturing.services import BomLineInput, bom_save

    top, *subs = _products(n + 1, product_type="finished")
    for sub in subs:
        parts = _products(2, product_type="raw", unit_cost=Decimal("1.5"))
        bom_save(product=sub, lines=[BomLineInput(p.pk, Decimal(1), Decimal(0), "") for p in parts])
    bom_save(product=top, lines=[BomLineInput(s.pk, Decimal(2), Decimal(0), "") for s in subs])
    return f"/app/boms/{top.pk}/"


def _notifications(n: int, user) -> str:
    for i in range(n):
        event = Event.objects.create(type="purchase_order.approved", data={"i": i})
        Notification.objects.create(
            user=user, event=event, type=event.type, title=f"Order {i} approved"
        )
    return "/app/notifications/"


def _users(n: int, user) -> str:
    for _ in range(n):
        make_user()
    return "/app/users/"


Maker = Callable[[int, object], str]

# The count with rows, after the domain, session, user and navigation's queries.
WITH_ROWS: list[tuple[str, Maker, int]] = [
    ("cart", _cart, 6),  # + open lines with their supplier and locations, the settings
    ("purchase order list", _order_list, 5),  # + the orders, their lines (prefetched)
    ("purchase order", _order_detail, 7),  # + order, lines, receipts, timeline
    ("mrp", _mrp, 9),  # + run, planned orders, pegs, peg SKUs, locations, exceptions
    ("capacity", _capacity, 6),  # + centres, working orders, operations
    ("bom tree", _bom_tree, 7),  # + product, active BOMs, their lines and components
    ("notifications", _notifications, 4),  # + the user's latest notifications
    ("users", _users, 4),  # + the users (invitations and last login are columns)
]


@pytest.mark.parametrize(("page", "make", "baseline"), WITH_ROWS, ids=[row[0] for row in WITH_ROWS])
def test_query_counts_do_not_grow_with_rows(tenant_admin, page, make, baseline):
    client = _client(tenant_admin)
    url = make(2, tenant_admin)
    client.get(url)  # first use creates the tenant's settings rows
    cache.clear()
    few = page_queries(client, url)
    url = make(8, tenant_admin)
    cache.clear()
    many = page_queries(client, url)
    assert len(few) == len(many), (page, len(few), many)
    assert len(many) == baseline, (page, many)


# The count on an empty tenant (no row of anything).
EMPTY: list[tuple[str, int]] = [
    ("/app/cart/", 6),
    ("/app/purchase-orders/", 4),
    ("/app/mrp/", 4),  # no successful run: nothing more
    ("/app/capacity/", 6),
    ("/app/notifications/", 4),
    ("/app/users/", 4),
    ("/app/account/two-factor/", 4),
    ("/app/test-bed/", 4),  # no run: no leaderboard, no ROI
]


@pytest.mark.parametrize(("url", "baseline"), EMPTY, ids=[row[0] for row in EMPTY])
def test_baselines_on_an_empty_tenant(tenant_admin, url, baseline):
    client = _client(tenant_admin)
    client.get(url)  # first use creates the tenant's settings rows
    cache.clear()
    queries = page_queries(client, url)
    assert len(queries) == baseline, (url, queries)


LOGIN_BASELINE = 1  # the domain: no session yet, no user
LOGIN_CODE_BASELINE = 3  # the domain, the session, the pending user


def test_sign_in_pages_baselines(planner):
    """Signed out: the login page, and its second step (a code) once the password was
    right."""
    import time

    from workspace.views import PENDING_SINCE, PENDING_USER

    anonymous = Client(HTTP_HOST=HOST_A)
    assert len(page_queries(anonymous, "/app/login/")) == LOGIN_BASELINE
    session = anonymous.session
    session[PENDING_USER], session[PENDING_SINCE] = planner.pk, time.time()
    session.save()
    queries = page_queries(anonymous, "/app/login/code/")
    assert len(queries) == LOGIN_CODE_BASELINE, queries


TEST_BED_BASELINE = 27  # runs, leaderboard, ROI and its currency, accuracy, drift, champions …


def test_test_bed_baseline_with_runs(viewer):
    """The Test Bed with two successful runs: the same count as with one, and fixed."""
    from forecasting import services
    from tests.forecasting_app.seed import seed

    client = _client(viewer)
    counts = []
    for prefix in ("QA", "QB"):
        seed(prefix=prefix)
        run = services.forecast_run_start(
            horizon=7, methods=["naive", "seasonal_naive"], enqueue=False
        )
        services.forecast_run_execute(run_id=run.pk)
        cache.clear()
        queries = page_queries(client, "/app/test-bed/")
        counts.append(len(queries))
    assert counts == [TEST_BED_BASELINE, TEST_BED_BASELINE], (counts, queries)
