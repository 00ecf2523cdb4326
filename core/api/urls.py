from django.urls import path
from rest_framework.routers import SimpleRouter

from core.api import views

router = SimpleRouter()
router.register("jobs", views.JobViewSet, basename="job")
router.register("audit-log", views.AuditLogViewSet, basename="audit-log")
router.register("events", views.EventViewSet, basename="event")
router.register("uploads", views.UploadViewSet, basename="upload")

# The demo job has no endpoint (it would let any member hold a worker): `run_demo_job`.
urlpatterns = [*router.urls, path("usage/", views.UsageView.as_view(), name="usage")]
