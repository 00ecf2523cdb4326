"""Every page in real headless Chromium: each role logs in and opens every page without a
console error and without horizontal overflow at 390 px; the what-to-order filters, sort and
export; a run started from a button reaches 100 %."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest

from tests.browser.conftest import log_in, wait_until

# No htmx request in flight, and no swap still settling (htmx wires up the new links as it settles).
IDLE = "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


SHOTS = Path(tempfile.gettempdir())  # screenshots to look at: workspace-*.png
PAGES = ["/app/dashboard/", "/app/what-to-order/", "/app/test-bed/", "/app/simulations/",
         "/app/route-plans/", "/app/imports/"]  # fmt: skip
IMPORTS = "/app/imports/"  # every role reads it; only planners and admins have it in the bar


@pytest.mark.parametrize("role", ["admin", "planner", "viewer"])
def test_every_role_opens_every_page(browser, live_app, people, rows, role):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = log_in(context, live_app, people[role])
    product_page = f"/app/products/{rows[0].product_id}/forecast/"
    for path in [*PAGES, product_page]:
        response = page.goto(live_app + path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        in_bar = path != IMPORTS or role != "viewer"
        assert page.locator("header.bar nav a.active").count() == int(in_bar), path
        assert people[role].email in page.inner_text("header.bar")
    page.goto(live_app + "/app/dashboard/")
    assert (page.locator("#start-refresh").count() == 0) == (role == "viewer")
    assert page.errors == [], page.errors
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    phone.add_cookies(context.cookies())
    small = phone.new_page()
    for path in [*PAGES, product_page]:
        small.goto(live_app + path)
        small.wait_for_load_state("networkidle")
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    if role == "planner":
        small.goto(live_app + "/app/what-to-order/?tab=all")
        small.screenshot(path=SHOTS / "workspace-what-to-order-390.png", full_page=True)
    phone.close()
    context.close()


def test_what_to_order_filters_sort_and_export(browser, live_app, people, rows):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = log_in(context, live_app, people["planner"])
    page.click("#card-critical")
    page.wait_for_url("**/app/what-to-order/?tab=critical")
    assert page.locator("nav.tabs a.active").get_attribute("data-tab") == "critical"
    page.click('nav.tabs a[data-tab="all"]')
    wait_until(page, "document.querySelector('#row-count').textContent.includes('30 rows')")
    page.fill("#q", "BR-02")  # htmx: no reload, the URL follows the filters
    wait_until(page, "document.querySelectorAll('#what-to-order tbody tr').length === 10")
    assert "q=BR-02" in page.url and "tab=all" in page.url
    page.select_option("select[name=abc]", "A")
    wait_until(page, "document.querySelectorAll('#what-to-order tbody tr').length === 3")
    wait_until(page, IDLE)
    page.click('th a[data-sort="sku"]')
    wait_until(page, "location.search.includes('sort=sku')")
    wait_until(page, IDLE)
    skus = page.locator("td.col-sku a").all_inner_texts()
    assert skus == sorted(skus) and skus == ["BR-021", "BR-024", "BR-027"]
    page.click('th a[data-sort="sku"]')
    wait_until(page, "location.search.includes('sort=-sku')")
    wait_until(page, IDLE)
    assert page.locator("td.col-sku a").all_inner_texts() == ["BR-027", "BR-024", "BR-021"]
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert [r["sku"] for r in csv.DictReader(io.StringIO(text))] == ["BR-027", "BR-024", "BR-021"]
    # Column choice is remembered across visits.
    page.click("details.columns summary")
    page.uncheck('input[data-column="name"]')
    page.reload()
    assert not page.locator("td.col-name").first.is_visible()
    page.click("details.columns summary")
    page.check('input[data-column="name"]')
    page.goto(live_app + "/app/what-to-order/?tab=all")
    page.screenshot(path=SHOTS / "workspace-what-to-order.png", full_page=True)
    page.goto(live_app + "/app/dashboard/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=SHOTS / "workspace-dashboard.png", full_page=True)
    assert page.errors == [], page.errors
    context.close()


def test_bulk_add_to_cart_from_what_to_order(browser, live_app, people, rows):
    """Tick two rows, "Add to cart", and the cart shows both lines (the rows fixture removes
    the lines with its products)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = log_in(context, live_app, people["planner"])
    page.goto(live_app + "/app/what-to-order/?tab=all&q=BR-01&sort=sku")
    wait_until(page, "document.querySelectorAll('#what-to-order tbody tr').length === 10")
    wait_until(page, IDLE)
    chosen = page.locator("td.col-sku a").all_inner_texts()[:2]
    assert chosen == ["BR-010", "BR-011"], chosen
    for index in (0, 1):
        page.locator("#what-to-order tbody input[name=rows]").nth(index).check()
    wait_until(page, "document.querySelectorAll('input[name=rows]:checked').length === 2")
    with page.expect_navigation():
        page.click("#add-to-cart")
    page.wait_for_url("**/app/cart/")
    assert "2 line(s) added to the cart" in page.inner_text("main")
    page.reload()  # the cart as it is stored, not as the redirect showed it
    cells = page.locator("main table tbody tr td:first-child").all_inner_texts()
    assert set(chosen) <= set(cells), cells
    assert page.errors == [], page.errors
    context.close()


def test_a_run_started_from_a_button_reaches_100(live_worker, browser, live_app, people, rows):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = log_in(context, live_app, people["planner"])
    page.click("#start-refresh")
    bar = page.locator("#refresh-progress .progress")
    bar.wait_for()
    page.wait_for_selector(
        '#refresh-progress .progress[data-job-status="succeeded"]', timeout=60_000
    )
    assert bar.get_attribute("aria-valuenow") == "100"
    assert page.errors == [], page.errors
    context.close()


def test_row_add_to_cart_from_what_to_order(browser, live_app, people, rows):
    """A row's own "Add to cart" (no ticking): the answer shows in the row without leaving the
    page, and the cart holds that row's line."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = log_in(context, live_app, people["planner"])
    page.goto(live_app + "/app/what-to-order/?tab=all&q=BR-02&sort=sku")
    # Any row will do: a refresh run by an earlier test may have changed which rows exist.
    wait_until(page, "document.querySelectorAll('#what-to-order tbody tr form.row-add').length > 0")
    wait_until(page, IDLE)
    row = page.locator("#what-to-order tbody tr").filter(has=page.locator("form.row-add")).first
    sku = row.locator("td.col-sku a").inner_text()
    assert sku.startswith("BR-02"), sku
    row.locator("form.row-add button").click()
    wait_until(page, "document.querySelector('#what-to-order .row-status') !== null")
    wait_until(page, IDLE)
    status = row.locator(".row-status")
    assert "1 line(s) added to the cart" in status.inner_text()
    assert page.url.endswith("/app/what-to-order/?tab=all&q=BR-02&sort=sku")  # no navigation
    status.locator("a").click()
    page.wait_for_url("**/app/cart/")
    cells = page.locator("main table tbody tr td:first-child").all_inner_texts()
    assert sku in cells, cells
    assert page.errors == [], page.errors
    context.close()
