"""In real headless Chromium: the invitation flow (admin invites on the users page, the
invited person sets a password from the e-mailed link and lands on the dashboard), the
password reset, and the dashboard on a seeded demo tenant (with the "being prepared" banner)
and on an empty tenant — all without a console error."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from accounts.models import User
from tests.browser.conftest import log_in
from tests.conftest import HOST_A, PASSWORD, delete_users, make_user

NEW_PASSWORD = "a-brand-new-passphrase-42"
INVITEE = "browser.invitee@example.com"


def _port(live_app: str) -> str:
    return live_app.rsplit(":", 1)[1]


def _watch(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _last_link() -> str:
    match = re.search(r"http://\S+", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


@pytest.fixture(scope="module")
def tenants(django_db_blocker, tenant_a):
    """Two committed tenants of their own: one with the demo's data and an unfinished demo
    preparation job, one empty (each with a viewer), and a viewer of alpha whose password
    the reset test changes; dropped and deleted afterwards, once Chromium is closed."""
    from django.core.management import call_command

    from core.models import Job
    from demo.preparation import JOB_KIND
    from inventory.metrics import inventory_refresh
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    made = {}
    with django_db_blocker.unblock():
        for slug in ("browserdemo", "browserempty"):
            tenant = tenant_provision(slug=slug, name=slug.title(), domain=f"{slug}.localhost")
            with schema_context(tenant.tenant.schema_name):
                user = make_user("viewer")
            made[slug] = (tenant.tenant, user, f"{slug}.localhost")
        with schema_context(made["browserdemo"][0].schema_name):
            call_command(
                "seed_demo", "--schema", made["browserdemo"][0].schema_name, "--days", "120"
            )
            inventory_refresh()
            Job.objects.create(kind=JOB_KIND, status=Job.Status.RUNNING, progress=30)
        with schema_context(tenant_a.schema_name):
            made["reset"] = (tenant_a, make_user("viewer"), HOST_A)
    yield made
    with django_db_blocker.unblock():
        for slug in ("browserdemo", "browserempty"):
            Tenant.objects.get(pk=made[slug][0].pk).delete(force_drop=True)
        with schema_context(tenant_a.schema_name):
            invited = list(User.objects.filter(email=INVITEE))
        delete_users(tenant_a, made["reset"][1], *invited)


@pytest.fixture(scope="module")
def chromium(tenants, people, rows, live_app, browser):
    return browser


def test_admin_invites_and_the_invited_person_joins(chromium, live_app, people):
    mail.outbox = []
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = log_in(context, live_app, people["admin"])
    page.click("header.bar nav >> text=Users")
    page.wait_for_url("**/app/users/")
    page.fill("#invite-email", INVITEE)
    page.select_option("#invite-role", "planner")
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector(f"text=Invitation sent to {INVITEE}")
    assert "invitation pending" in page.inner_text("#users")
    assert page.errors == [], page.errors
    link = _last_link()
    assert link.startswith(live_app + "/app/invitations/")
    context.close()

    invited = chromium.new_context(viewport={"width": 390, "height": 844})
    page = invited.new_page()
    errors = _watch(page)
    page.goto(link)
    assert "Choose your password to join as planner" in page.inner_text("body")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/dashboard/")
    assert INVITEE in page.inner_text("header.bar")
    assert page.locator("#start-refresh").count() == 1  # a planner acts
    page.goto(link)  # the link worked once
    assert page.locator("#invalid-link").count() == 1
    assert errors == [], errors
    invited.close()


def test_password_reset_in_the_browser(chromium, live_app, tenants):
    person = tenants["reset"][1]
    mail.outbox = []
    context = chromium.new_context()
    page = context.new_page()
    errors = _watch(page)
    page.goto(live_app + "/app/login/")
    page.click("#forgot-password")
    page.wait_for_url("**/app/password-reset/")
    page.fill("#id_email", person.email)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/password-reset/sent/")
    assert page.locator("#reset-sent").count() == 1
    # An unknown address gets the very same page, and no e-mail goes out.
    page.goto(live_app + "/app/password-reset/")
    page.fill("#id_email", "nobody-at-all@example.com")
    page.click("button[type=submit]")
    page.wait_for_url("**/app/password-reset/sent/")
    assert len(mail.outbox) == 1
    page.goto(_last_link())
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/password-reset/done/")
    page.goto(live_app + "/app/login/")
    page.fill("#id_username", person.email)
    page.fill("#id_password", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/dashboard/")
    assert errors == [], errors
    context.close()


def _dashboard(chromium, live_app, host, user):
    base = f"http://{host}:{_port(live_app)}"
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = _watch(page)
    page.goto(base + "/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/dashboard/")
    page.wait_for_load_state("networkidle")
    return context, page, errors


def test_dashboard_on_the_demo(chromium, live_app, tenants):
    _tenant, user, host = tenants["browserdemo"]
    context, page, errors = _dashboard(chromium, live_app, host, user)
    assert "The demo is being prepared" in page.inner_text("#announcement")
    assert page.locator("#announcement .progress").get_attribute("aria-valuenow") == "30"
    realised = page.inner_text("#realised")
    assert realised.endswith("%") and float(realised[:-1]) > 80  # not 0.0 %
    assert "EUR" in page.inner_text(".cards")
    assert page.locator("#at-risk tbody tr").count() > 0
    assert page.locator("#stock-history-note").count() == 1
    critical = int(page.inner_text("#card-critical .value"))
    rows = int(page.inner_text("a.card[href$='tab=all'] .value"))
    assert rows > 200 and critical / rows < 0.15
    assert errors == [], errors
    page.click("#card-critical")  # a card opens the filtered list
    page.wait_for_url("**/app/what-to-order/?tab=critical")
    page.go_back()
    page.click("#at-risk tbody tr:first-child td:first-child a")  # a row opens its product
    page.wait_for_url("**/app/products/*/forecast/")
    context.close()


def test_dashboard_on_an_empty_tenant(chromium, live_app, tenants):
    _tenant, user, host = tenants["browserempty"]
    context, page, errors = _dashboard(chromium, live_app, host, user)
    assert "No inventory metrics yet" in page.inner_text("main")
    assert page.inner_text("#realised") == "–"
    assert page.locator("#announcement").count() == 0
    assert errors == [], errors
    context.close()


def test_each_role_logs_in_on_the_app_login(chromium, live_app, people):
    for role in ("admin", "planner", "viewer"):
        context = chromium.new_context()
        page = log_in(context, live_app, people[role])
        assert people[role].get_role_display() in page.inner_text("header.bar .role")
        users_link = page.locator("header.bar nav a", has_text="Users").count()
        assert users_link == (1 if role == "admin" else 0)
        assert page.errors == [], page.errors
        context.close()
