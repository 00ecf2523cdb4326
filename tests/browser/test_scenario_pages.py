"""The what-if pages in real headless Chromium (ADR 46): a planner opens them from the product
page, adds a scenario with a campaign through the form, and its page draws the base and
what-if forecasts and the what-if's parts — at 1280 px and at 390 px, without a console error
and without horizontal overflow."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from tests.browser.conftest import log_in, wait_until

SHOTS = Path(tempfile.gettempdir())  # scenario-list.png, scenario-detail.png, …-390.png
WIDTH = "document.documentElement.scrollWidth"
OPTION = "echarts.getInstanceByDom(document.getElementById(id)).getOption()"


@pytest.fixture(scope="module")
def forecast(tenant_a, django_db_blocker):
    """Committed in alpha: products WI-* with 120 days of sales and a 28-day forecast run."""
    from catalog.models import Category, DemandHistory, Location, Product
    from forecasting import services as forecasting
    from forecasting.models import ForecastRun, Scenario
    from tests.forecasting_app.seed import END, seed

    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        products, _ = seed(prefix="WI")
        run = forecasting.forecast_run_start(
            horizon=28, methods=["ses", "holt_winters_additive"], enqueue=False
        )
        forecasting.forecast_run_execute(run_id=run.pk)
    yield {"product": products[0].pk, "end": END}
    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        Scenario.objects.filter(base_run_id=run.pk).delete()
        ForecastRun.objects.filter(pk=run.pk).delete()
        wi = Product.objects.filter(sku__startswith="WI-")
        DemandHistory.objects.filter(product__in=wi).delete()
        wi.delete()
        Location.objects.filter(code__startswith="WI-").delete()
        Category.objects.filter(name__startswith="WI ").delete()


def _option(page, element: str, path: str):
    return page.evaluate(f"(id) => {{ const o = {OPTION}; return {path}; }}", element)


# The fixtures that write to the database come before ``browser`` (tests/browser/conftest.py).
def test_a_planner_adds_a_campaign_and_sees_the_what_if_chart(
    forecast, people, rows, live_app, browser
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = log_in(context, live_app, people["planner"])
    assert page.goto(f"{live_app}/app/products/{forecast['product']}/forecast/").status == 200
    page.click("#what-if-link")
    page.wait_for_url("**/app/scenarios/?sku=WI-A*")
    assert page.input_value("input[name=campaign_sku]") == "WI-A"
    page.screenshot(path=SHOTS / "scenario-list.png", full_page=True)
    end = forecast["end"]
    page.fill("input[name=name]", "WI spring display")
    page.fill("input[name=campaign_name]", "WI display week")
    page.fill("input[name=campaign_start]", (end + dt.timedelta(days=8)).isoformat())
    page.fill("input[name=campaign_end]", (end + dt.timedelta(days=11)).isoformat())
    page.fill("input[name=campaign_uplift]", "40")
    page.click("#scenario-form button[type=submit]")
    # The link's #new-scenario stays on the URL through the redirect.
    page.wait_for_url(re.compile(r"/app/scenarios/\d+/(#.*)?$"))
    wait_until(page, "!!document.querySelector('#scenario-chart canvas')")
    wait_until(page, "!!document.querySelector('#explanation-chart canvas')")

    names = _option(page, "scenario-chart", "o.legend[0].data")
    assert names == ["base", "what-if", "what-if p10–p90"]
    lift = _option(
        page,
        "scenario-chart",
        "o.series[1].data.map((w, i) => +(w / o.series[0].data[i]).toFixed(3))",
    )
    assert [i for i, f in enumerate(lift) if f != 1.0] == [7, 8, 9, 10]  # END + 8 … 11
    assert {lift[i] for i in (7, 8, 9, 10)} == {1.4}
    parts = _option(page, "explanation-chart", "o.series.map((s) => s.name)")
    assert parts == ["level", "trend", "weekly", "yearly", "promotion", "other", "forecast"]
    promotion = _option(page, "explanation-chart", "o.series[4].data")
    assert [i for i, v in enumerate(promotion) if v > 0] == [7, 8, 9, 10]
    assert page.locator("#scenario-numbers tbody tr").count() == 28
    page.screenshot(path=SHOTS / "scenario-detail.png", full_page=True)
    detail = page.url

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    small = log_in(phone, live_app, people["viewer"])
    for path in (detail, f"{live_app}/app/scenarios/"):
        assert small.goto(path).status == 200
        if path == detail:
            wait_until(small, "!!document.querySelector('#scenario-chart canvas')")
            wait_until(small, "!!document.querySelector('#explanation-chart canvas')")
            small.screenshot(path=SHOTS / "scenario-detail-390.png", full_page=True)
        assert small.evaluate(WIDTH) <= 390, (path, small.evaluate(WIDTH))
    assert "WI spring display" in small.inner_text("#scenario-list")
    assert small.locator("#scenario-form").count() == 0  # viewers read only
    assert page.errors == [] and small.errors == []  # type: ignore[attr-defined]
    phone.close()
    context.close()
