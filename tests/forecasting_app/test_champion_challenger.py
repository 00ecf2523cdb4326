"""Champion / challenger and live accuracy (ADR 38): a challenger is stored in shadow and never
served, live scores on a hand-computed case, automatic promotion and rejection with the
evidence kept, a planner's promotion through the API, tenant isolation, and the drift re-fit
of only the SKUs that drifted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from catalog.models import DemandHistory, Location, Product
from forecasting import selectors, services
from forecasting.models import (
    ForecastRun,
    ForecastValue,
    LiveScore,
    ModelRegistryEntry,
    ModelVersion,
    SeriesClassification,
)
from forecasting.services.chunks import serving_plan
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user
from tests.forecasting_app.seed import END, seed

METHODS = ["naive", "seasonal_naive", "ses"]


def _run(**options) -> ForecastRun:
    run = services.forecast_run_start(enqueue=False, **options)
    return services.forecast_run_execute(run_id=run.pk)


def _names(*values: str) -> np.ndarray:
    return np.array(values, dtype=object)


def test_serving_plan_keeps_the_champion_and_shadows_the_backtest_pick():
    chosen, reason, shadow = serving_plan(
        recommended=_names("ses", "ses", "ses", "ses", "naive"),
        recommended_reason=_names("backtest", "backtest", "backtest", "backtest", "fallback"),
        pinned=_names("", "", "", "sba", ""),
        champion=_names("", "ses", "naive", "naive", "naive"),
        challenger=_names("", "", "", "", "croston"),
    )
    # new series: the pick; same as champion: no trial; champion kept, pick in shadow; a pin
    # is served without a challenger; a trial on the way stays until decided
    assert chosen.tolist() == ["ses", "ses", "naive", "sba", "naive"]
    assert reason.tolist() == ["backtest", "backtest", "champion", "override", "fallback"]
    assert shadow.tolist() == ["", "", "ses", "", "croston"]


def _champions_then_challengers():
    """Run 1 with naive only makes naive the champion everywhere; run 2 with more methods
    shadows the backtest's pick where it differs. Returns (run 2, challenged classes)."""
    seed()
    _run(horizon=14, methods=["naive"])
    assert set(ModelRegistryEntry.objects.values_list("method", flat=True)) == {"naive"}
    run = _run(horizon=14, methods=METHODS)
    challenged = list(SeriesClassification.objects.filter(run_id=run.pk).exclude(challenger=""))
    assert challenged, "the backtest should prefer another method somewhere"
    return run, challenged


def _actuals(run: ForecastRun, days: int, follow: dict) -> None:
    """Actuals for the first ``days`` forecast days: each series follows the stored values of
    the method ``follow[(product, location)]`` (to the cent)."""
    rows = []
    values = ForecastValue.objects.filter(
        run_id=run.pk, date__lte=run.data_end + dt.timedelta(days=days)
    )
    for v in values:
        if follow.get((v.product_id, v.location_id)) == v.method and v.forecast > 0:
            rows.append(
                DemandHistory(
                    product_id=v.product_id,
                    location_id=v.location_id,
                    date=v.date,
                    quantity=Decimal(str(round(v.forecast, 2))),
                )
            )
    DemandHistory.objects.bulk_create(rows)


@pytest.mark.django_db
def test_a_challenger_runs_in_shadow_and_is_never_served():
    run, challenged = _champions_then_challengers()
    policy = selectors.latest_forecast_for_policy()
    exported = list(selectors.forecast_export_rows())
    assert {row[3] for row in exported} == {"naive"}  # the export reads the champion
    for c in challenged:
        assert (c.method, c.reason) == ("naive", "champion") and c.challenger not in ("", "naive")
        served = ForecastValue.objects.filter(
            run_id=run.pk, product_id=c.product_id, location_id=c.location_id, selected=True
        )
        assert set(served.values_list("method", flat=True)) == {"naive"}
        shadow = ForecastValue.objects.filter(
            run_id=run.pk, product_id=c.product_id, location_id=c.location_id, selected=False
        )
        assert shadow.count() == 14 and set(shadow.values_list("method", flat=True)) == {
            c.challenger
        }
        at = np.flatnonzero(
            (policy.product_id == c.product_id) & (policy.location_id == c.location_id)
        )
        naive_mean = np.mean([v.forecast for v in served])
        assert policy.mean_daily[at[0]] == pytest.approx(naive_mean)
        versions = ModelVersion.objects.filter(product_id=c.product_id, location_id=c.location_id)
        champion = versions.get(status="champion")
        assert (champion.method, champion.promotion) == ("naive", "initial")
        challenger = versions.get(status="challenger")
        assert challenger.method == c.challenger and challenger.run_id == run.pk
        assert challenger.promoted_at is None and challenger.rmse is not None
    entry = ModelRegistryEntry.objects.get(
        product_id=challenged[0].product_id, location_id=challenged[0].location_id
    )
    assert (entry.method, entry.challenger) == ("naive", challenged[0].challenger)


def _hand_case():
    """Two runs of one series, values and actuals small enough to score by hand."""
    product = Product.objects.create(sku="LIVE-1", name="Live")
    location = Location.objects.create(code="LIVE-L", name="Live")
    origin = dt.date(2026, 3, 1)

    def day(offset):
        return origin + dt.timedelta(days=offset)

    sales = {-6: 8, -5: 4, -4: 6, 1: 10, 3: 5, 4: 7}  # day +2 has no row: zero demand
    DemandHistory.objects.bulk_create(
        DemandHistory(
            product=product,
            location=location,
            date=day(offset),
            quantity=Decimal(q),
            stockout=True if offset == 4 else None,  # censored: not scored
        )
        for offset, q in sales.items()
    )
    now = timezone.now()
    runs = []
    for index, (end, values, challenger) in enumerate(
        (
            (0, {"m1": [9, 2, 5], "m2": [10, 1, 8], "m3": [0, 0, 0]}, "m2"),
            (2, {"m1": [4, 7, 100]}, ""),
        )
    ):
        run = ForecastRun.objects.create(
            horizon=3,
            status="succeeded",
            data_start=day(-30),
            data_end=day(end),
            finished_at=now + dt.timedelta(minutes=index),
        )
        runs.append(run)
        SeriesClassification.objects.create(
            run=run,
            product=product,
            location=location,
            pattern="smooth",
            xyz="X",
            method="m1",
            challenger=challenger,
            reason="backtest",
        )
        ForecastValue.objects.bulk_create(
            ForecastValue(
                run=run,
                product=product,
                location=location,
                date=day(end + 1 + h),
                method=method,
                selected=method == "m1",
                forecast=f,
                p05=f,
                p10=f,
                p50=f,
                p90=f,
                p95=f,
            )
            for method, forecasts in values.items()
            for h, f in enumerate(forecasts)
        )
    return product, runs


@pytest.mark.django_db
def test_live_scores_match_a_hand_computed_case(tenant_b):
    product, (first, second) = _hand_case()
    assert services.live_scores_update() == 3  # m1 and m2 of run 1, m1 of run 2 (not m3)
    scores = {(s.run_id, s.method): s for s in LiveScore.objects.filter(product=product)}
    assert set(scores) == {(first.pk, "m1"), (first.pk, "m2"), (second.pk, "m1")}
    # run 1 served days +1, +2 (run 2 took over); actuals 10, 0; naive = days −6, −5
    m1 = scores[(first.pk, "m1")]
    assert (m1.days, m1.actual, m1.abs_error, m1.error, m1.squared_error) == (2, 10, 3, 1, 5)
    assert m1.naive_abs_error == 6 and m1.served and m1.pattern == "smooth"
    assert (m1.first_date, m1.last_date) == (dt.date(2026, 3, 2), dt.date(2026, 3, 3))
    m2 = scores[(first.pk, "m2")]
    assert (m2.days, m2.abs_error, m2.error, m2.served) == (2, 1, 1, False)
    # run 2 served day +3 (actual 5, naive = day −4 = 6); day +4 is a flagged stockout
    late = scores[(second.pk, "m1")]
    assert (late.days, late.actual, late.abs_error, late.error, late.naive_abs_error) == (
        1,
        5,
        1,
        -1,
        1,
    )
    assert services.live_scores_update() == 0  # both windows are scored to their end

    summary = selectors.live_accuracy_summary(weeks=4)
    tenant = summary["tenant"]
    assert tenant["days"] == 3 and summary["series"] == 1
    assert tenant["wape"] == pytest.approx(4 / 15, abs=1e-6)
    assert tenant["bias"] == pytest.approx(0.0, abs=1e-6)
    assert tenant["mae"] == pytest.approx(4 / 3, abs=1e-6)
    assert tenant["fva"] == pytest.approx(1 - 4 / 7, abs=1e-6)
    assert [c["pattern"] for c in summary["by_class"]] == ["smooth"]
    assert [m["method"] for m in summary["by_method"]] == ["m1"]

    planner = make_user("viewer")
    body = client_for(HOST_A, planner).get("/api/v1/live-accuracy/?weeks=4").json()
    assert body["tenant"]["wape"] == pytest.approx(4 / 15, abs=1e-6) and body["series"] == 1
    rows = client_for(HOST_A, planner).get("/api/v1/live-accuracy/series/?sku=LIVE-1").json()
    assert rows["count"] == 1
    assert rows["results"][0]["wape"] == pytest.approx(4 / 15, abs=1e-6)
    assert rows["results"][0]["fva"] == pytest.approx(1 - 4 / 7, abs=1e-6)

    with schema_context(tenant_b.schema_name):  # tenant B sees none of A's scores
        intruder = make_user("admin")
    other = client_for(HOST_B, intruder)
    body = other.get("/api/v1/live-accuracy/").json()
    assert body["series"] == 0 and body["tenant"]["days"] == 0
    assert other.get("/api/v1/live-accuracy/series/").json()["count"] == 0
    assert other.get("/api/v1/live-accuracy/series/?weeks=0").status_code == 400


@pytest.mark.django_db
def test_a_challenger_that_beats_the_champion_live_is_promoted_with_its_evidence():
    run, challenged = _champions_then_challengers()
    services.forecast_settings_update(challenger_weeks=1)
    follow = {(c.product_id, c.location_id): c.challenger for c in challenged}
    others = SeriesClassification.objects.filter(run_id=run.pk, challenger="")
    follow.update({(c.product_id, c.location_id): c.method for c in others})
    _actuals(run, 6, follow)
    services.live_scores_update()
    assert services.challengers_decide().as_dict() == {
        "trials": len(challenged),
        "promoted": 0,  # six days are not a week yet
        "rejected": 0,
    }
    _actuals_day(run, 7, follow)
    services.live_scores_update()
    decision = services.challengers_decide()
    assert (decision.promoted, decision.rejected) == (len(challenged), 0)

    policy = selectors.latest_forecast_for_policy()
    for c in challenged:
        pair = {"product_id": c.product_id, "location_id": c.location_id}
        entry = ModelRegistryEntry.objects.get(**pair)
        assert (entry.method, entry.challenger, entry.reason) == (c.challenger, "", "champion")
        new = ModelVersion.objects.get(status="champion", **pair)
        old = ModelVersion.objects.get(status="retired", method="naive", **pair)
        assert new.method == c.challenger and new.promotion == "automatic"
        assert new.promoted_by is None and new.promoted_at is not None
        assert old.retired_reason == "beaten" and old.evidence == new.evidence
        evidence = new.evidence
        assert evidence["days"] == 7 and evidence["runs"] == 1
        assert evidence["challenger"]["method"] == c.challenger
        assert evidence["challenger"]["wape"] < evidence["champion"]["wape"]
        # from now on the latest run serves the new champion: inventory reads it
        served = ForecastValue.objects.filter(run_id=run.pk, selected=True, **pair)
        assert set(served.values_list("method", flat=True)) == {c.challenger}
        at = np.flatnonzero(
            (policy.product_id == c.product_id) & (policy.location_id == c.location_id)
        )
        assert policy.mean_daily[at[0]] == pytest.approx(np.mean([v.forecast for v in served]))
        assert SeriesClassification.objects.get(run_id=run.pk, **pair).method == c.challenger


def _actuals_day(run: ForecastRun, day: int, follow: dict) -> None:
    rows = []
    date = run.data_end + dt.timedelta(days=day)
    for v in ForecastValue.objects.filter(run_id=run.pk, date=date):
        if follow.get((v.product_id, v.location_id)) == v.method and v.forecast > 0:
            rows.append(
                DemandHistory(
                    product_id=v.product_id,
                    location_id=v.location_id,
                    date=v.date,
                    quantity=Decimal(str(round(v.forecast, 2))),
                )
            )
    DemandHistory.objects.bulk_create(rows)


@pytest.mark.django_db
def test_a_challenger_that_does_not_beat_the_champion_is_rejected_and_never_served():
    run, challenged = _champions_then_challengers()
    services.forecast_settings_update(challenger_weeks=1)
    champions = {
        (c.product_id, c.location_id): c.method
        for c in SeriesClassification.objects.filter(run_id=run.pk)
    }
    _actuals(run, 8, champions)  # the champion was right
    services.live_scores_update()
    decision = services.challengers_decide()
    assert (decision.promoted, decision.rejected) == (0, len(challenged))
    for c in challenged:
        pair = {"product_id": c.product_id, "location_id": c.location_id}
        assert ModelRegistryEntry.objects.get(**pair).challenger == ""
        rejected = ModelVersion.objects.get(method=c.challenger, **pair)
        assert (rejected.status, rejected.retired_reason) == ("retired", "rejected")
        evidence = rejected.evidence
        assert evidence["days"] == 8 and evidence["champion"]["method"] == "naive"
        assert evidence["champion"]["mae"] == 0 < evidence["challenger"]["mae"]
        assert ModelVersion.objects.get(status="champion", **pair).method == "naive"
    assert {r[3] for r in selectors.forecast_export_rows()} == {"naive"}


@pytest.mark.django_db
def test_a_planner_promotes_a_challenger_through_the_api(tenant_a, tenant_b):
    run, challenged = _champions_then_challengers()
    entry = ModelRegistryEntry.objects.get(
        product_id=challenged[0].product_id, location_id=challenged[0].location_id
    )
    url = f"/api/v1/model-registry/{entry.pk}/promote/"
    assert client_for(HOST_A, make_user("viewer")).post(url).status_code == 403
    with schema_context(tenant_b.schema_name):
        intruder = make_user("admin")
    assert client_for(HOST_B, intruder).post(url).status_code == 404
    connection.set_tenant(tenant_a)  # the request left the connection on tenant B
    assert ModelRegistryEntry.objects.get(pk=entry.pk).method == "naive"  # nothing changed

    planner = make_user("planner")
    client = client_for(HOST_A, planner)
    trials = client.get("/api/v1/challengers/").json()
    assert trials["count"] == len(challenged)
    assert {t["id"] for t in trials["results"]} >= {entry.pk}
    response = client.post(url)
    assert response.status_code == 200, response.content
    assert response.json()["method"] == challenged[0].challenger
    assert response.json()["challenger"] == ""
    version = ModelVersion.objects.get(
        status="champion", product_id=entry.product_id, location_id=entry.location_id
    )
    assert (version.promotion, version.promoted_by_id) == ("planner", planner.pk)
    assert version.evidence["challenger"]["method"] == challenged[0].challenger
    assert version.evidence["days"] == 0  # promoted before any actual arrived: kept as is
    served = ForecastValue.objects.filter(
        run_id=run.pk, product_id=entry.product_id, location_id=entry.location_id, selected=True
    )
    assert set(served.values_list("method", flat=True)) == {challenged[0].challenger}
    assert client.post(url).status_code == 409  # no challenger on trial any more
    versions = client.get(f"/api/v1/model-versions/?sku={entry.product.sku}").json()
    assert {v["status"] for v in versions["results"]} >= {"champion", "retired"}
    assert client_for(HOST_B, intruder).get("/api/v1/model-versions/").json()["count"] == 0
    connection.set_tenant(tenant_a)

    # the next run keeps the promoted champion
    later = _run(horizon=14, methods=METHODS)
    kept = SeriesClassification.objects.get(
        run_id=later.pk, product_id=entry.product_id, location_id=entry.location_id
    )
    assert kept.method == challenged[0].challenger


@pytest.mark.django_db
def test_drift_refits_only_the_skus_that_drifted():
    products, locations = seed()
    first = _run(horizon=14, methods=["naive", "ses", "seasonal_naive", "sba"])
    jumped = (products[0].pk, locations[0].pk)
    rows = []
    for v in ForecastValue.objects.filter(
        run_id=first.pk, selected=True, date__lte=END + dt.timedelta(days=10)
    ):
        quantity = round(v.forecast) * (10 if (v.product_id, v.location_id) == jumped else 1)
        if quantity:
            rows.append(
                DemandHistory(
                    product_id=v.product_id,
                    location_id=v.location_id,
                    date=v.date,
                    quantity=Decimal(quantity),
                )
            )
    DemandHistory.objects.bulk_create(rows)
    result = services.forecast_drift_check()
    assert result.flagged == 1
    refit = ForecastRun.objects.get(pk=result.retrain_run_id)
    assert refit.parameters["products"] == [products[0].pk]
    assert refit.parameters["base_run"] == first.pk
    assert services.forecast_run_plan_chunks(run_id=refit.pk) == [[products[0].pk]]
    refit = services.forecast_run_execute(run_id=refit.pk)
    assert refit.status == "succeeded" and refit.series_count == 2  # one SKU, two locations

    def stored(run, product_ids):
        return sorted(
            ForecastValue.objects.filter(
                run_id=run.pk, product_id__in=product_ids, selected=True
            ).values_list("product_id", "location_id", "date", "method", "forecast")
        )

    untouched = [products[1].pk, products[2].pk]
    assert stored(refit, untouched) == stored(first, untouched)  # carried over unchanged
    again = stored(refit, [products[0].pk])
    assert again and min(r[2] for r in again) == END + dt.timedelta(days=11)  # re-fitted
    assert SeriesClassification.objects.filter(run_id=refit.pk).count() == 6
    # the newest run still holds every served forecast: inventory reads all six series
    assert selectors.latest_forecast_for_policy().product_id.size == 6
    registry = {(r.product_id, r.run_id) for r in ModelRegistryEntry.objects.all()}
    assert registry == {
        (products[0].pk, refit.pk),
        (products[1].pk, first.pk),
        (products[2].pk, first.pk),
    }


@pytest.mark.django_db
def test_the_pages_show_live_accuracy_and_trials_and_a_planner_promotes(tenant_a):
    from django.test import Client

    run, challenged = _champions_then_challengers()
    services.forecast_settings_update(challenger_weeks=2)
    follow = {
        (c.product_id, c.location_id): c.method
        for c in SeriesClassification.objects.filter(run_id=run.pk)
    }
    _actuals(run, 7, follow)
    services.live_scores_update()
    viewer = Client(HTTP_HOST=HOST_A)
    viewer.force_login(make_user("viewer"))
    html = viewer.get("/app/test-bed/").content.decode()
    assert 'id="live-cards"' in html and 'id="challenger-trials"' in html
    assert "Promote" not in html  # a viewer reads only
    assert f"{len(challenged)} challenger" in html
    first = challenged[0]
    entry = ModelRegistryEntry.objects.get(
        product_id=first.product_id, location_id=first.location_id
    )
    page = viewer.get(f"/app/products/{first.product_id}/forecast/").content.decode()
    assert 'id="product-live"' in page and first.challenger in page
    url = f"/app/test-bed/promote/{entry.pk}/"
    assert viewer.post(url, {"next": "product"}).status_code == 403

    planner = Client(HTTP_HOST=HOST_A)
    planner.force_login(make_user("planner"))
    assert "Promote" in planner.get("/app/test-bed/").content.decode()
    response = planner.post(url, {"next": "product"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"/app/products/{first.product_id}/forecast/")
    version = ModelVersion.objects.get(
        status="champion", product_id=first.product_id, location_id=first.location_id
    )
    assert version.method == first.challenger and version.promotion == "planner"
    assert version.evidence["days"] == 7
    assert planner.post(url).status_code == 409


@pytest.mark.django_db
def test_the_trial_length_is_a_forecast_setting():
    admin = client_for(HOST_A, make_user("admin"))
    assert admin.get("/api/v1/forecast-settings/").json()["challenger_weeks"] == 4
    assert admin.put("/api/v1/forecast-settings/", {"challenger_weeks": 0}).status_code == 400
    assert admin.put("/api/v1/forecast-settings/", {"challenger_margin": 2}).status_code == 400
    changed = admin.put(
        "/api/v1/forecast-settings/", {"challenger_weeks": 6, "challenger_auto_promote": False}
    )
    assert changed.status_code == 200
    settings = services.forecast_settings_get()
    assert (settings.challenger_weeks, settings.challenger_auto_promote) == (6, False)


def _unchallenged_entry() -> ModelRegistryEntry:
    """After a first run with naive only: every series has naive as champion, no challenger."""
    seed()
    _run(horizon=14, methods=["naive"])
    return ModelRegistryEntry.objects.select_related("product", "location").order_by("pk")[0]


@pytest.mark.django_db
def test_a_planner_nominates_a_challenger_that_the_next_run_shadows(tenant_a, tenant_b):
    from core.models import AuditLog

    entry = _unchallenged_entry()
    url = f"/api/v1/model-registry/{entry.pk}/challenge/"
    body = {"method": "theta"}
    assert_error(client_for(HOST_A, make_user("viewer")).post(url, body, format="json"), 403)
    with schema_context(tenant_b.schema_name):
        intruder = make_user("admin")
    assert_error(client_for(HOST_B, intruder).post(url, body, format="json"), 404)
    connection.set_tenant(tenant_a)
    assert ModelRegistryEntry.objects.get(pk=entry.pk).challenger == ""

    planner = make_user("planner")
    client = client_for(HOST_A, planner)
    error = assert_error(client.post(url, {"method": "prophet"}, format="json"), 400)
    assert "method" in error["details"]
    assert_error(client.post(url, {}, format="json"), 400)
    assert_error(client.post(url, {"method": "naive"}, format="json"), 400)  # the champion
    assert not ModelVersion.objects.filter(status="challenger").exists()  # wrote nothing

    response = client.post(url, body, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["method"], response.json()["challenger"]) == ("naive", "theta")
    pair = {"product_id": entry.product_id, "location_id": entry.location_id}
    version = ModelVersion.objects.get(status="challenger", **pair)
    assert version.method == "theta" and version.evidence["nominated_by"] == planner.email
    assert AuditLog.objects.filter(
        object_type="forecasting.modelregistryentry",
        object_id=str(entry.pk),
        changes__challenger=["", "theta"],
    ).exists()

    # another challenger on trial: 409 naming it, unless replace
    error = assert_error(client.post(url, {"method": "ses"}, format="json"), 409)
    assert "theta" in error["message"]
    response = client.post(url, {"method": "ses", "replace": True}, format="json")
    assert response.status_code == 200 and response.json()["challenger"] == "ses"
    withdrawn = ModelVersion.objects.get(status="retired", method="theta", **pair)
    assert withdrawn.retired_reason == "withdrawn"

    # the next run (theta, ses not among its methods) shadows the nominee, serves the champion
    run = _run(horizon=14, methods=["naive"])
    values = ForecastValue.objects.filter(run_id=run.pk, **pair)
    assert set(values.filter(selected=True).values_list("method", flat=True)) == {"naive"}
    assert set(values.filter(selected=False).values_list("method", flat=True)) == {"ses"}
    assert values.filter(selected=False).count() == 14
    kept = SeriesClassification.objects.get(run_id=run.pk, **pair)
    assert (kept.method, kept.challenger) == ("naive", "ses")
    assert ModelVersion.objects.get(status="challenger", **pair).method == "ses"
    assert {r[3] for r in selectors.forecast_export_rows()} == {"naive"}
    # scored live like any challenger: actuals that follow ses, then the decision promotes
    services.forecast_settings_update(challenger_weeks=1)
    _actuals(run, 8, {(entry.product_id, entry.location_id): "ses"})
    services.live_scores_update()
    assert LiveScore.objects.filter(run_id=run.pk, method="ses", **pair).exists()
    services.challengers_decide()
    assert ModelVersion.objects.get(status="champion", **pair).method == "ses"


@pytest.mark.django_db
def test_a_pinned_series_has_no_challenger_and_keys_need_the_write_scope(tenant_a):
    from rest_framework.test import APIClient

    from accounts.services import api_key_create

    entry = _unchallenged_entry()
    url = f"/api/v1/model-registry/{entry.pk}/challenge/"
    admin = make_user("admin")
    _, raw = api_key_create(user=admin, name="reader", scopes=["forecasting:read"])
    reader = APIClient(HTTP_HOST=HOST_A, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert_error(reader.post(url, {"method": "ses"}, format="json"), 403, "api_key_scope_missing")
    _, raw = api_key_create(
        user=admin, name="writer", scopes=["forecasting:read", "forecasting:write"]
    )
    writer = APIClient(HTTP_HOST=HOST_A, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert writer.post(url, {"method": "ses"}, format="json").status_code == 200

    services.method_override_save(
        product=entry.product, location=None, method="croston", note="", user=admin
    )
    error = assert_error(writer.post(url, {"method": "ses", "replace": True}, format="json"), 409)
    assert "pin" in error["message"]


@pytest.mark.django_db
def test_a_planner_nominates_from_the_product_page(tenant_a):
    from django.test import Client

    entry = _unchallenged_entry()
    viewer = Client(HTTP_HOST=HOST_A)
    viewer.force_login(make_user("viewer"))
    page = viewer.get(f"/app/products/{entry.product_id}/forecast/").content.decode()
    assert "Nominate" not in page
    url = f"/app/test-bed/challenge/{entry.pk}/"
    assert viewer.post(url, {"method": "ses"}).status_code == 403

    planner = Client(HTTP_HOST=HOST_A)
    planner.force_login(make_user("planner"))
    page = planner.get(f"/app/products/{entry.product_id}/forecast/").content.decode()
    assert "Nominate" in page and "<script>" not in page
    assert planner.post(url, {"method": "nope"}).status_code == 400
    response = planner.post(url, {"method": "ses"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"/app/products/{entry.product_id}/forecast/")
    assert ModelRegistryEntry.objects.get(pk=entry.pk).challenger == "ses"
    assert planner.post(url, {"method": "theta"}).status_code == 409
    assert planner.post(url, {"method": "theta", "replace": "1"}).status_code == 302
    assert ModelRegistryEntry.objects.get(pk=entry.pk).challenger == "theta"
