"""The planner's pages in real headless Chromium: the product page (zoomable chart, markers,
stock panel, export), the Test Bed, a simulation, a route plan on its Leaflet map and its
driver sheet (print CSS) — on data of tenant alpha and on an empty tenant (beta) — with no
console error, no horizontal overflow at 390 px, and the dark-mode toggle."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from tests.browser.conftest import log_in, wait_until
from tests.conftest import HOST_A, HOST_B, delete_users, make_user

SHOTS = Path(tempfile.gettempdir())  # screenshots to look at: planner-*.png
ZOOM = "(id) => echarts.getInstanceByDom(document.getElementById(id)).getOption().dataZoom.length"


@pytest.fixture(scope="module")
def planner_data(tenant_a, django_db_blocker):
    """Committed in alpha: three products with 120 days of sales (prefix BP) and a forecast
    run, a raw material, a 60-day simulation and a solved route plan; removed afterwards."""
    from catalog.models import Category, DemandHistory, Location, Product
    from forecasting import services as forecasting
    from forecasting.models import ForecastRun, MethodOverride
    from inventory import simulation_service
    from inventory.models import SimulationRun
    from routing import services as routing
    from tests.forecasting_app.seed import seed
    from tests.routing_app.test_route_plans import DAY, _cleanup, _fleet_and_orders

    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        products, _ = seed(prefix="BP")
        DemandHistory.objects.filter(product=products[0], date=dt.date(2026, 4, 1)).update(
            stockout=True, on_promotion=True
        )
        raw = Product.objects.create(sku="BP-RAW", name="Flour", product_type="raw")
        run = forecasting.forecast_run_start(horizon=14, methods=["naive", "ses"], enqueue=False)
        forecasting.forecast_run_execute(run_id=run.pk)
        simulation = simulation_service.simulation_run_execute(
            run_id=simulation_service.simulation_run_start(window_days=60, enqueue=False).pk
        )
        _fleet_and_orders()
        plan = routing.route_plan_start(date=DAY, time_limit_seconds=0.3, enqueue=False)
        plan = routing.route_plan_solve(plan_id=plan.pk)
        vehicle = plan.routes.select_related("vehicle").first().vehicle.code
    yield {
        "product": products[0].pk,
        "raw": raw.pk,
        "simulation": simulation.pk,
        "plan": plan.pk,
        "vehicle": vehicle,
    }
    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        _cleanup()
        SimulationRun.objects.filter(pk=simulation.pk).delete()
        ForecastRun.objects.filter(pk=run.pk).delete()
        bp = Product.objects.filter(sku__startswith="BP-")
        MethodOverride.objects.filter(product__in=bp).delete()
        DemandHistory.objects.filter(product__in=bp).delete()
        bp.delete()
        Location.objects.filter(code__startswith="BP-").delete()
        Category.objects.filter(name__startswith="BP ").delete()


@pytest.fixture(scope="module")
def empty_tenant(tenant_b, django_db_blocker):
    """A planner of tenant beta (no runs, plans or simulations) and one unsold product."""
    from catalog.models import Product

    with django_db_blocker.unblock(), schema_context(tenant_b.schema_name):
        user = make_user("planner")
        product = Product.objects.create(sku="EMPTY-1", name="Never sold")
    yield {"user": user, "product": product.pk}
    with django_db_blocker.unblock(), schema_context(tenant_b.schema_name):
        Product.objects.filter(pk=product.pk).delete()
    with django_db_blocker.unblock():
        delete_users(tenant_b, user)


@pytest.fixture(scope="module")
def supply_data(tenant_a, people, django_db_blocker):
    """Committed in alpha (prefix BM): a made product of one bought part with an operation
    on a work centre, an MRP run on its MPS, a draft purchase order, a cart line and a
    notification of the planner; removed afterwards."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from catalog.models import Location, Product, StockLevel
    from core.models import Event
    from integrations.models import Notification
    from manufacturing import models as mf
    from manufacturing.planning import mrp_run_create, mrp_run_execute
    from manufacturing.services import BomLineInput, bom_save
    from purchasing.models import OrderSuggestion, PlannedPurchase, PurchaseOrder, Supplier
    from purchasing.services import OrderLineInput, purchase_order_create

    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        plant = Location.objects.create(code="BM-PLANT", name="Bakery", kind="plant")
        bread = Product.objects.create(
            sku="BM-BREAD", name="Bread", product_type="finished", lead_time_days=2
        )
        flour = Product.objects.create(
            sku="BM-FLOUR", name="Flour", product_type="raw", lead_time_days=3
        )
        bom = bom_save(product=bread, lines=[BomLineInput(flour.pk, Decimal(2), Decimal(0), "")])
        oven = mf.WorkCentre.objects.create(code="BM-OVEN", name="Oven")
        mf.Operation.objects.create(bom=bom, sequence=1, work_centre=oven, run_minutes=30)
        today = timezone.localdate()
        for day in (4, 11):
            mf.MasterProductionSchedule.objects.create(
                product=bread, location=plant, date=today + timedelta(days=day), quantity=20
            )
        run = mrp_run_create(source="mps", horizon_days=30)
        mrp_run_execute(run_id=run.pk, today=today)
        mill = Supplier.objects.create(code="BM-MILL", name="Mill", lead_time_days=5)
        order = purchase_order_create(
            supplier=mill, location=plant, lines=[OrderLineInput(flour.pk, Decimal(40))]
        )
        OrderSuggestion.objects.create(
            product=flour,
            location=plant,
            supplier=mill,
            quantity=Decimal(40),
            unit_price=Decimal(2),
            value=Decimal(80),
        )
        event = Event.objects.create(type="purchase_order.approved", data={"bm": True})
        Notification.objects.create(
            user=people["planner"],
            event=event,
            type=event.type,
            title="BM-0001 approved",
            body="Purchase order BM-0001 to the mill was approved.",
        )
    yield {"order": order.pk, "bread": bread.pk}
    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        products = Product.objects.filter(sku__startswith="BM-")
        Notification.objects.filter(event=event).delete()
        Event.objects.filter(pk=event.pk).delete()
        PurchaseOrder.objects.filter(supplier=mill).delete()
        OrderSuggestion.objects.filter(product__in=products).delete()
        PlannedPurchase.objects.filter(product__in=products).delete()
        mf.WorkingOrder.objects.filter(product__in=products).delete()
        mf.MrpRun.objects.filter(pk=run.pk).delete()
        mf.MasterProductionSchedule.objects.filter(product__in=products).delete()
        mf.BillOfMaterials.objects.filter(product__in=products).delete()
        oven.delete()
        StockLevel.objects.filter(product__in=products).delete()
        products.delete()
        mill.delete()
        plant.delete()


SUPPLY_PAGES = [
    "/app/cart/",
    "/app/purchase-orders/",
    "/app/mrp/",
    "/app/capacity/",
    "/app/notifications/",
]


def _pages(data: dict) -> list[str]:
    return [
        f"/app/products/{data['product']}/forecast/?interval=week",
        f"/app/products/{data['product']}/forecast/?interval=day",
        f"/app/products/{data['raw']}/forecast/",
        "/app/test-bed/",
        f"/app/simulations/{data['simulation']}/",
        "/app/simulations/",
        f"/app/route-plans/{data['plan']}/",
        f"/app/route-plans/{data['plan']}/driver-sheet/{data['vehicle']}/",
    ]


def _no_overflow_at_390(browser, context, base: str, paths: list[str]) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    phone.add_cookies(context.cookies())
    page = phone.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for path in paths:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    assert errors == [], errors
    phone.close()


# The fixtures that write to the database come before ``browser`` in every test (whichever
# runs first): they must set up before Playwright's event loop starts and tear down after it
# stops (see tests/browser/conftest.py).
def test_planner_pages_on_data(
    supply_data, planner_data, empty_tenant, people, rows, live_app, browser
):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = log_in(context, live_app, people["planner"])
    for path in _pages(planner_data):
        response = page.goto(live_app + path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")

    # Product page: a zoomable chart with markers, stock section, pin form, export.
    page.goto(live_app + f"/app/products/{planner_data['product']}/forecast/?interval=day")
    wait_until(page, "!!document.querySelector('#forecast-chart canvas')")
    assert page.evaluate(ZOOM, "forecast-chart") >= 1
    legend = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('forecast-chart'))"
        ".getOption().legend[0].data"
    )
    assert "out of stock" in legend and "promotion" in legend
    assert page.locator("#pin-method").count() == 1
    with page.expect_download() as download:
        page.click("#export-csv")
    assert Path(download.value.path()).read_text(encoding="utf-8").startswith("period,sales,")
    page.screenshot(path=SHOTS / "planner-product.png", full_page=True)
    page.goto(live_app + f"/app/products/{planner_data['raw']}/forecast/")
    assert "raw material" in page.inner_text("#product-empty")
    assert page.locator("#forecast-chart").count() == 0

    # Test Bed in planner terms.
    page.goto(live_app + "/app/test-bed/")
    assert "accuracy per week" in page.inner_text("#accuracy-cards").lower()
    assert page.locator("#methods-table tbody tr").count() >= 2

    # Simulation: the verdict and the stockout cost used.
    page.goto(live_app + f"/app/simulations/{planner_data['simulation']}/")
    assert page.inner_text("#verdict").startswith("Against the min/max baseline")
    assert "per unit short" in page.inner_text("#stockout-cost-used")

    # Route plan: a Leaflet map with numbered stops, then the driver sheet in print media.
    page.goto(live_app + f"/app/route-plans/{planner_data['plan']}/")
    page.wait_for_selector("#route-map.leaflet-container")
    assert page.locator("#route-map .stop-icon").count() == 6
    assert page.locator("#route-map .leaflet-tile").count() == 0  # no tiles by default
    page.screenshot(path=SHOTS / "planner-route-plan.png", full_page=True)
    page.click("a.driver-sheet >> nth=0")
    page.wait_for_url("**/driver-sheet/**")
    assert page.locator(".sheet tbody tr").count() >= 1
    page.emulate_media(media="print")
    assert not page.locator("header.bar").is_visible()
    assert not page.locator("#print-sheet").is_visible()
    page.pdf(path=str(SHOTS / "planner-driver-sheet.pdf"))
    page.emulate_media(media="screen")

    # Dark mode: the toggle switches the theme and remembers it.
    page.goto(live_app + "/app/test-bed/")
    before = page.evaluate("getComputedStyle(document.body).backgroundColor")
    with page.expect_navigation():  # the page has charts: they are redrawn in the new theme
        page.click("#theme-toggle")
    page.wait_for_load_state("networkidle")
    after = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert before != after
    page.reload()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == after
    page.evaluate("localStorage.removeItem('theme')")
    assert page.errors == [], page.errors
    _no_overflow_at_390(browser, context, live_app, _pages(planner_data))
    context.close()


def test_the_route_map_falls_back_to_the_grid_when_tiles_fail(
    supply_data, planner_data, empty_tenant, people, rows, live_app, browser
):
    """A configured tile server that does not answer (here: a same-origin URL that is 404,
    so the Content-Security-Policy allows it) leaves the plain background with its grid."""
    from django.test import override_settings

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = log_in(context, live_app, people["planner"])
    with override_settings(MAP_TILE_URL="/static/no-such-tiles/{z}/{x}/{y}.png"):
        page.goto(live_app + f"/app/route-plans/{planner_data['plan']}/")
        page.wait_for_selector("#route-map.leaflet-container")
        wait_until(page, "document.getElementById('route-map').classList.contains('plain')")
    assert page.locator("#route-map .leaflet-tile").count() == 0
    assert page.locator("#route-map .stop-icon").count() == 6
    background = page.evaluate("getComputedStyle(document.getElementById('route-map'))"
                               ".backgroundImage")  # fmt: skip
    assert "gradient" in background, background
    # Only the failed tiles are errors: the page's own scripts raise nothing.
    assert [e for e in page.errors if "404" not in e and "Failed to load" not in e] == []
    context.close()


def test_planner_pages_on_an_empty_tenant(
    supply_data, planner_data, empty_tenant, people, rows, live_app, browser
):
    base = live_app.replace(HOST_A, HOST_B)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = log_in(context, base, empty_tenant["user"])
    # Each page and the empty state it shows (a sentence, not a blank table).
    empty_states = {
        "/app/what-to-order/": "No inventory metrics yet",
        "/app/cart/": "The cart is empty",
        "/app/purchase-orders/": "No purchase orders.",
        "/app/mrp/": "No successful MRP run yet",
        "/app/capacity/": "No work centres yet.",
        "/app/notifications/": "Nothing yet.",
    }
    paths = [
        f"/app/products/{empty_tenant['product']}/forecast/",
        "/app/test-bed/",
        "/app/simulations/",
        "/app/route-plans/",
        *empty_states,
    ]
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        if path in empty_states:
            assert empty_states[path] in page.inner_text("main"), path
    page.goto(base + paths[0])
    assert "no sales history" in page.inner_text("#product-empty")
    assert "No stock figures" in page.inner_text("#stock-empty")
    assert page.errors == [], page.errors
    _no_overflow_at_390(browser, context, base, paths)
    context.close()


def test_purchasing_manufacturing_and_account_pages(
    supply_data, planner_data, empty_tenant, people, rows, live_app, browser
):
    """Cart, purchase orders, MRP, capacity and notifications on data (the planner), the
    users page (an admin): no console error, their rows shown, no overflow at 390 px."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = log_in(context, live_app, people["planner"])
    order = f"/app/purchase-orders/{supply_data['order']}/"
    bom = f"/app/boms/{supply_data['bread']}/"
    shown = {
        "/app/cart/": "BM-FLOUR",
        "/app/purchase-orders/": "BM-MILL",
        order: "BM-FLOUR",
        "/app/mrp/": "BM-BREAD",
        "/app/capacity/": "BM-OVEN",
        "/app/notifications/": "BM-0001 approved",
        bom: "BM-FLOUR",
    }
    for path, text in shown.items():
        response = page.goto(live_app + path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert text in page.inner_text("main"), path
    page.goto(live_app + "/app/capacity/")
    wait_until(page, "!!document.querySelector('[id^=wc-] canvas, [id^=wc-] svg')")
    page.screenshot(path=SHOTS / "planner-capacity.png", full_page=True)
    assert page.errors == [], page.errors
    _no_overflow_at_390(browser, context, live_app, [*SUPPLY_PAGES, order, bom])
    context.close()

    admin = browser.new_context(viewport={"width": 1280, "height": 900})
    page = log_in(admin, live_app, people["admin"])
    page.goto(live_app + "/app/users/")
    assert people["planner"].email in page.inner_text("main")
    assert page.errors == [], page.errors
    _no_overflow_at_390(browser, admin, live_app, ["/app/users/", "/app/account/two-factor/"])
    admin.close()
