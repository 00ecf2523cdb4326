from django.urls import path
from rest_framework.routers import SimpleRouter

from tenants.api.views import PlatformHealthView, TenantViewSet

router = SimpleRouter()
router.register("tenants", TenantViewSet, basename="tenant")
urlpatterns = [
    path("platform/health/", PlatformHealthView.as_view(), name="platform-health"),
    *router.urls,
]
