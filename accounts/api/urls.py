from rest_framework.routers import SimpleRouter

from accounts.api import views
from accounts.api.urls_public import urlpatterns as identity_patterns

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")

urlpatterns = [*identity_patterns, *router.urls]
