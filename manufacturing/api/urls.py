from django.urls import re_path
from rest_framework.routers import SimpleRouter

from manufacturing.api import views

router = SimpleRouter()
router.register("boms", views.BomViewSet, basename="bom")
router.register("work-centres", views.WorkCentreViewSet, basename="work-centre")
router.register("working-orders", views.WorkingOrderViewSet, basename="working-order")
router.register("mrp-runs", views.MrpRunViewSet, basename="mrp-run")

# The workflow actions also answer without the trailing slash (left out of the schema).
no_slash = [
    re_path(
        rf"^working-orders/(?P<pk>[^/.]+)/{name}$",
        views.WorkingOrderViewSet.as_view({"post": name}, schema=None),
    )
    for name in ("release", "start", "complete", "cancel")
] + [
    re_path(
        r"^mrp-runs/(?P<pk>[^/.]+)/planned-orders/(?P<po>[0-9]+)/firm$",
        views.MrpRunViewSet.as_view({"post": "firm"}, schema=None),
    ),
    re_path(
        r"^mrp-runs/(?P<pk>[^/.]+)/planned-orders/(?P<po>[0-9]+)/pegging$",
        views.MrpRunViewSet.as_view({"get": "pegging"}, schema=None),
    ),
]
urlpatterns = [
    re_path(r"^capacity/?$", views.CapacityView.as_view(), name="capacity"),
    *router.urls,
    *no_slash,
]
