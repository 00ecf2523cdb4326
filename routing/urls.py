"""Pages under ``/app/`` (included from ``config/urls_tenant.py``)."""

from django.urls import path

from routing import pages

urlpatterns = [
    path("route-plans/", pages.route_plan_list, name="route-plan-list"),
    path("route-plans/start/", pages.route_plan_start_page, name="route-plan-start-page"),
    path("route-plans/<int:plan_id>/", pages.route_plan_page, name="route-plan-page"),
    path(
        "route-plans/<int:plan_id>/driver-sheet/<str:vehicle>/",
        pages.driver_sheet,
        name="route-plan-driver-sheet",
    ),
]
