"""Campaigns (ADR 32): the API (planners write, viewers read, bad input 400, tenancy), the
``promotions`` import (row-level report, nothing written from a bad file, re-import changes
nothing) and export, the sales ``stockout`` column, and a run whose future campaign days
are lifted by the uplift its past campaigns show."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from catalog.models import Category, DemandHistory, Location, Product
from etl.exports import export_content
from etl.importing import run_import
from forecasting import selectors, services
from forecasting.models import Campaign, ForecastValue, SeriesClassification
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user
from tests.forecasting_app.seed import END, seed

pytestmark = pytest.mark.django_db


def load(kind: str, text: str):
    data = text.encode()
    return run_import(kind=kind, stream=io.BytesIO(data), size=len(data))


def test_planners_create_change_and_delete_campaigns_viewers_only_read(planner, viewer):
    seed()
    drinks = Category.objects.get(name="FC Drinks")
    client = client_for(HOST_A, planner)
    body = {
        "name": "Summer",
        "kind": "display",
        "start": "2026-05-03",
        "end": "2026-05-09",
        "skus": ["FC-C"],
        "categories": [drinks.pk],
        "locations": ["FC-L1"],
        "expected_uplift": "0.25",
    }
    made = client.post("/api/v1/campaigns/", body, format="json")
    assert made.status_code == 201, made.content
    campaign = made.json()
    assert (campaign["skus"], campaign["categories"], campaign["locations"]) == (
        ["FC-C"],
        [drinks.pk],
        ["FC-L1"],
    )
    assert campaign["created_by"] == planner.email and campaign["expected_uplift"] == "0.2500"
    url = f"/api/v1/campaigns/{campaign['id']}/"
    changed = client.patch(url, {"end": "2026-05-12", "locations": []}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["end"] == "2026-05-12" and changed.json()["locations"] == []
    assert changed.json()["skus"] == ["FC-C"]  # untouched links stay

    reader = client_for(HOST_A, viewer)
    assert reader.get("/api/v1/campaigns/?kind=display").json()["count"] == 1
    assert reader.get(url).json()["name"] == "Summer"
    assert_error(reader.post("/api/v1/campaigns/", {**body, "name": "x"}, format="json"), 403)
    assert_error(reader.patch(url, {"end": "2026-06-01"}, format="json"), 403)
    assert_error(reader.delete(url), 403)
    assert client.delete(url).status_code == 204
    assert not Campaign.objects.exists()


def test_bad_campaigns_are_rejected_with_the_envelope_and_write_nothing(planner):
    seed()
    client = client_for(HOST_A, planner)
    good = {"name": "A", "start": "2026-05-03", "end": "2026-05-09", "skus": ["FC-A"]}
    assert client.post("/api/v1/campaigns/", good, format="json").status_code == 201
    for wrong, field in (
        ({**good, "name": "B", "end": "2026-05-01"}, "end"),
        ({**good, "name": "B", "skus": []}, "products"),
        ({**good, "name": "B", "skus": ["NOPE"]}, "skus"),
        ({**good, "name": "B", "expected_uplift": "-1"}, "expected_uplift"),
        ({**good, "name": "B", "kind": "rain dance"}, "kind"),
        ({**good}, "name"),  # the name is taken
    ):
        error = assert_error(client.post("/api/v1/campaigns/", wrong, format="json"), 400)
        assert field in error["details"], error
    assert Campaign.objects.count() == 1


def test_campaigns_stay_in_their_tenant(tenant_a, tenant_b, planner):
    seed()
    mine = services.campaign_save(
        name="Alpha only", start=END, end=END, products=Product.objects.filter(sku="FC-A")
    )
    with schema_context(tenant_b.schema_name):
        seed()
        intruder = make_user("admin")
        theirs = services.campaign_save(
            name="Beta only", start=END, end=END, products=Product.objects.filter(sku="FC-B")
        )
    client = client_for(HOST_B, intruder)
    listing = client.get("/api/v1/campaigns/").json()
    assert [c["name"] for c in listing["results"]] == ["Beta only"]
    seen = client.get(f"/api/v1/campaigns/{mine.pk}/")
    # An id of A's is B's own campaign (ids repeat across schemas) or not found.
    assert seen.status_code == 404 or seen.json()["name"] == "Beta only"
    client.patch(f"/api/v1/campaigns/{mine.pk}/", {"name": "hijacked"}, format="json")
    client.delete(f"/api/v1/campaigns/{mine.pk}/")
    with schema_context(tenant_a.schema_name):
        assert Campaign.objects.get(pk=mine.pk).name == "Alpha only"
    assert theirs.pk


PROMOTIONS = (
    "name,start,end,sku,category,location,uplift\n"
    "Spring,2026-03-02,2026-03-08,FC-A,,FC-L1,0.4\n"
    "Spring,2026-03-02,2026-03-08,,FC Food,,\n"
    "Easter,2026-04-03,2026-04-06,FC-B,,,\n"
)


def test_promotions_import_groups_rows_by_name_and_reimport_changes_nothing():
    seed()
    report = load("promotions", PROMOTIONS)
    assert report.status == "imported", report.errors
    assert (report.inserted, report.updated) == (2, 0)
    spring = Campaign.objects.get(name="Spring")
    assert (spring.start, spring.end, spring.expected_uplift) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 8),
        Decimal("0.4"),
    )
    assert [p.sku for p in spring.products.all()] == ["FC-A"]
    assert [c.name for c in spring.categories.all()] == ["FC Food"]
    assert [loc.code for loc in spring.locations.all()] == ["FC-L1"]
    again = load("promotions", PROMOTIONS)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    narrowed = load(
        "promotions", "name,start,end,sku,category\nSpring,2026-03-02,2026-03-09,FC-B,\n"
    )
    assert (narrowed.inserted, narrowed.updated) == (0, 1)
    spring.refresh_from_db()
    assert spring.end == dt.date(2026, 3, 9)
    assert [p.sku for p in spring.products.all()] == ["FC-B"] and not spring.categories.exists()

    exported = b"".join(export_content(kind="promotions", file_format="csv")).decode()
    assert exported.splitlines()[0] == "name,start,end,sku,category,location,uplift"
    assert "Easter,2026-04-03,2026-04-06,FC-B,,," in exported
    assert load("promotions", exported).updated == 0  # the export imports back unchanged


@pytest.mark.parametrize(
    ("text", "row", "column", "why"),
    [
        ("X,2026-03-02,2026-03-08,FC-A,FC Food,,\n", 2, "sku", "exactly one"),
        ("X,2026-03-02,2026-03-08,,,,\n", 2, "sku", "exactly one"),
        ("X,2026-03-08,2026-03-02,FC-A,,,\n", 2, "end", "before start"),
        ("X,2026-03-02,2026-03-08,NOPE,,,\n", 2, "sku", "unknown SKU"),
        ("X,2026-03-02,2026-03-08,,Nope,,\n", 2, "category", "unknown category"),
        ("X,2026-03-02,2026-03-08,FC-A,,NOWHERE,\n", 2, "location", "unknown location"),
        ("X,2026-03-02,2026-03-08,FC-A,,,-1\n", 2, "uplift", ""),
        ("X,2026-03-02,03/08/2026,FC-A,,,\n", 2, "end", "ISO"),
        (
            "X,2026-03-02,2026-03-08,FC-A,,,\nX,2026-03-02,2026-03-09,FC-B,,,\n",
            3,
            "start",
            "another",
        ),
        (
            "X,2026-03-02,2026-03-08,FC-A,,,0.1\nX,2026-03-02,2026-03-08,FC-B,,,0.2\n",
            3,
            "uplift",
            "",
        ),
        (
            "X,2026-03-02,2026-03-08,FC-A,,,\nX,2026-03-02,2026-03-08,FC-A,,,\n",
            3,
            "name",
            "duplicate",
        ),
    ],
)
def test_bad_promotion_rows_are_reported_and_nothing_is_written(text, row, column, why):
    seed()
    report = load("promotions", "name,start,end,sku,category,location,uplift\n" + text)
    assert report.status == "rejected"
    assert any(
        e["row"] == row and e["column"] == column and why in e["why"] for e in report.errors
    ), report.errors
    assert not Campaign.objects.exists()


def test_promotions_command_and_missing_header_columns(capsys):
    seed()
    bad = load("promotions", "name,start,sku\nX,2026-03-02,FC-A\n")
    assert bad.status == "rejected" and bad.errors[0]["column"] == "end"
    report = load("promotions", "name,start,end,sku\nOnly SKUs,2026-03-02,2026-03-03,FC-A\n")
    assert report.status == "imported", report.errors
    assert Campaign.objects.get().products.get().sku == "FC-A"


def test_sales_stockout_column_is_stored_and_optional():
    seed()
    text = (
        "date,sku,location,quantity,stockout\n2026-05-01,FC-A,FC-L1,0,true\n"
        "2026-05-02,FC-A,FC-L1,4,no\n2026-05-03,FC-A,FC-L1,0,\n"
    )
    assert load("sales", text).status == "imported"
    flags = dict(
        DemandHistory.objects.filter(product__sku="FC-A", date__gte="2026-05-01").values_list(
            "date", "stockout"
        )
    )
    assert flags == {
        dt.date(2026, 5, 1): True,
        dt.date(2026, 5, 2): False,
        dt.date(2026, 5, 3): None,
    }
    # A file without the column leaves the stored flags alone.
    assert load("sales", "date,sku,location,quantity\n2026-05-01,FC-A,FC-L1,1\n").updated == 1
    assert DemandHistory.objects.get(product__sku="FC-A", date="2026-05-01").stockout is True
    bad = load("sales", "date,sku,location,quantity,stockout\n2026-05-04,FC-A,FC-L1,1,maybe\n")
    assert bad.status == "rejected" and bad.errors[0]["column"] == "stockout"


def _run(**options):
    run = services.forecast_run_start(enqueue=False, **options)
    return services.forecast_run_execute(run_id=run.pk)


def test_a_run_lifts_future_campaign_days_by_the_uplift_of_past_ones():
    products, locations = seed(days=200)
    product, location = products[0], locations[0]
    start = END - dt.timedelta(days=199)
    # Past campaigns double FC-A's sales at FC-L1 for five days, four times.
    past = [start + dt.timedelta(days=d) for d in (30, 70, 110, 150)]
    for k, first in enumerate(past):
        days = [first + dt.timedelta(days=i) for i in range(5)]
        for row in DemandHistory.objects.filter(product=product, location=location, date__in=days):
            row.quantity *= 2
            row.save(update_fields=["quantity"])
        services.campaign_save(
            name=f"past {k}", start=days[0], end=days[-1], products=[product], locations=[location]
        )
    future = (END + dt.timedelta(days=3), END + dt.timedelta(days=5))
    services.campaign_save(
        name="next", start=future[0], end=future[1], products=[product], locations=[location]
    )
    run = _run(horizon=14, methods=["ses", "seasonal_naive"])
    values = ForecastValue.objects.filter(
        run_id=run.pk, product=product, location=location, selected=True
    )
    inside = np.mean([float(v.forecast) for v in values.filter(date__range=future)])
    outside = np.mean([float(v.forecast) for v in values.exclude(date__range=future)])
    assert 1.6 < inside / outside < 2.5
    parameters = SeriesClassification.objects.get(
        run_id=run.pk, product=product, location=location
    ).parameters
    assert 1.6 < parameters["campaign_uplift"] < 2.5
    other = SeriesClassification.objects.get(run_id=run.pk, product=product, location=locations[1])
    assert "campaign_uplift" not in other.parameters  # the campaigns name FC-L1 only
    days = selectors.campaign_days(
        product=np.array([product.pk, product.pk]),
        location=np.array([location.pk, locations[1].pk]),
        start=future[0],
        days=3,
    )
    assert days.flags.tolist() == [[True] * 3, [False] * 3]


def test_export_data_command_writes_promotions(tenant_a, capsys):
    seed()
    assert load("promotions", PROMOTIONS).status == "imported"
    out = io.StringIO()
    call_command("export_data", "promotions", "--schema", tenant_a.schema_name, stdout=out)
    assert "Spring,2026-03-02,2026-03-08,FC-A,,FC-L1,0.4000" in out.getvalue()


def test_a_what_if_scenario_adds_a_campaign(planner):
    seed()
    run = _run(horizon=14, methods=["naive", "ses"])
    food = Category.objects.get(name="FC Food")
    first, last = END + dt.timedelta(days=2), END + dt.timedelta(days=4)
    campaign = services.campaign_save(
        name="Flash sale",
        start=first,
        end=last,
        categories=[food],
        products=Product.objects.filter(sku="FC-A"),
        expected_uplift=Decimal("0.5"),
    )
    client = client_for(HOST_A, planner)
    created = client.post(
        "/api/v1/scenarios/",
        {"name": "With the flash sale", "adjustments": [{"campaign": campaign.pk}]},
        format="json",
    )
    assert created.status_code == 201, created.content
    stored = created.json()["adjustments"][0]
    # No past campaign in the run: the expected uplift, for FC-A and the Food SKU FC-C.
    assert stored["multipliers"] == {"FC-A": 1.5, "FC-C": 1.5}
    detail = client.get(created.json()["url"]).json()["periods"]
    values = ForecastValue.objects.filter(run_id=run.pk, selected=True).select_related("product")
    for row in detail:
        day = dt.date.fromisoformat(row["period"])
        lifted = sum(
            float(v.forecast) for v in values if v.date == day and v.product.sku in ("FC-A", "FC-C")
        )
        extra = 0.5 * lifted if first <= day <= last else 0.0
        assert row["scenario"] == pytest.approx(row["base"] + extra)
    explicit = client.post(
        "/api/v1/scenarios/",
        {"name": "x", "adjustments": [{"campaign": campaign.pk, "multiplier": 3.0}]},
        format="json",
    )
    assert explicit.json()["adjustments"][0]["multipliers"]["FC-A"] == 3.0
    for wrong in ([{"campaign": 999999}], [{"sku": "FC-A"}]):
        assert_error(
            client.post("/api/v1/scenarios/", {"name": "y", "adjustments": wrong}, format="json"),
            400,
        )


def test_back_office_lists_adds_and_changes_campaigns(tenant_admin):
    from django.test import Client

    products, locations = seed()
    campaign = services.campaign_save(
        name="Back office", start=END, end=END, products=products[:1], locations=locations[:1]
    )
    tenant_admin.is_staff = True
    tenant_admin.save()
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(tenant_admin)
    listing = client.get("/admin/forecasting/campaign/")
    assert listing.status_code == 200 and "Back office" in listing.content.decode()
    change = client.get(f"/admin/forecasting/campaign/{campaign.pk}/change/")
    assert change.status_code == 200 and "FC-L1" in change.content.decode()
    added = client.post(
        "/admin/forecasting/campaign/add/",
        {
            "name": "Added here",
            "kind": "advertising",
            "start": "2026-06-01",
            "end": "2026-06-07",
            "products": str(products[1].pk),
            "expected_uplift": "0.2",
            "note": "",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    made = Campaign.objects.get(name="Added here")
    assert made.created_by == tenant_admin and [p.pk for p in made.products.all()] == [
        products[1].pk
    ]


def test_a_run_loads_the_imported_stockout_flags_with_the_history():
    seed()
    text = (
        "date,sku,location,quantity,stockout\n2026-04-28,FC-A,FC-L1,0,yes\n"
        "2026-04-29,FC-A,FC-L1,0,0\n"
    )
    assert load("sales", text).status == "imported"
    run = services.forecast_run_start(horizon=7, methods=["naive"], enqueue=False)
    block = services.history_load(run=run)
    assert block.stockout is not None and block.in_stock is not None
    product = Product.objects.get(sku="FC-A").pk
    location = Location.objects.get(code="FC-L1").pk
    row = int(np.flatnonzero((block.product == product) & (block.location == location))[0])
    day = (dt.date(2026, 4, 28) - run.data_start).days
    assert block.stockout[row].nonzero()[0].tolist() == [day]
    assert block.in_stock[row].nonzero()[0].tolist() == [day + 1]
    assert block.stockout.sum() == 1 and block.in_stock.sum() == 1
    assert block.rows(row, row + 1).stockout.tolist() == [block.stockout[row].tolist()]
    finished = services.forecast_run_execute(run_id=run.pk)
    assert finished.status == "succeeded"
