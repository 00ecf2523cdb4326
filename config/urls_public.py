"""URLs on the platform's own host (public schema): staff admin, tenants API, auth."""

from django.urls import include, path

from accounts.admin_login import throttled_login
from config.urls_common import api_docs_patterns
from tenants.admin import platform_admin_site

urlpatterns = [
    path("admin/login/", throttled_login(platform_admin_site), name="admin-login"),
    path("admin/", platform_admin_site.urls),
    path("api/v1/", include("accounts.api.urls_public")),
    path("api/v1/", include("tenants.api.urls")),
    *api_docs_patterns,
]

handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
