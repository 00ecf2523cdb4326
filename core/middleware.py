"""Request-level middleware: request ids, bare endpoints (health, metrics) and access logs."""

from __future__ import annotations

import ipaddress
import re
import time
import uuid

import structlog
from django.db import connection
from django.http import HttpRequest, HttpResponse

from core import context, metrics
from core.logging import get_logger

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = get_logger("request")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestIdMiddleware:
    """Accept a well-formed ``X-Request-ID`` or make one; echo it on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        id_token = context.set_request_id(request_id)
        actor_token = context.set_actor(request)
        # The peer address, as the rate limits see it (core.throttling): a proxy in front must
        # set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips), never a client-sent header.
        ip_token = context.set_ip(request.META.get("REMOTE_ADDR") or None)
        try:
            response = self.get_response(request)
        finally:
            context.reset_request_id(id_token)
            context.reset_actor(actor_token)
            context.reset_ip(ip_token)
        response["X-Request-ID"] = request_id
        return response


class BareEndpointsMiddleware:
    """Serve ``/health``, ``/health/ready`` and ``/metrics`` before tenant resolution.

    Load balancers and Prometheus call these by IP or by an internal name that is no tenant's
    domain, so they must not depend on the host.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/")
        if path == "/health":
            from core import health

            return health.live_view(request)
        if path == "/health/ready":
            from core import health

            return health.ready_view(request)
        if path == "/metrics":
            from core.metrics import metrics_view

            return metrics_view(request)
        return self.get_response(request)


class AccessLogMiddleware:
    """One JSON log line per request: method, path, status, duration, tenant, user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        # The route template (bounded), never the raw path: ids would explode the label set.
        match = getattr(request, "resolver_match", None)
        route = (match.route or match.view_name or "unnamed") if match else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        metrics.HTTP_REQUESTS.labels(
            route=route, method=method, status=str(response.status_code)
        ).inc()
        metrics.HTTP_LATENCY.labels(route=route, method=method).observe(elapsed)
        user = getattr(request, "user", None)
        log.info(
            "request",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round(elapsed * 1000, 2),
            tenant=getattr(connection, "schema_name", None),
            user_id=getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None,
        )
        return response


class AdminNetworkMiddleware:
    """The back office only from ``ADMIN_ALLOWED_NETWORKS`` (ADR 31): any other address gets a
    404 for ``/admin/``, as if there were none. The address is ``client_ip``'s (never a raw
    ``X-Forwarded-For``)."""

    def __init__(self, get_response):
        from django.conf import settings

        self.networks = [
            ipaddress.ip_network(network.strip(), strict=False)
            for network in settings.ADMIN_ALLOWED_NETWORKS
            if network.strip()
        ]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.networks and request.path.startswith("/admin/") and not self._allowed(request):
            from django.http import Http404

            from core.errors import page_not_found

            return page_not_found(request, Http404())
        return self.get_response(request)

    def _allowed(self, request: HttpRequest) -> bool:
        from core.throttling import client_ip

        try:
            address = ipaddress.ip_address(client_ip(request))
        except ValueError:
            return False
        return any(address in network for network in self.networks)
