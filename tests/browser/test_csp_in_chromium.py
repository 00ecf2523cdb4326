"""The Content-Security-Policy in real Chromium (ADR 31): the pages, the back office and the
Swagger UI run under ``script-src 'self'`` without a single violation, and an injected inline
script is refused."""

from __future__ import annotations

from tests.browser.conftest import log_in

PAGES = ["/app/dashboard/", "/app/what-to-order/", "/app/test-bed/", "/app/simulations/",
         "/app/route-plans/", "/app/mrp/", "/app/capacity/", "/app/cart/",
         "/app/purchase-orders/", "/app/account/two-factor/", "/app/scenarios/"]  # fmt: skip
VIOLATIONS = """(() => { window.__csp = []; document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)); })();"""


def _watch(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(VIOLATIONS)
    return violations


def test_pages_run_without_csp_violations(browser, live_app, people, rows):
    context = browser.new_context()
    page = log_in(context, live_app, people["admin"])
    violations = _watch(page)
    product_page = f"/app/products/{rows[0].product_id}/forecast/"
    for path in [*PAGES, product_page]:
        response = page.goto(live_app + path)
        assert response.status == 200, path
        policy = dict(
            part.strip().split(" ", 1)
            for part in response.headers["content-security-policy"].split(";")
        )
        assert policy["script-src"] == "'self'", policy
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__csp") == [], path
    # The charts drew (their scripts ran from static files).
    page.goto(live_app + "/app/dashboard/")
    page.wait_for_selector("#value-chart canvas, #value-chart svg", timeout=10_000)
    # The location select still submits its form without an inline handler.
    page.goto(live_app + product_page)
    page.wait_for_load_state("networkidle")
    assert violations == [] and page.errors == [], (violations, page.errors)
    # An injected inline script is blocked by the policy.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }"
    )
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in page.evaluate("window.__csp"))
    context.close()


def test_swagger_and_the_back_office_work_under_the_policy(browser, live_app, people):
    context = browser.new_context()
    page = context.new_page()
    violations = _watch(page)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    response = page.goto(live_app + "/api/v1/docs/")
    assert "content-security-policy" in response.headers
    page.wait_for_selector(".swagger-ui .information-container .title", timeout=20_000)
    assert "Demand planning platform API" in page.inner_text(".swagger-ui .title")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == [] and violations == [], violations
    assert errors == [], errors

    response = page.goto(live_app + "/admin/login/")
    assert response.status == 200
    page.fill("#id_username", people["admin"].email)
    page.fill("#id_password", "correct-horse-battery-7")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name", timeout=10_000)
    assert "/admin/login/" not in page.url
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == [] and violations == [], violations
    context.close()
