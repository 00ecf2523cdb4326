"""Browser tests: the pages served by a live Django server, driven by Playwright in Debian's
headless Chromium (``/usr/bin/chromium``; ``scripts/browser.sh`` installs it for make test).

Chromium resolves ``*.localhost`` to loopback, so ``http://alpha.localhost:<port>/`` reaches
the live server as tenant alpha. Data is committed (the server thread has its own database
connection) and removed again by the fixtures that create it."""

from __future__ import annotations

import os
import shutil
import time

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from tests.conftest import HOST_A, delete_users, make_user, skip_unless_required

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser(people, rows, live_app):
    """One Chromium per module; the tests skip when it cannot start (and fail under
    ``make test``, which installs it and sets ``REQUIRE_BROWSER=1``).

    Playwright's sync API runs an event loop in this thread, and Django's connections are
    per context there: a query made while it runs would open a connection that nothing
    closes (and the test database could not be dropped). So the fixtures that touch the
    database (``people``, ``rows``) set up before it starts and tear down after it stops."""
    if not shutil.which(CHROMIUM):
        skip_unless_required(
            f"no Chromium at {CHROMIUM} (scripts/browser.sh installs it)",
            required_by="REQUIRE_BROWSER",
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        skip_unless_required("playwright is not installed", required_by="REQUIRE_BROWSER")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the fixtures
    # are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
    except Exception as exc:  # pragma: no cover - depends on the machine
        manager.stop()
        skip_unless_required(f"Chromium did not start: {exc}", required_by="REQUIRE_BROWSER")
    yield chromium
    chromium.close()
    manager.stop()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="module")
def live_app(django_db_setup, django_db_blocker):
    """A live server (static files included) on a free port; yields the tenant alpha URL."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    with django_db_blocker.unblock():
        thread = LiveServerThread("localhost", StaticFilesHandler, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        yield f"http://{HOST_A}:{thread.port}"
        thread.terminate()
        # Requests still in flight (a progress bar polling) hold a database session until
        # they end; the test database can only be dropped without them.
        import threading

        for other in threading.enumerate():
            if "process_request_thread" in other.name:
                other.join(timeout=10)


@pytest.fixture(scope="module")
def people(tenant_a, django_db_blocker):
    """A committed user of each role in tenant alpha."""
    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        users = {role: make_user(role) for role in User.Role.values}
    yield users
    with django_db_blocker.unblock():
        delete_users(tenant_a, *users.values())


@pytest.fixture(scope="module")
def rows(tenant_a, django_db_blocker):
    """30 committed what-to-order rows (prefix BR), removed afterwards."""
    from catalog.models import Category, Location, Product, ProductExclusion, StockLevel
    from inventory.models import InventoryMetrics
    from tests.workspace.seed import seed_metrics

    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        metrics = seed_metrics(30, prefix="BR")
    yield metrics
    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        products = Product.objects.filter(sku__startswith="BR-")
        InventoryMetrics.objects.filter(product__in=products).delete()
        StockLevel.objects.filter(product__in=products).delete()
        ProductExclusion.objects.filter(product__in=products).delete()
        products.delete()
        Location.objects.filter(code__startswith="BR-").delete()
        Category.objects.filter(name__startswith="BR ").delete()


def log_in(context, base: str, user: User):
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/")
    assert page.url.endswith("/app/login/"), page.url
    page.fill("#id_username", user.email)
    page.fill("#id_password", "correct-horse-battery-7")
    page.click("button[type=submit]")
    page.wait_for_url("**/app/dashboard/")
    page.errors = errors  # type: ignore[attr-defined]
    return page


def wait_until(page, expression: str, timeout: float = 15.0) -> None:
    """Poll ``expression`` with ``page.evaluate`` until it is truthy. Playwright's
    ``wait_for_function`` evaluates its predicate with ``eval`` inside the page, which the
    Content-Security-Policy (no 'unsafe-eval', ADR 31) refuses; ``evaluate`` goes through the
    DevTools protocol and is not subject to it."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.05)
