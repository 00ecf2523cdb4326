"""Browser tests: the pages served by a live Django server, driven by Playwright in Debian's
headless Chromium (``/usr/bin/chromium``; ``scripts/browser.sh`` installs it for make test).

Chromium resolves ``*.localhost`` to loopback, so ``http://alpha.localhost:<port>/`` reaches
the live server as tenant alpha. Data is committed (the server thread has its own database
connection) and removed again by the fixtures that create it."""

from __future__ import annotations

import os
import shutil

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from tests.conftest import HOST_A, delete_users, make_user

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session; the tests skip when it cannot start."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/browser.sh installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        pytest.skip("playwright is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the fixtures
    # are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
    except Exception as exc:  # pragma: no cover - depends on the machine
        manager.stop()
        pytest.skip(f"Chromium did not start: {exc}")
    yield chromium
    chromium.close()
    manager.stop()


@pytest.fixture(scope="session")
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
        # The server's request threads may keep database sessions open; the test database
        # can only be dropped without them.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend' AND application_name = ''"
            )


@pytest.fixture(scope="module")
def people(tenant_a, django_db_blocker):
    """A committed user of each role in tenant alpha."""
    with django_db_blocker.unblock(), schema_context(tenant_a.schema_name):
        users = {role: make_user(role) for role in User.Role.values}
    yield users
    with django_db_blocker.unblock():
        delete_users(tenant_a, *users.values())


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
