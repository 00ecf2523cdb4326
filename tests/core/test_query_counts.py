"""Query-count baselines for every list endpoint of a tenant host (NetBox style).

Each endpoint is listed by a tenant administrator with 2 rows, then again with 7: the number
of queries must not grow with the rows (no N+1) and must equal the recorded baseline. The rows
carry the relations their serializers show (creators, jobs, depots, routes and stops …), so a
missing ``select_related``/``prefetch_related`` shows up as a difference.

A baseline that changes on purpose (a new join, one query fewer) is updated here, in the same
commit as the change. Requests switch the schema, so the counts are taken on the default
connection and include the ``SET search_path`` statements; the JWT authentication and the
tenant lookup (uncached in tests) are part of every count.

Purchasing and manufacturing endpoints are baselined with their apps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.services import api_key_create
from core.audit import audit_record
from core.events import emit_event
from core.models import Job, Upload
from etl.models import DataSource, ImportBatch, SyncRun
from etl.services import data_source_save
from forecasting.models import MethodOverride, ModelRegistryEntry, Scenario
from inventory.metrics import inventory_refresh
from inventory.models import SimulationRun
from routing.models import Route, RoutePlan, RouteStop
from tests.conftest import HOST_A, client_for
from tests.factories import (
    CategoryFactory,
    DeliveryOrderFactory,
    DemandHistoryFactory,
    DepotFactory,
    ForecastRunFactory,
    LocationFactory,
    ProductExclusionFactory,
    ProductFactory,
    UserFactory,
    VehicleFactory,
    sales,
    stock,
)

pytestmark = pytest.mark.django_db

FEW, MORE = 2, 5  # rows before the first request, rows added before the second


# --- Seeders: ``count`` more rows of the endpoint, with the relations its serializer shows -------


def _users(count: int) -> None:
    for _ in range(count):
        UserFactory(role=User.Role.VIEWER)


def _api_keys(count: int) -> None:
    for i in range(count):
        api_key_create(user=UserFactory(), name=f"key {i}", scopes=["read"])


def _job(user: User | None = None, kind: str = "demo") -> Job:
    return Job.objects.create(
        kind=kind, status=Job.Status.SUCCEEDED, progress=100, created_by=user or UserFactory()
    )


def _jobs(count: int) -> None:
    for _ in range(count):
        _job()


def _audit_rows(count: int) -> None:
    for i in range(count):
        audit_record(
            action="update",
            object_type="catalog.product",
            object_id=i,
            object_repr=f"product {i}",
            changes={"name": ["old", "new"]},
            actor=UserFactory(),
        )


def _events(count: int) -> None:
    for i in range(count):
        emit_event("webhook.test", {"n": i}, actor=UserFactory())


def _uploads(count: int) -> None:
    for i in range(count):
        Upload.objects.create(
            file=f"uploads/alpha/{i}/sales.csv",
            original_name="sales.csv",
            kind="csv",
            size=100 + i,
            sha256=f"{i:064x}",
            uploaded_by=UserFactory(),
        )


def _categories(count: int) -> None:
    root = CategoryFactory()
    for _ in range(count - 1):
        ProductFactory(category=CategoryFactory(parent=root))


def _locations(count: int) -> None:
    upstream = None
    for _ in range(count):
        upstream = LocationFactory(replenished_from=upstream)


def _stock_levels(count: int) -> None:
    location = LocationFactory()
    for _ in range(count):
        stock(ProductFactory(), location, 5)


def _stock_movements(count: int) -> None:
    actor = UserFactory()
    for _ in range(count):
        stock(ProductFactory(), LocationFactory(), 5, actor=actor)


def _sales_history(count: int) -> None:
    for _ in range(count):
        DemandHistoryFactory()


def _exclusions(count: int) -> None:
    for _ in range(count):
        ProductExclusionFactory(created_by=UserFactory())


def _sellers(count: int) -> None:
    """Products with a category, stock, 30 days of sales and (the first) an exclusion; then
    the inventory refresh, so that the product list and the metrics have every column."""
    location = LocationFactory()
    for i in range(count):
        product = ProductFactory(category=CategoryFactory())
        stock(product, location, 20 + i)
        sales(product, location, [3 + i % 4] * 30)
        if i == 0:
            ProductExclusionFactory(product=product, scopes=["recommendations"])
    inventory_refresh()


def _simulations(count: int) -> None:
    for _ in range(count):
        user = UserFactory()
        SimulationRun.objects.create(
            status=SimulationRun.Status.SUCCEEDED,
            window_days=90,
            summary={"policy": {"fill_rate": 0.97}},
            job=_job(user, kind="inventory_simulation"),
            created_by=user,
            finished_at=timezone.now(),
        )


def _imports(count: int) -> None:
    for _ in range(count):
        user = UserFactory()
        ImportBatch.objects.create(
            kind="products",
            status=ImportBatch.Status.IMPORTED,
            source_name="products.csv",
            job=_job(user, kind="import"),
            rows=3,
            inserted=3,
            created_by=user,
            finished_at=timezone.now(),
        )


def _data_sources(count: int) -> None:
    for _ in range(count):
        source = data_source_save(
            name=f"drop {DataSource.objects.count()}",
            kind=DataSource.Kind.CSV_DROP,
            dataset="products",
            path="products.csv",
        )
        SyncRun.objects.create(source=source, status=SyncRun.Status.SUCCEEDED, rows_read=3)
        SyncRun.objects.create(source=source, status=SyncRun.Status.FAILED, error="gone")


def _vehicles(count: int) -> None:
    for _ in range(count):
        VehicleFactory(end_depot=DepotFactory())


def _delivery_orders(count: int) -> None:
    for _ in range(count):
        DeliveryOrderFactory()


def _route_plans(count: int) -> None:
    """Solved plans written as the solver stores them: two routes of two stops each."""
    for _ in range(count):
        plan = RoutePlan.objects.create(
            date=dt.date(2026, 3, 2),
            status=RoutePlan.Status.SUCCEEDED,
            job=_job(kind="route_plan"),
            objective={"cost": 42.0},
        )
        for sequence in range(2):
            route = Route.objects.create(
                plan=plan,
                vehicle=VehicleFactory(end_depot=DepotFactory()),
                sequence=sequence,
                start_time=dt.time(8),
                end_time=dt.time(10),
                distance_km=12.5,
                duration_minutes=120,
            )
            for stop in range(2):
                RouteStop.objects.create(
                    route=route,
                    order=DeliveryOrderFactory(),
                    sequence=stop,
                    arrival=dt.time(9, stop * 10),
                    service_start=dt.time(9, stop * 10),
                    departure=dt.time(9, stop * 10 + 5),
                    load_after=3.0 * (stop + 1),
                )


def _forecast_runs(count: int) -> None:
    for _ in range(count):
        user = UserFactory()
        ForecastRunFactory(created_by=user, job=_job(user, kind="forecast_run"))


def _method_overrides(count: int) -> None:
    for _ in range(count):
        MethodOverride.objects.create(
            product=ProductFactory(),
            location=LocationFactory(),
            method="naive",
            created_by=UserFactory(),
        )


def _registry(count: int) -> None:
    run = ForecastRunFactory()
    end = timezone.localdate()
    for _ in range(count):
        ModelRegistryEntry.objects.create(
            product=ProductFactory(),
            location=LocationFactory(),
            method="ses",
            challenger="naive",
            reason="backtest",
            run=run,
            trained_at=timezone.now(),
            data_start=end - dt.timedelta(days=90),
            data_end=end,
            mae=1.0,
        )


def _scenarios(count: int) -> None:
    for i in range(count):
        Scenario.objects.create(
            name=f"scenario {i}",
            base_run=ForecastRunFactory(),
            adjustments=[{"multiplier": 1.1}],
            created_by=UserFactory(),
        )


def _campaigns(count: int) -> None:
    from forecasting.models import Campaign

    for i in range(count):
        campaign = Campaign.objects.create(
            name=f"campaign {i} {Campaign.objects.count()}",
            start=dt.date(2026, 5, 1),
            end=dt.date(2026, 5, 7),
            created_by=UserFactory(),
        )
        campaign.products.add(ProductFactory())
        campaign.categories.add(CategoryFactory())
        campaign.locations.add(LocationFactory())


# (url, seeder, baseline queries of the list request). 8 is the floor of a paginated list:
# the tenant lookup, the JWT's user, COUNT(*) and the page, each after a SET search_path.
# Data sources add their recent sync runs (one prefetch); route plans their routes and stops.
ENDPOINTS: list = [
    pytest.param("/api/v1/users/", _users, 8, id="users"),
    pytest.param("/api/v1/api-keys/", _api_keys, 8, id="api-keys"),
    pytest.param("/api/v1/jobs/", _jobs, 8, id="jobs"),
    pytest.param("/api/v1/audit-log/", _audit_rows, 8, id="audit-log"),
    pytest.param("/api/v1/events/", _events, 8, id="events"),
    pytest.param("/api/v1/uploads/", _uploads, 8, id="uploads"),
    pytest.param("/api/v1/categories/", _categories, 8, id="categories"),
    pytest.param("/api/v1/locations/", _locations, 8, id="locations"),
    # Lists read with .values() (core.lists, ADR 37): the total comes with the page
    # (COUNT(*) OVER ()), so the COUNT(*) and its schema switch go: two queries fewer.
    pytest.param("/api/v1/stock-levels/", _stock_levels, 6, id="stock-levels"),
    pytest.param("/api/v1/stock-movements/", _stock_movements, 8, id="stock-movements"),
    pytest.param("/api/v1/sales-history/", _sales_history, 8, id="sales-history"),
    # Keyset pages (ADR 37): no COUNT(*) and no schema switch before it: two queries fewer.
    pytest.param(
        "/api/v1/stock-movements/?cursor=", _stock_movements, 6, id="stock-movements-cursor"
    ),
    pytest.param("/api/v1/sales-history/?cursor=", _sales_history, 6, id="sales-history-cursor"),
    pytest.param("/api/v1/inventory/exclusions/", _exclusions, 8, id="exclusions"),
    pytest.param("/api/v1/products/", _sellers, 6, id="products"),
    pytest.param("/api/v1/inventory/metrics/", _sellers, 6, id="inventory-metrics"),
    # A filter that may repeat rows (DISTINCT) keeps the separate COUNT(*).
    pytest.param(
        "/api/v1/inventory/metrics/?status=ok&status=reorder_now&status=critical"
        "&status=overstock&status=dead_stock&status=no_data&status=excluded",
        _sellers,
        8,
        id="inventory-metrics-distinct",
    ),
    pytest.param("/api/v1/inventory/simulations/", _simulations, 8, id="simulations"),
    pytest.param("/api/v1/imports/", _imports, 8, id="imports"),
    pytest.param("/api/v1/etl/sources/", _data_sources, 10, id="etl-sources"),
    pytest.param("/api/v1/vehicles/", _vehicles, 8, id="vehicles"),
    pytest.param("/api/v1/delivery-orders/", _delivery_orders, 8, id="delivery-orders"),
    pytest.param("/api/v1/route-plans/", _route_plans, 12, id="route-plans"),
    pytest.param("/api/v1/forecast-runs/", _forecast_runs, 8, id="forecast-runs"),
    pytest.param("/api/v1/method-overrides/", _method_overrides, 8, id="method-overrides"),
    pytest.param("/api/v1/model-registry/", _registry, 8, id="model-registry"),
    pytest.param("/api/v1/scenarios/", _scenarios, 8, id="scenarios"),
    # The campaign's products, categories and locations: one prefetch query each (each
    # with its search_path).
    pytest.param("/api/v1/campaigns/", _campaigns, 14, id="campaigns"),
]


def _list_queries(client, url: str, *, at_least: int) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) >= at_least, body
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize(("url", "seed", "baseline"), ENDPOINTS)
def test_list_query_count_is_fixed_and_at_its_baseline(
    url: str, seed: Callable[[int], None], baseline: int, tenant_admin
):
    client = client_for(HOST_A, tenant_admin)
    seed(FEW)
    few = _list_queries(client, url, at_least=FEW)
    seed(MORE)
    many = _list_queries(client, url, at_least=FEW + MORE)
    assert len(many) == len(few), "\n".join(
        [f"-- {len(few)} queries with {FEW} rows:", *few, f"-- {len(many)} with more:", *many]
    )
    assert len(few) == baseline, "\n".join([f"-- {len(few)} queries, not {baseline}:", *few])
