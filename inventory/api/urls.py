from django.urls import path
from rest_framework.routers import SimpleRouter

from inventory.api import metrics_views, simulation_views, views

router = SimpleRouter()
router.register("categories", views.CategoryViewSet, basename="category")
router.register("products", views.ProductViewSet, basename="product")
router.register("locations", views.LocationViewSet, basename="location")
router.register("stock-levels", views.StockLevelViewSet, basename="stock-level")
router.register("stock-movements", views.StockMovementViewSet, basename="stock-movement")
router.register("sales-history", views.DemandHistoryViewSet, basename="sales-history")
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
    *router.urls,
]
