"""URLs on a tenant's host (``acme.example.com``)."""

from django.contrib import admin
from django.urls import include, path

from accounts.admin_login import throttled_login
from config.urls_common import api_docs_patterns

admin.site.site_header = "Demand planning — back office"
admin.site.site_title = "Back office"
admin.site.site_url = "/app/"  # the admin's "View site": the planner's pages

urlpatterns = [
    path("admin/login/", throttled_login(admin.site), name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("core.api.urls")),
    path("api/v1/", include("catalog.api.urls")),
    path("api/v1/", include("inventory.api.urls")),
    path("api/v1/", include("etl.api.urls")),
    path("api/v1/", include("routing.api.urls")),
    path("api/v1/", include("forecasting.api.urls")),
    path("api/v1/", include("purchasing.api.urls")),
    path("api/v1/", include("manufacturing.api.urls")),
    path("api/v1/", include("integrations.api.urls")),
    path("app/", include("inventory.pages")),
    path("app/", include("forecasting.urls_pages")),
    path("app/", include("routing.urls")),
    path("app/", include("etl.urls_pages")),
    path("app/", include("purchasing.urls_pages")),
    path("app/", include("manufacturing.urls_pages")),
    path("app/", include("integrations.urls_pages")),
    path("", include("workspace.urls")),
    *api_docs_patterns,
]

handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
