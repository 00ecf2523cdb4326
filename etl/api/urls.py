from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from etl.api.views import DataQualityView, ExportView, ImportBatchViewSet, SystemStatusView

router = SimpleRouter()
router.register("imports", ImportBatchViewSet, basename="import")
urlpatterns = [
    path("exports/<str:kind>/", ExportView.as_view(), name="export"),
    re_path(r"^system/status/?$", SystemStatusView.as_view(), name="system-status"),
    path("data-quality/", DataQualityView.as_view(), name="data-quality"),
    *router.urls,
]
