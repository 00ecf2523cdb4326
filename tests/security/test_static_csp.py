"""The policy built once per process (core.csp, ADR 37) is the library's, byte for byte, and
follows the settings; a view's own policy, an exemption and a nonce still take the library's
path."""

from __future__ import annotations

import pytest
from csp.constants import NONCE
from csp.decorators import csp_exempt, csp_update
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory

from core.csp import StaticCSPMiddleware, static_policies


def _both(view, request=None):
    request = request or RequestFactory().get("/x")
    ours = StaticCSPMiddleware(view)
    ours.process_request(request)
    theirs_request = RequestFactory().get("/x")
    theirs = CSPMiddleware(view)
    theirs.process_request(theirs_request)
    return ours.process_response(request, view(request)), theirs.process_response(
        theirs_request, view(theirs_request)
    )


def test_the_static_policy_is_the_librarys():
    ours, theirs = _both(lambda request: HttpResponse("ok"))
    assert ours["Content-Security-Policy"] == theirs["Content-Security-Policy"] == build_policy()
    assert "script-src 'self'" in ours["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in ours


def test_a_changed_setting_changes_the_policy(settings):
    before = static_policies()[0]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    ours, _ = _both(lambda request: HttpResponse("ok"))
    assert ours["Content-Security-Policy"] == "default-src 'none'" != before
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    ours, theirs = _both(lambda request: HttpResponse("ok"))
    assert "img-src 'self'" in ours["Content-Security-Policy-Report-Only"]
    assert (
        ours["Content-Security-Policy-Report-Only"] == theirs["Content-Security-Policy-Report-Only"]
    )


def test_a_views_own_policy_and_an_exemption_are_kept():
    updated = csp_update({"img-src": ["https://img.example"]})(lambda request: HttpResponse("ok"))
    ours, theirs = _both(updated)
    assert "https://img.example" in ours["Content-Security-Policy"]
    assert ours["Content-Security-Policy"] == theirs["Content-Security-Policy"]
    exempt = csp_exempt()(lambda request: HttpResponse("ok"))
    ours, _ = _both(exempt)
    assert "Content-Security-Policy" not in ours


def test_a_nonce_read_by_the_view_is_in_its_header_and_not_after(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}

    def view(request):
        return HttpResponse(str(request.csp_nonce))

    request = RequestFactory().get("/x")
    middleware = StaticCSPMiddleware(view)
    middleware.process_request(request)
    response = middleware.process_response(request, view(request))
    nonce = response.content.decode()
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert response["Content-Security-Policy"] != static_policies()[0]
    assert "nonce-" not in static_policies()[0]
    # A page without a nonce after it: reading one after the header is written is an error.
    plain = RequestFactory().get("/x")
    middleware.process_request(plain)
    middleware.process_response(plain, HttpResponse("ok"))
    with pytest.raises(Exception, match="csp_nonce"):
        str(plain.csp_nonce)
