from django.urls import re_path
from rest_framework.routers import SimpleRouter

from integrations.api import views

# Every path answers with and without its trailing slash (workflow actions included).
router = SimpleRouter()
router.trailing_slash = "/?"
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")
router.register("report-schedules", views.ReportScheduleViewSet, basename="report-schedule")
router.register("reports", views.ReportViewSet, basename="report")
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
    re_path(
        r"^reports/(?P<pk>[0-9]+)/download/?$",
        views.ReportDownloadView.as_view(),
        name="report-download",
    ),
    *router.urls,
]
