from django.urls import path
from rest_framework.routers import SimpleRouter

from etl.api import views

router = SimpleRouter()
router.register("imports", views.ImportBatchViewSet, basename="import")
router.register("etl/sources", views.DataSourceViewSet, basename="data-source")
urlpatterns = [
    path("etl/sync/status", views.SyncStatusView.as_view(), name="sync-status"),
    path("etl/sync/trigger", views.SyncTriggerView.as_view(), name="sync-trigger"),
    *router.urls,
]
