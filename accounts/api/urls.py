from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import views
from accounts.api.urls_public import urlpatterns as identity_patterns

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")

urlpatterns = [
    *identity_patterns,
    path("me/two-factor", views.TwoFactorView.as_view(), name="two-factor"),
    path("me/two-factor/enrol", views.TwoFactorEnrolView.as_view(), name="two-factor-enrol"),
    path("me/two-factor/confirm", views.TwoFactorConfirmView.as_view(), name="two-factor-confirm"),
    path("me/two-factor/disable", views.TwoFactorDisableView.as_view(), name="two-factor-disable"),
    path("security-settings", views.SecuritySettingsView.as_view(), name="security-settings"),
    *router.urls,
]
