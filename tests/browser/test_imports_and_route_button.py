"""The imports page and the "Plan routes" button in real headless Chromium at 390 px: a
planner uploads a good file (the bar reaches succeeded and links the report) and a rejected
one (the bar fails and links the report listing the error); a refused upload and a date
with nothing to plan answer a sentence in place; no horizontal overflow, no script error."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.browser.conftest import log_in, wait_until

GOOD = "date,sku,location,quantity\n2026-01-01,BI-A,BI-LOC,1\n2026-01-02,BI-A,BI-LOC,2\n"
BAD = "date,sku,location,quantity\n2026-01-03,BI-A,BI-LOC,=1+2\n"
WIDTH = "document.documentElement.scrollWidth"


@pytest.fixture(scope="module")
def uploads(tenant_a, django_db_blocker):
    """Removes what the uploads wrote (requested before ``browser``: torn down after it)."""
    yield
    from catalog.models import DemandHistory, Location, Product
    from core.models import Upload
    from etl.models import ImportBatch

    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        ImportBatch.objects.filter(source_name__startswith="browser-").delete()
        Upload.objects.filter(original_name__startswith="browser-").delete()
        DemandHistory.objects.filter(product__sku__startswith="BI-").delete()
        Product.objects.filter(sku__startswith="BI-").delete()
        Location.objects.filter(code__startswith="BI-").delete()


def _upload(page, name: str, content: bytes) -> None:
    page.select_option("#import-kind", "sales")
    page.set_input_files(
        "#import-file", files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    page.check('input[name="create_missing"]')
    page.click("#start-import")


def test_planner_imports_and_plans_on_a_phone(uploads, live_worker, browser, live_app, people):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = log_in(context, live_app, people["planner"])
    page.goto(live_app + "/app/imports/")
    assert page.evaluate(WIDTH) <= 390

    _upload(page, "browser-good.csv", GOOD.encode())
    page.wait_for_selector(
        '#import-progress .progress[data-job-status="succeeded"]', timeout=60_000
    )
    assert page.evaluate(WIDTH) <= 390
    page.click("#import-progress a.job-link")
    page.wait_for_url("**/app/imports/*/")
    assert page.inner_text("#import-status") == "Imported"

    page.goto(live_app + "/app/imports/")
    _upload(page, "browser-bad.csv", BAD.encode())
    page.wait_for_selector('#import-progress .progress[data-job-status="failed"]', timeout=60_000)
    page.click("#import-progress a.job-link")
    page.wait_for_url("**/app/imports/*/")
    assert page.inner_text("#import-status") == "Rejected"
    assert "=1+2" in page.inner_text("#import-errors")
    assert page.evaluate(WIDTH) <= 390
    page.goto(live_app + "/app/imports/")
    assert page.locator("a.report-link", has_text="Why it failed").count() >= 1
    assert page.evaluate(WIDTH) <= 390

    # A file the server refuses (not CSV): the sentence appears where the bar would.
    _upload(page, "browser-picture.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    wait_until(page, "!!document.querySelector('#import-progress [role=alert]')")
    assert "Expected one of" in page.inner_text("#import-progress")

    # The route plans page: a date with no delivery orders is refused in a sentence.
    page.goto(live_app + "/app/route-plans/")
    assert page.evaluate(WIDTH) <= 390
    page.fill("#route-plan-date", "2031-01-01")
    page.click("#start-route-plan")
    wait_until(page, "!!document.querySelector('#route-plan-progress [role=alert]')")
    assert "no delivery orders for 2031-01-01" in page.inner_text("#route-plan-progress")
    assert page.evaluate(WIDTH) <= 390

    # The refusals' 4xx are logged by Chromium as failed loads; nothing else may be.
    unexpected = [e for e in page.errors if "Failed to load resource" not in e]
    assert unexpected == [], page.errors
    context.close()
