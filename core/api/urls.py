from django.urls import path
from rest_framework.routers import SimpleRouter

from core.api import views

router = SimpleRouter()
router.register("jobs", views.JobViewSet, basename="job")
router.register("audit-log", views.AuditLogViewSet, basename="audit-log")
router.register("events", views.EventViewSet, basename="event")
router.register("uploads", views.UploadViewSet, basename="upload")

urlpatterns = [
    path("jobs/demo/", views.DemoJobView.as_view(), name="job-demo"),
    *router.urls,
]
