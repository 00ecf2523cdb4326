"""Security headers on every page and API answer, HSTS and secure cookies in production, and
the optional back-office allowlist (ADR 31)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client

from tests.conftest import HOST_A

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize("path", ["/app/login/", "/api/v1/docs/", "/admin/login/", "/api/v1/me"])
def test_every_answer_carries_the_policy_and_headers(path):
    response = Client(HTTP_HOST=HOST_A).get(path)
    policy = _policy(response)
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_page_template_has_an_inline_script():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for template in root.glob("*/templates/**/*.html"):
        if ".venv" in template.parts or "node_modules" in template.parts:
            continue
        text = template.read_text()
        if "<script>" in text or " onchange=" in text or " onclick=" in text:
            offenders.append(str(template.relative_to(root)))
    assert offenders == []


def test_the_swagger_initialiser_is_a_script_file():
    page = Client(HTTP_HOST=HOST_A).get("/api/v1/docs/")
    assert b"<script>" not in page.content.replace(b" ", b"")
    script = Client(HTTP_HOST=HOST_A).get("/api/v1/docs/?script")
    assert script.status_code == 200 and "javascript" in script["Content-Type"]


def test_production_sets_hsts_and_secure_cookies():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "example.com",
        "DEBUG": "0",
    }
    code = (
        "import config.settings.prod as s; print(s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["31536000", "True", "True", "True", "True"]


def test_the_back_office_is_hidden_outside_the_allowed_networks(settings):
    settings.ADMIN_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    outside = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="192.0.2.7")
    assert outside.get("/admin/login/").status_code == 404
    spoofed = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert spoofed.get("/admin/login/").status_code == 404
    assert outside.get("/app/login/").status_code == 200  # only the back office
    inside = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="10.1.2.3")
    assert inside.get("/admin/login/").status_code == 200


def test_without_the_setting_the_back_office_is_reachable(settings):
    settings.ADMIN_ALLOWED_NETWORKS = []
    assert Client(HTTP_HOST=HOST_A, REMOTE_ADDR="192.0.2.7").get("/admin/login/").status_code == 200


def test_hsts_and_secure_cookies_reach_the_browser_behind_the_proxy(settings):
    """The production values (checked above) take effect through the middleware: an HTTPS
    request (as the proxy reports it) gets HSTS, and the login's cookies are Secure."""
    from tests.conftest import PASSWORD, make_user

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    user = make_user()
    browser = Client(HTTP_HOST=HOST_A, HTTP_X_FORWARDED_PROTO="https")
    page = browser.get("/app/login/")
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.cookies[settings.CSRF_COOKIE_NAME]["secure"]
    login = browser.post("/app/login/", {"username": user.email, "password": PASSWORD})
    assert login.status_code == 302
    session = login.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"]
    # Plain HTTP (no proxy header) gets no HSTS: browsers ignore it there anyway.
    assert "Strict-Transport-Security" not in Client(HTTP_HOST=HOST_A).get("/app/login/")
