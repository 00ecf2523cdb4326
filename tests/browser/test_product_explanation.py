"""The product page's explanation and campaign markers in real headless Chromium (ADR 39): the
forecast's parts stacked per day with the horizon's totals adding up, the SKU's past and
planned campaigns marked on the demand chart, and stockout days still marked."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from tests.browser.conftest import log_in, wait_until

SHOTS = Path(tempfile.gettempdir())  # planner-explanation.png to look at


@pytest.fixture(scope="module")
def explained(tenant_a, django_db_blocker):
    """Committed in alpha: products XP-* with 200 days of sales, four past campaigns and a
    planned one on XP-A at XP-L1, a flagged stockout day, and a 28-day forecast run."""
    from catalog.models import Category, DemandHistory, Location, Product
    from forecasting import services as forecasting
    from forecasting.models import Campaign, ForecastRun
    from tests.forecasting_app.seed import END, seed

    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        products, locations = seed(prefix="XP", days=200)
        product, location = products[0], locations[0]
        start = END - dt.timedelta(days=199)
        for k, offset in enumerate((30, 70, 110, 150)):
            days = [start + dt.timedelta(days=offset + i) for i in range(5)]
            rows = DemandHistory.objects.filter(product=product, location=location, date__in=days)
            for row in rows:
                row.quantity *= 2
                row.save(update_fields=["quantity"])
            forecasting.campaign_save(
                name=f"XP past {k}", start=days[0], end=days[-1], products=[product],
                locations=[location],
            )  # fmt: skip
        planned = (END + dt.timedelta(days=8), END + dt.timedelta(days=11))
        forecasting.campaign_save(
            name="XP spring sale", start=planned[0], end=planned[1], products=[product],
            locations=[location],
        )  # fmt: skip
        day = END - dt.timedelta(days=20)
        rows = DemandHistory.objects.filter(product=product, location=location, date=day)
        rows.update(stockout=True)
        run = forecasting.forecast_run_start(
            horizon=28, methods=["ses", "holt_winters_additive"], enqueue=False
        )
        forecasting.forecast_run_execute(run_id=run.pk)
    yield {"product": product.pk}
    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        ForecastRun.objects.filter(pk=run.pk).delete()
        Campaign.objects.filter(name__startswith="XP ").delete()
        xp = Product.objects.filter(sku__startswith="XP-")
        DemandHistory.objects.filter(product__in=xp).delete()
        xp.delete()
        Location.objects.filter(code__startswith="XP-").delete()
        Category.objects.filter(name__startswith="XP ").delete()


OPTION = "echarts.getInstanceByDom(document.getElementById(arguments_0)).getOption()"


def _option(page, element: str, path: str):
    return page.evaluate(
        f"(id) => {{ const o = {OPTION.replace('arguments_0', 'id')}; return {path}; }}", element
    )


# The fixtures that write to the database come before ``browser`` (tests/browser/conftest.py).
def test_the_product_page_explains_the_forecast_and_marks_campaigns(
    explained, people, rows, live_app, browser
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = log_in(context, live_app, people["planner"])
    url = f"/app/products/{explained['product']}/forecast/?interval=day&location=XP-L1"
    assert page.goto(live_app + url).status == 200
    wait_until(page, "!!document.querySelector('#explanation-chart canvas')")
    wait_until(page, "!!document.querySelector('#forecast-chart canvas')")

    names = _option(page, "explanation-chart", "o.series.map((s) => s.name)")
    assert names == ["level", "trend", "weekly", "yearly", "promotion", "other", "forecast"]
    stacked = _option(page, "explanation-chart", "o.series.filter((s) => s.stack).length")
    assert stacked == 6
    # Each day's parts add up to the forecast line drawn over them.
    gaps = _option(
        page,
        "explanation-chart",
        "o.series[6].data.map((f, i) => Math.abs(o.series.slice(0, 6)"
        ".reduce((t, s) => t + s.data[i], 0) - f))",
    )
    assert len(gaps) == 28 and max(gaps) < 0.01
    # The promotion part is there on the planned campaign's four days only.
    promotion = _option(page, "explanation-chart", "o.series[4].data")
    assert [i for i, v in enumerate(promotion) if v > 0] == [7, 8, 9, 10]  # END + 8 … 11
    cells = page.locator("#explanation-totals td[data-part]")
    totals = {cells.nth(i).get_attribute("data-part"): float(cells.nth(i).inner_text())
              for i in range(cells.count())}  # fmt: skip
    parts = sum(v for k, v in totals.items() if k != "forecast")
    assert abs(parts - totals["forecast"]) < 0.5  # one decimal each
    assert "XP spring sale" in page.inner_text("#product-campaigns")

    # The demand chart marks campaign days, past and planned, and the stockout day.
    legend = _option(page, "forecast-chart", "o.legend[0].data")
    assert {"out of stock", "campaign"} <= set(legend)
    marks = _option(
        page, "forecast-chart", "o.series.find((s) => s.name === 'campaign').data.length"
    )
    assert marks == 4 * 5 + 4
    page.locator("#forecast-explanation").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "planner-explanation.png", full_page=True)
    context.close()
