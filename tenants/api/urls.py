from rest_framework.routers import SimpleRouter

from tenants.api.views import TenantViewSet

router = SimpleRouter()
router.register("tenants", TenantViewSet, basename="tenant")
urlpatterns = router.urls
