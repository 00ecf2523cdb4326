"""Host-based tenant routing with a JSON 404 for unknown hosts and a cached domain lookup."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http.request import split_domain_port
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import remove_www

from core.errors import json_error
from tenants.lookup import lookups, tenant_lookups_changed


def forget_tenant_lookups() -> None:
    """After a tenant, domain or plan change: every process drops its cached host → tenant
    map within ``TENANT_LOOKUP_CHECK_SECONDS`` (ADR 37)."""
    tenant_lookups_changed()


class TenantMiddleware(TenantMainMiddleware):
    @staticmethod
    def hostname_from_request(request):
        """The host without port, lower-cased and without a trailing dot (``TB.LOCALHOST.``
        is ``tb.localhost``), as DNS treats them."""
        domain, _port = split_domain_port(request.get_host())
        return remove_www(domain)

    def get_tenant(self, domain_model, hostname):
        def load(host: str):
            return domain_model.objects.select_related("tenant__plan").get(domain=host).tenant

        return lookups.get(hostname, load)

    def process_request(self, request):
        connection.set_schema_to_public()
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:
            return json_error(404, "unknown_host", "This host is not served here.")
        from tenants.models import Domain

        try:
            tenant = self.get_tenant(Domain, hostname)
        except Domain.DoesNotExist:
            return json_error(404, "unknown_host", "No tenant is served at this host.")
        if not tenant.is_active or tenant.is_template:
            return json_error(403, "tenant_inactive", "This tenant is deactivated.")
        tenant.domain_url = hostname
        request.tenant = tenant
        connection.set_tenant(tenant)
        self.setup_url_routing(request)
        return None
