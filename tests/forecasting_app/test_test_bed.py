"""Model registry, method overrides (honoured across runs, planner-only writes) and the Test
Bed leaderboard and summary."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from catalog.models import Product
from forecasting import services
from forecasting.engine.methods import FAST_METHODS
from forecasting.models import MethodOverride, ModelRegistryEntry, SeriesClassification
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user
from tests.forecasting_app.seed import seed


def _run(**options):
    run = services.forecast_run_start(enqueue=False, **options)
    return services.forecast_run_execute(run_id=run.pk)


@pytest.mark.django_db
def test_overrides_are_honoured_by_every_run_until_removed(planner):
    products, locations = seed()
    client = client_for(HOST_A, planner)
    everywhere = client.post(
        "/api/v1/method-overrides/", {"sku": "FC-A", "method": "croston", "note": "promo"}
    )
    assert everywhere.status_code == 201, everywhere.content
    one_place = client.post(
        "/api/v1/method-overrides/", {"sku": "FC-A", "location": "FC-L2", "method": "naive"}
    )
    assert one_place.status_code == 201, one_place.content
    assert_error(client.post("/api/v1/method-overrides/", {"sku": "FC-A", "method": "ses"}), 400)
    assert_error(client.post("/api/v1/method-overrides/", {"sku": "FC-A", "method": "x"}), 400)
    assert_error(client.post("/api/v1/method-overrides/", {"sku": "NOPE", "method": "ses"}), 400)

    # croston is not among the backtested methods: the run forecasts it for the pin anyway
    for _ in range(2):
        run = _run(horizon=7, methods=["ses", "seasonal_naive"])
        classes = SeriesClassification.objects.filter(run_id=run.pk, product=products[0])
        by_location = {c.location_id: (c.method, c.reason) for c in classes}
        assert by_location[locations[0].pk] == ("croston", "override")
        assert by_location[locations[1].pk] == ("naive", "override")
        others = SeriesClassification.objects.filter(run_id=run.pk).exclude(product=products[0])
        assert not others.filter(reason="override").exists()
        registry = ModelRegistryEntry.objects.get(product=products[0], location=locations[0])
        assert (registry.method, registry.reason, registry.run_id) == (
            "croston",
            "override",
            run.pk,
        )
        assert _stored_methods(run.pk, products[0].pk) == {"croston", "naive"}

    changed = client.patch(
        f"/api/v1/method-overrides/{everywhere.json()['id']}/", {"method": "tsb"}
    )
    assert changed.status_code == 200 and changed.json()["method"] == "tsb"
    assert client.delete(f"/api/v1/method-overrides/{one_place.json()['id']}/").status_code == 204
    run = _run(horizon=7, methods=["ses", "seasonal_naive"])
    methods = dict(
        SeriesClassification.objects.filter(run_id=run.pk, product=products[0]).values_list(
            "location_id", "method"
        )
    )
    assert methods == {locations[0].pk: "tsb", locations[1].pk: "tsb"}


def _stored_methods(run_id, product_id) -> set[str]:
    from forecasting.models import ForecastValue

    return set(
        ForecastValue.objects.filter(run_id=run_id, product_id=product_id).values_list(
            "method", flat=True
        )
    )


@pytest.mark.django_db
def test_viewers_read_overrides_but_cannot_write_them(viewer, planner):
    seed()
    client_for(HOST_A, planner).post("/api/v1/method-overrides/", {"sku": "FC-B", "method": "ses"})
    reader = client_for(HOST_A, viewer)
    listing = reader.get("/api/v1/method-overrides/").json()
    assert listing["count"] == 1 and listing["results"][0]["sku"] == "FC-B"
    assert_error(reader.post("/api/v1/method-overrides/", {"sku": "FC-C", "method": "ses"}), 403)
    pin = listing["results"][0]["id"]
    assert_error(reader.delete(f"/api/v1/method-overrides/{pin}/"), 403)
    assert MethodOverride.objects.count() == 1


@pytest.mark.django_db
def test_leaderboard_ranks_methods_by_rmsse_and_summary_totals(planner):
    seed()
    run = _run(horizon=7)
    client = client_for(HOST_A, planner)
    board = client.get(f"/api/v1/test-bed/leaderboard/?sku=FC-A&run={run.pk}").json()
    assert board["run"] == run.pk and len(board["series"]) == 2
    for series in board["series"]:
        ranked = series["methods"]
        # The fast methods and the combination, ranked by the point score (ADR 23).
        assert [m["rank"] for m in ranked] == list(range(1, len(FAST_METHODS) + 2))
        rmsse = [m["rmsse"] for m in ranked]
        assert rmsse == sorted(rmsse)
        # The choice pools the series' scores with its pattern's: one of the best, by backtest.
        assert series["reason"] == "backtest"
        assert series["method"] in [m["method"] for m in ranked[:3]]
    one = client.get("/api/v1/test-bed/leaderboard/?sku=FC-A&location=FC-L1").json()
    assert [s["location"] for s in one["series"]] == ["FC-L1"]
    assert_error(client.get("/api/v1/test-bed/leaderboard/"), 400)
    assert_error(client.get("/api/v1/test-bed/leaderboard/?sku=FC-A&location=NOPE"), 404)

    summary = client.get("/api/v1/test-bed/summary/").json()
    assert summary["series"] == 6
    assert sum(p["series"] for p in summary["patterns"]) == 6
    assert sum(p["series"] for p in summary["abc"]) == 6
    assert {m["method"] for m in summary["methods"]} == {*FAST_METHODS, "combo"}
    assert sum(m["wins"] for m in summary["methods"]) == 6
    assert sum(m["selected_series"] for m in summary["methods"]) == 6
    assert sum(c["selected_series"] for c in summary["matrix"]) == 6

    registry = client.get("/api/v1/model-registry/?sku=FC-A").json()
    assert registry["count"] == 2
    assert {r["method"] for r in registry["results"]} <= {*FAST_METHODS, "combo"}


@pytest.mark.django_db
def test_registry_and_overrides_stay_in_their_tenant(tenant_a, tenant_b, planner):
    seed()
    _run(horizon=7, methods=["naive"])
    pin = services.method_override_save(product=Product.objects.get(sku="FC-A"), method="ses")
    with schema_context(tenant_b.schema_name):
        intruder = make_user("admin")
    other = client_for(HOST_B, intruder)
    assert other.get("/api/v1/model-registry/").json()["count"] == 0
    assert other.get("/api/v1/method-overrides/").json()["count"] == 0
    assert_error(other.delete(f"/api/v1/method-overrides/{pin.pk}/"), 404)
    assert_error(other.get("/api/v1/test-bed/leaderboard/?sku=FC-A"), 404)
    with schema_context(tenant_a.schema_name):
        assert MethodOverride.objects.filter(pk=pin.pk).exists()


@pytest.mark.django_db
def test_settings_members_read_admins_write(viewer, tenant_admin, planner):
    reader = client_for(HOST_A, viewer)
    assert reader.get("/api/v1/forecast-settings/").json()["retrain_interval_days"] == 7
    assert_error(reader.put("/api/v1/forecast-settings/", {"retrain_interval_days": 3}), 403)
    assert_error(
        client_for(HOST_A, planner).put("/api/v1/forecast-settings/", {"horizon_days": 3}), 403
    )
    admin = client_for(HOST_A, tenant_admin)
    changed = admin.put("/api/v1/forecast-settings/", {"retrain_interval_days": 3})
    assert changed.status_code == 200 and changed.json()["retrain_interval_days"] == 3
    assert_error(admin.put("/api/v1/forecast-settings/", {"horizon_days": 0}), 400)
    assert_error(admin.put("/api/v1/forecast-settings/", {"drift_threshold": 0.5}), 400)
    assert services.forecast_settings_get().retrain_interval_days == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/v1/method-overrides/", "/api/v1/model-registry/", "/api/v1/scenarios/"]
)
def test_list_endpoints_have_a_fixed_query_count(url, planner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    products, locations = seed()
    run = _run(horizon=7, methods=["naive"])
    client = client_for(HOST_A, planner)

    def add(count: int) -> None:
        for i in range(count):
            product = products[i % 3]
            location = locations[i // 3] if i >= 3 else None
            if not MethodOverride.objects.filter(product=product, location=location).exists():
                services.method_override_save(
                    product=product, location=location, method="ses", user=planner
                )
            services.scenario_create(
                name=f"s{i}", base_run=run, adjustments=[{"multiplier": 1.1}], user=planner
            )

    add(1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(5)
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).json()
    assert body["count"] >= 2
    assert len(many) == len(few)
