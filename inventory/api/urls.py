from django.urls import path
from rest_framework.routers import SimpleRouter

from inventory.api import metrics_views, simulation_views, views

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="product")
router.register(
    "inventory/metrics", metrics_views.InventoryMetricsViewSet, basename="inventory-metrics"
)
router.register(
    "inventory/simulations", simulation_views.SimulationRunViewSet, basename="inventory-simulation"
)
urlpatterns = [
    path(
        "inventory/simulations/<int:pk>/export.csv",
        simulation_views.SimulationExportView.as_view(),
    ),
    path("inventory/settings", metrics_views.InventorySettingsView.as_view()),
    path("inventory/calculate", metrics_views.InventoryCalculateView.as_view()),
    path("inventory/dashboard/", metrics_views.InventoryDashboardView.as_view()),
    *router.urls,
]
