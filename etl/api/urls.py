from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from etl.api import views

router = SimpleRouter()
router.register("imports", views.ImportBatchViewSet, basename="import")
router.register("etl/sources", views.DataSourceViewSet, basename="data-source")
urlpatterns = [
    path("etl/sync/status", views.SyncStatusView.as_view(), name="sync-status"),
    path("etl/sync/trigger", views.SyncTriggerView.as_view(), name="sync-trigger"),
    path("exports/<str:kind>/", views.ExportView.as_view(), name="export"),
    re_path(r"^system/status/?$", views.SystemStatusView.as_view(), name="system-status"),
    path("data-quality/", views.DataQualityView.as_view(), name="data-quality"),
    *router.urls,
]
