from django.urls import re_path
from rest_framework.routers import SimpleRouter

from integrations.api import views

# Every path answers with and without its trailing slash (workflow actions included).
router = SimpleRouter()
router.trailing_slash = "/?"
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register(
    "report-subscriptions", views.ReportSubscriptionViewSet, basename="report-subscription"
)
urlpatterns = [
    re_path(
        r"^notifications/preferences/?$",
        views.NotificationPreferenceView.as_view(),
        name="notification-preferences",
    ),
    re_path(
        r"^notifications/subscriptions/?$",
        views.NotificationSubscriptionsView.as_view(),
        name="notification-subscriptions",
    ),
    *router.urls,
]
